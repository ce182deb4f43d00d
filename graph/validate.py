"""Validate a graph against ontology/shapes.ttl with pyshacl and report per severity and source file.

Usage::

    report = validate_graph(graph, Vocabulary())
    report.conforms, report.counts()      # (True, {'Violation': 0, 'Warning': 1, 'Info': 5})
    print(report.to_text())
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from graph.config import ONTOLOGY_DIR
from graph.vocab import SCHEMA, Vocabulary

SEVERITIES = ("Violation", "Warning", "Info")


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """One SHACL result: what is wrong, where, how bad, and which file to fix."""

    severity: str
    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str | None
    source: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "severity": self.severity,
            "focus": self.focus,
            "path": self.path,
            "value": self.value,
            "message": self.message,
            "shape": self.shape,
            "source": self.source,
        }


@dataclass
class ValidationReport:
    """The outcome of one validation: conforms means no sh:Violation."""

    results: list[ValidationResult] = field(default_factory=list)
    seconds: float = 0.0
    report_graph: Graph | None = None

    @property
    def conforms(self) -> bool:
        return not any(r.severity == "Violation" for r in self.results)

    def counts(self) -> dict[str, int]:
        counter = Counter(r.severity for r in self.results)
        return {severity: counter.get(severity, 0) for severity in SEVERITIES}

    def to_json(self) -> dict[str, object]:
        return {
            "conforms": self.conforms,
            "counts": self.counts(),
            "seconds": round(self.seconds, 3),
            "results": [r.as_dict() for r in self.results],
        }

    def to_text(self) -> str:
        lines = [f"conforms: {self.conforms}  " + "  ".join(f"{k}: {v}" for k, v in self.counts().items())]
        for r in self.results:
            where = r.source or r.focus
            lines.append(f"{where}: {r.severity.lower()}: {r.message} (focus {r.focus}"
                         + (f", path {r.path}" if r.path else "") + ")")
        return "\n".join(lines)


@lru_cache(maxsize=8)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_shapes(vocab: Vocabulary, ontology_dir: Path = ONTOLOGY_DIR) -> Graph:
    """Return the project's SHACL shapes rebased on the vocabulary's base IRI (never user-supplied)."""
    shapes = Graph()
    shapes.parse(data=vocab.rebase(_read(ontology_dir / "shapes.ttl")), format="turtle")
    return shapes


def _source_files(data: Graph) -> dict[str, str]:
    """Map each article IRI and concept IRI to the markdown file it comes from."""
    mkg_source = None
    for predicate in set(data.predicates(None, None)):
        if str(predicate).endswith("#sourcePath"):
            mkg_source = predicate
            break
    sources: dict[str, str] = {}
    if mkg_source is None:
        return sources
    for page, path in data.subject_objects(mkg_source):
        sources[str(page)] = str(path)
        for concept in data.objects(page, SCHEMA.about):
            sources[str(concept)] = str(path)
    return sources


def validate_graph(data: Graph, vocab: Vocabulary, ontology_dir: Path = ONTOLOGY_DIR) -> ValidationReport:
    """Validate `data` against the shapes (no inference, no remote imports) and collect the results."""
    started = time.perf_counter()
    _, report_graph, _ = shacl_validate(
        data,
        shacl_graph=load_shapes(vocab, ontology_dir),
        inference="none",
        advanced=True,
        allow_warnings=True,
        allow_infos=True,
        do_owl_imports=False,
    )
    sources = _source_files(data)
    results = []
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        severity = str(report_graph.value(node, SH.resultSeverity) or SH.Violation).rsplit("#", 1)[-1]
        focus = str(report_graph.value(node, SH.focusNode))
        path = report_graph.value(node, SH.resultPath)
        value = report_graph.value(node, SH.value)
        message = report_graph.value(node, SH.resultMessage)
        shape = report_graph.value(node, SH.sourceShape)
        page = focus.split("#", 1)[0]
        results.append(
            ValidationResult(
                severity=severity,
                focus=focus,
                path=str(path) if isinstance(path, URIRef) else None,
                value=str(value) if value is not None else None,
                message=str(message) if message is not None else "constraint not met",
                shape=str(shape) if isinstance(shape, URIRef) else None,
                source=sources.get(focus) or sources.get(page),
            )
        )
    results.sort(key=lambda r: (SEVERITIES.index(r.severity) if r.severity in SEVERITIES else 9,
                                r.source or "", r.focus, r.path or "", r.message))
    return ValidationReport(results=results, seconds=time.perf_counter() - started, report_graph=report_graph)
