"""Validate a graph against ontology/shapes.ttl and report per severity and source file.

Two engines give the same results (tests/test_shacl_sparql.py):

* pyshacl, the reference, on an rdflib Graph: ``validate_graph(graph, vocab)``;
* graph.shacl_sparql, the shapes compiled to SPARQL and run on pyoxigraph, ~10x faster and
  without an rdflib Graph of the data (which costs ~3 GB for 10,000 articles):
  ``validate_ntriples(build_dir / "graph.nt", vocab)``, or ``validate_store(store, vocab)``
  on a pyoxigraph Store already holding the graph (default graph), or
  ``validate_graph(graph, vocab, engine="sparql")``.

Usage::

    report = validate_graph(graph, Vocabulary())
    report.conforms, report.counts()      # (True, {'Violation': 0, 'Warning': 1, 'Info': 5})
    print(report.to_text())
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD

from graph.config import ONTOLOGY_DIR, ontology_file
from graph.shacl_sparql import validate_with_sparql
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
    shapes.parse(data=vocab.rebase(_read(ontology_file(ontology_dir, "shapes.ttl"))), format="turtle")
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

    engine="pyshacl" (the reference) or "sparql" (copies `data` into a pyoxigraph Store and
    runs graph.shacl_sparql; same results).
    """
    if engine == "sparql":
        started = time.perf_counter()
        store = ox.Store()
        # Own N-Triples writer: rdflib refuses to serialize an IRI with a space, which the
        # shapes must report rather than crash on (lenient load keeps it).
        lines = "".join(f"{_nt(s)} {_nt(p)} {_nt(o)} .\n" for s, p, o in data)
        store.bulk_load(input=lines.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES, lenient=True)
        return validate_store(store, vocab, ontology_dir, started=started)
    if engine != "pyshacl":
        raise ValueError(f"unknown validation engine {engine!r} (pyshacl or sparql)")
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
    return ValidationReport(results=results, seconds=time.perf_counter() - started, report_graph=report_graph)


# --- SPARQL engine (graph.shacl_sparql on pyoxigraph) ---------------------------------------


def validate_ntriples(source: Path | str | bytes | Iterable[str | bytes], vocab: Vocabulary,
                      ontology_dir: Path = ONTOLOGY_DIR, *, workers: int = 2) -> ValidationReport:
    """Load N-Triples (a file path, the bytes, or an iterable of lines) into a pyoxigraph Store
    and validate it with the SPARQL engine; no rdflib Graph of the data is ever built.

    `seconds` of the report includes the load (~4-10 s for 1.5 M triples on this machine).
    """
    started = time.perf_counter()
    store = ox.Store()
    # lenient: skip IRI validation while loading, so a malformed IRI reaches the shapes
    # (sh:pattern on concept IRIs) instead of aborting the load.
    if isinstance(source, (str, Path)):
        store.bulk_load(path=str(source), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    else:
        data = source if isinstance(source, bytes) else b"".join(
            line.encode("utf-8") if isinstance(line, str) else line for line in source)
        store.bulk_load(input=data, format=ox.RdfFormat.N_TRIPLES, lenient=True)
    return validate_store(store, vocab, ontology_dir, workers=workers, started=started)


def validate_store(store, vocab: Vocabulary, ontology_dir: Path = ONTOLOGY_DIR, *, workers: int = 2,
                   started: float | None = None) -> ValidationReport:
    """Validate the default graph of a pyoxigraph Store with the SPARQL engine."""
    started = time.perf_counter() if started is None else started
    found = validate_with_sparql(store, load_shapes(vocab, ontology_dir), workers=workers)
    sources = _store_source_files(store, vocab)
    results = []
    for r in found:
        focus = str(r.focus)
        results.append(
            ValidationResult(
                severity=r.severity,
                focus=focus,
                path=str(r.path) if r.path is not None else None,
                value=str(r.value) if r.value is not None else None,
                message=r.message,
                shape=r.shape_iri,
                source=sources.get(focus) or sources.get(focus.split("#", 1)[0]),
            )
        )
    _sort(results)
    report = ValidationReport(results=results)
    report.report_graph = _report_graph(found, report.conforms)
    report.seconds = time.perf_counter() - started
    return report


def _store_source_files(store, vocab: Vocabulary) -> dict[str, str]:
    """Like _source_files, from a pyoxigraph Store (page and concept IRI -> markdown file)."""
    query = (f"SELECT ?page ?path ?concept WHERE {{ ?page <{vocab.MKG.sourcePath}> ?path "
             f"OPTIONAL {{ ?page <{SCHEMA.about}> ?concept }} }}")
    sources: dict[str, str] = {}
    for row in store.query(query):
        sources[row["page"].value] = row["path"].value
        if row["concept"] is not None:
            sources[row["concept"].value] = row["path"].value
    return sources


def _report_graph(found, conforms: bool) -> Graph:
    """A small SHACL report graph (sh:ValidationReport, one sh:ValidationResult per result)."""
    g = Graph()
    g.bind("sh", SH)
    report = BNode()
    g.add((report, RDF.type, SH.ValidationReport))
    g.add((report, SH.conforms, Literal(conforms, datatype=XSD.boolean)))
    for r in found:
        node = BNode()
        g.add((report, SH.result, node))
        g.add((node, RDF.type, SH.ValidationResult))
        g.add((node, SH.resultSeverity, r.severity_iri))
        g.add((node, SH.focusNode, r.focus))
        g.add((node, SH.resultMessage, Literal(r.message)))
        if isinstance(r.shape, URIRef):
            g.add((node, SH.sourceShape, r.shape))
        if r.path is not None:
            g.add((node, SH.resultPath, r.path))
        if r.value is not None:
            g.add((node, SH.value, r.value))
    return g
