"""Validate a graph against ontology/shapes.ttl and report per severity and source file.

Two engines give the same results (tests/test_shacl_engine.py):

* pyshacl, the reference, on an rdflib Graph: ``validate_graph(graph, vocab)``;
* shacl (PyPI `shacl`, a SHACL engine in Rust, pinned), on an N-Triples file or its bytes:
  ``validate_file(build_dir / "graph.nt", vocab)``, or ``validate_graph(graph, vocab,
  engine="shacl")``. Measured at 10,000 articles (2.2 M triples): about half the CPU of the
  SPARQL compilation it replaced (graph/shacl/, the shapes compiled to SPARQL on an in-memory
  pyoxigraph store) and a quarter of its memory, with no store to load first.

Usage::

    report = validate_graph(graph, Vocabulary())
    report.conforms, report.counts()      # (True, {'Violation': 0, 'Warning': 1, 'Info': 5})
    print(report.to_text())
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from graph.config import ONTOLOGY_DIR
from graph.pipeline.shacl_engine import EngineResult, load_shapes, nt_lines, restored, run_engine, term_text
from graph.vocab import SCHEMA, SEVERITIES, Vocabulary


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
    graph: Graph | None = None  # the SHACL report graph (pyshacl's), or
    turtle: str | None = None  # the engine's report as Turtle, parsed when report_graph is asked for,
    extra: list[tuple] = field(default_factory=list)  # with these results of the shapes run apart

    @property
    def report_graph(self) -> Graph | None:
        """The sh:ValidationReport as an rdflib Graph."""
        if self.graph is None and self.turtle is not None:
            graph = Graph().parse(data=self.turtle, format="turtle")
            report = graph.value(None, RDF.type, SH.ValidationReport, any=True)
            for severity, focus, path, value, message, shape in self.extra:
                node = BNode()
                graph.add((report, SH.result, node))
                graph.add((node, RDF.type, SH.ValidationResult))
                graph.add((node, SH.resultSeverity, SH[severity]))
                graph.add((node, SH.focusNode, focus))
                graph.add((node, SH.sourceShape, shape))
                graph.add((node, SH.sourceConstraintComponent, SH.SPARQLConstraintComponent))
                for predicate, term in ((SH.resultPath, path), (SH.value, value), (SH.resultMessage, message)):
                    if term is not None:
                        graph.add((node, predicate, term))
            self.graph = graph
        return self.graph

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


def _sort(results: list[ValidationResult]) -> None:
    results.sort(key=lambda r: (SEVERITIES.index(r.severity) if r.severity in SEVERITIES else 9,
                                r.source or "", r.focus, r.path or "", r.message))


def _nt(term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    text = (str(term).replace("\\", "\\\\").replace('"', '\\"')
            .replace("\n", "\\n").replace("\r", "\\r"))
    if term.language:
        return f'"{text}"@{term.language}'
    if term.datatype is not None:
        return f'"{text}"^^<{term.datatype}>'
    return f'"{text}"'


def validate_graph(data: Graph, vocab: Vocabulary, ontology_dir: Path = ONTOLOGY_DIR,
                   engine: str = "pyshacl") -> ValidationReport:
    """Validate `data` against the shapes (no inference, no remote imports) and collect the results.

    engine="pyshacl" (the reference) or "shacl" (writes `data` as N-Triples for the shacl engine;
    same results).
    """
    if engine == "shacl":
        # Own N-Triples writer: rdflib refuses to serialize an IRI with a space.
        lines = "".join(f"{_nt(s)} {_nt(p)} {_nt(o)} .\n" for s, p, o in data)
        return validate_file(lines.encode("utf-8"), vocab, ontology_dir)
    if engine != "pyshacl":
        raise ValueError(f"unknown validation engine {engine!r} (pyshacl or shacl)")
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
    _sort(results)
    return ValidationReport(results=results, seconds=time.perf_counter() - started, graph=report_graph)


def validate_file(source: Path | bytes, vocab: Vocabulary, ontology_dir: Path = ONTOLOGY_DIR, *,
                  sources: dict[str, str] | None = None) -> ValidationReport:
    """Validate an N-Triples file (or its bytes) with the shacl engine; no store or rdflib Graph of the data is built.

    The engine parses the file itself (in Rust, without the GIL) and holds the graph in a compact
    store of its own: 0.3 GB for 2 M triples where loading pyoxigraph for the SPARQL engine took 1.1.
    """
    started = time.perf_counter()
    found, renamed = run_engine(source, vocab, ontology_dir)
    if sources is None:  # the build passes its own (with_sources), read from its store
        sources = _nt_source_files(source, vocab)
    results = []
    for r in found.results:
        focus = term_text(renamed.get(r.focus_node, r.focus_node))
        path, shape = r.path, r.source_shape
        results.append(ValidationResult(
            severity=r.severity,
            focus=focus,
            path=path[1:-1] if path and path.startswith("<") and path.endswith(">") else None,
            value=term_text(renamed[r.value]) if r.value in renamed else r.value_plain,
            message=restored(r.message, renamed) if r.message is not None else "constraint not met",
            shape=shape[1:-1] if shape.startswith("<") else None,
            source=sources.get(focus) or sources.get(focus.split("#", 1)[0]),
        ))
    _sort(results)
    extra = [_report_terms(r) for r in found.results[found.engine_results:]]
    return ValidationReport(results=results, seconds=time.perf_counter() - started, turtle=found.turtle, extra=extra)


def _report_terms(r: EngineResult) -> tuple:
    """The rdflib terms of a result of a shape run apart, for the report graph."""
    def term(text: str | None):
        if text is None:
            return None
        (_, _, value), = Graph().parse(data=f"<x:s> <x:p> {text} .", format="nt")
        return value
    return (r.severity, term(r.focus_node), URIRef(r.path[1:-1]) if r.path else None, term(r.value),
            Literal(r.message) if r.message is not None else None, URIRef(r.source_shape[1:-1]))


def with_sources(report: ValidationReport, sources: dict[str, str]) -> ValidationReport:
    """Return the report with each result's markdown file set from `sources` (page or concept IRI -> path)."""
    results = [replace(r, source=sources.get(r.focus) or sources.get(r.focus.split("#", 1)[0])) for r in report.results]
    _sort(results)
    return replace(report, results=results)


def store_source_files(store: ox.Store, vocab: Vocabulary) -> dict[str, str]:
    """Map each article IRI and concept IRI to its markdown file, from a store holding the graph."""
    query = (f"SELECT ?page ?path ?concept WHERE {{ ?page <{vocab.MKG.sourcePath}> ?path "
             f"OPTIONAL {{ ?page <{SCHEMA.about}> ?concept }} }}")
    sources: dict[str, str] = {}
    for row in store.query(query):
        sources[row["page"].value] = row["path"].value
        if row["concept"] is not None:
            sources[row["concept"].value] = row["path"].value
    return sources


def _nt_source_files(source: Path | bytes, vocab: Vocabulary) -> dict[str, str]:
    """Map each article IRI and concept IRI to its markdown file, from the N-Triples lines (one pass)."""
    source_path = f"> <{vocab.MKG.sourcePath}> ".encode()
    about = f"> <{SCHEMA.about}> <".encode()
    paths: dict[str, str] = {}
    concepts: dict[str, str] = {}
    for line in nt_lines(source):
        if source_path in line:
            page, _, value = line.partition(source_path)
            paths[page[1:].decode()] = term_text(value.rstrip()[:-1].rstrip().decode())
        elif about in line:
            page, _, value = line.partition(about)
            concepts[page[1:].decode()] = value.rstrip()[:-1].rstrip()[:-1].decode()
    sources = dict(paths)
    for page, concept in concepts.items():
        if page in paths:
            sources[concept] = paths[page]
    return sources
