"""The build's SHACL engine: shacl (PyPI, Rust) on N-Triples, with the SPARQL-based shapes on target nodes run apart.

graph.pipeline.validate.validate_file turns what run_engine returns into ValidationResults.

Usage::

    found, renamed = run_engine(Path("build/graph.nt"), Vocabulary())
    found.results[0].focus_node, found.results[0].message     # N-Triples syntax, the shape's message
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import shacl
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from graph.config import ONTOLOGY_DIR, ontology_file
from graph.store.disk import line_blocks
from graph.vocab import Vocabulary


@lru_cache(maxsize=8)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_shapes(vocab: Vocabulary, ontology_dir: Path = ONTOLOGY_DIR) -> Graph:
    """Return the project's SHACL shapes rebased on the vocabulary's base IRI (never user-supplied)."""
    shapes = Graph()
    shapes.parse(data=vocab.rebase(_read(ontology_file(ontology_dir, "shapes.ttl"))), format="turtle")
    return shapes


@dataclass(frozen=True)
class _SparqlShape:
    """A SHACL-SPARQL constraint on given target nodes, run apart from the engine (see _engine)."""

    shape: str
    targets: tuple[str, ...]
    select: str  # with its PREFIX declarations
    message: str | None
    severity: str
    reads: frozenset[str]  # the IRIs the query names: the predicates (and rdf:type objects) it can read


@dataclass(frozen=True)
class EngineResult:
    """One result, in the engine's terms (N-Triples syntax for nodes)."""

    severity: str
    focus_node: str
    path: str | None
    value: str | None
    value_plain: str | None
    message: str | None
    source_shape: str


@dataclass
class _Found:
    """The engine's results and report (Turtle), then those of the shapes run apart (not in the Turtle)."""

    results: list
    turtle: str
    engine_results: int  # how many of `results` the Turtle holds


COMPACT_BLOCK = 64 << 20  # bytes of the graph file searched at a time by _compact
_IRI_IN_QUERY = re.compile(r"<([^<>\s]+)>")


@lru_cache(maxsize=8)
def _engine(vocab: Vocabulary, ontology_dir: Path) -> tuple[shacl.Shapes, tuple[_SparqlShape, ...]]:
    """Compile the rebased shapes once; the SPARQL-based shapes on target nodes are kept apart.

    The engine evaluates SHACL-SPARQL over its whole graph with a join that grows faster than the
    graph (the overlapping-labels self-join: 4.6 of 10.6 CPU s at 10,000 articles, most of the
    time at 100,000); run_engine runs such a query on pyoxigraph over the few triples it names.
    """
    shapes = load_shapes(vocab, ontology_dir)
    apart = []
    for shape in sorted(set(shapes.subjects(SH.sparql, None)), key=str):
        targets = tuple(str(t) for t in shapes.objects(shape, SH.targetNode))
        others = [p for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf) if (shape, p, None) in shapes]
        constraints = list(shapes.objects(shape, SH.sparql))
        if not isinstance(shape, URIRef) or not targets or others or len(constraints) != 1:
            continue
        (constraint,) = constraints
        if shapes.value(constraint, SH.deactivated) or shapes.value(shape, SH.deactivated):
            continue
        prefixes = "".join(f"PREFIX {shapes.value(d, SH.prefix)}: <{shapes.value(d, SH.namespace)}>\n"
                           for source in shapes.objects(constraint, SH.prefixes)
                           for d in shapes.objects(source, SH.declare))
        select = prefixes + str(shapes.value(constraint, SH.select))
        try:
            iris = {str(t) for t in _query_iris(select)}
        except ValueError:
            continue
        message = shapes.value(constraint, SH.message) or shapes.value(shape, SH.message)
        severity = str(shapes.value(shape, SH.severity) or SH.Violation).rsplit("#", 1)[-1]
        apart.append(_SparqlShape(str(shape), targets, select, str(message) if message else None, severity,
                                  frozenset(iris)))
        for triple in list(shapes.triples((shape, None, None))):
            shapes.remove(triple)
    return shacl.Shapes.from_turtle(shapes.serialize(format="turtle")), tuple(apart)


def _query_iris(select: str) -> list[str]:
    """Return the IRIs a query's WHERE clause names; ValueError when it has a variable predicate (reads anything)."""
    prefixes = dict(re.findall(r"PREFIX\s+(\w*):\s*<([^>]*)>", select))
    body = select.split("{", 1)[1] if "{" in select else select
    if re.search(r"[?$]\w+\s+[?$]\w+\s+[?$<\"\w]", body):
        raise ValueError("a variable predicate reads every triple")
    iris = _IRI_IN_QUERY.findall(body)
    iris += [prefixes[p] + local for p, local in re.findall(r"\b(\w*):(\w+)\b", body) if p in prefixes]
    if re.search(r"\sa\s", body):
        iris.append(str(RDF.type))
    return iris


def _compact(source: Path | bytes, reads: frozenset[str]) -> bytes:
    """Return the N-Triples lines a query naming `reads` can match: those predicates, rdf:type to those classes.

    Each marker is found with bytes.find (a fast search in C) over blocks of the file, and only the lines
    found are looked at in Python: ~2x faster than testing every line (2.2 M lines at 10,000 articles).
    """
    type_marker = f"> <{RDF.type}> <".encode()
    markers = [f" <{iri}> ".encode() for iri in sorted(reads) if iri != str(RDF.type)]
    needles = list(markers)
    if str(RDF.type) in reads:
        needles += [type_marker + iri.encode() + b">" for iri in sorted(reads)]
    classes = {iri.encode() for iri in reads}
    kept: list[bytes] = []
    blocks = (source,) if isinstance(source, bytes) else (block for _, block in line_blocks(source, COMPACT_BLOCK))
    for data in blocks:
        spans = set()
        for needle in needles:
            at = data.find(needle)
            while at >= 0:
                start = data.rfind(b"\n", 0, at) + 1
                stop = data.find(b"\n", at)
                stop = len(data) if stop < 0 else stop + 1
                spans.add((start, stop))
                at = data.find(needle, stop)
        for start, stop in sorted(spans):
            line = data[start:stop]
            if type_marker in line:
                if str(RDF.type) in reads and line[line.index(type_marker) + len(type_marker):
                                                  line.rindex(b">")] in classes:
                    kept.append(line)
            elif any(marker in line for marker in markers):
                kept.append(line)
    return b"".join(kept)


def nt_lines(source: Path | bytes) -> Iterator[bytes]:
    """Yield the lines of an N-Triples file or of its bytes."""
    if isinstance(source, bytes):
        yield from source.splitlines(keepends=True)
        return
    with source.open("rb") as lines:
        yield from lines


def _plain(term) -> str:
    return term.value if isinstance(term, (ox.NamedNode, ox.Literal, ox.BlankNode)) else str(term)


def _run_apart(source: Path | bytes, apart: tuple[_SparqlShape, ...]) -> list[EngineResult]:
    """Run the SPARQL-based shapes kept apart on pyoxigraph, over the triples they name; one result per row."""
    if not apart:
        return []
    store = ox.Store()
    store.bulk_load(input=_compact(source, frozenset().union(*(a.reads for a in apart))),
                    format=ox.RdfFormat.N_TRIPLES, lenient=True)
    results = []
    for shape in apart:
        for target in shape.targets:
            node = ox.NamedNode(target)
            for row in store.query(shape.select, substitutions={ox.Variable("this"): node}):
                bound = {name: row[name] for name in _variables(shape.select) if _bound(row, name)}
                bound["this"] = node
                message = _substituted(shape.message, bound) if shape.message is not None else None
                value, path = bound.get("value"), bound.get("path")
                results.append(EngineResult(shape.severity, str(node), str(path) if isinstance(path, ox.NamedNode) else None,
                                       str(value) if value is not None else None,
                                       _plain(value) if value is not None else None, message, f"<{shape.shape}>"))
    return results


def _substituted(message: str, bound: dict) -> str:
    """Put each row's value for {?var} / {$var} in a message, as the engine writes them (IRI, lexical form)."""
    return re.sub(r"\{[?$](\w+)\}", lambda m: _plain(bound[m[1]]) if m[1] in bound else m[0], message)


def _variables(select: str) -> list[str]:
    return sorted(set(re.findall(r"[?$](\w+)", select)))


def _bound(row, name: str) -> bool:
    try:
        return row[name] is not None
    except (KeyError, IndexError, TypeError):
        return False


@lru_cache(maxsize=1 << 14)
def term_text(term: str) -> str:
    """Return what str() of the rdflib term gives for an N-Triples term: an IRI, a blank node label, a lexical form."""
    if term.startswith("<") and term.endswith(">") and "\\" not in term:
        return term[1:-1]
    if term.startswith("_:"):
        return term[2:]
    triple = next(iter(ox.parse(f"<x:s> <x:p> {term} .".encode(), format=ox.RdfFormat.N_TRIPLES, lenient=True)))
    return triple.object.value


def run_engine(source: Path | bytes, vocab: Vocabulary, ontology_dir: Path = ONTOLOGY_DIR
               ) -> tuple[_Found, dict[str, str]]:
    """Run the shacl engine on N-Triples; return its report and {renamed term: original} (see _renamed_iris)."""
    shapes, apart = _engine(vocab, Path(ontology_dir))
    renamed: dict[str, str] = {}
    try:
        if isinstance(source, Path):
            found = shapes.validate_file(str(source), allow_warnings=True)
        else:
            found = shapes.validate_text(source.decode("utf-8"), format="ntriples", allow_warnings=True)
    except ValueError:  # an IRI its parser refuses (a space...): the shapes must report it, not crash
        text, renamed = _renamed_iris(source)
        found = shapes.validate_text(text, format="ntriples", allow_warnings=True)
    return _Found([*found.results, *_run_apart(source, apart)], found.turtle, len(found.results)), renamed


_REFUSED_IRI = "urn:x-mkg:refused-iri:"


def _renamed_iris(source: Path | bytes) -> tuple[str, dict[str, str]]:
    """Return the N-Triples with each IRI the engine's parser refuses renamed, and {renamed term: original term}.

    A renamed IRI is a `urn:` IRI, so it fails the same http(s) IRI patterns the original does;
    the results name the original again (see restored).
    """
    read = {"path": str(source)} if isinstance(source, Path) else {"input": source}
    names: dict[str, str] = {}

    def rename(term):
        if isinstance(term, ox.NamedNode):
            try:
                ox.NamedNode(term.value)  # strict: what a conforming parser accepts
            except ValueError:
                renamed = names.setdefault(str(term), f"<{_REFUSED_IRI}{len(names)}>")
                return ox.NamedNode(renamed[1:-1])
        return term

    triples = [ox.Triple(rename(t.subject), rename(t.predicate), rename(t.object))
               for t in ox.parse(**read, format=ox.RdfFormat.N_TRIPLES, lenient=True)]
    text = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")
    return text, {renamed: original for original, renamed in names.items()}


def restored(message: str, renamed: dict[str, str]) -> str:
    """Put the original IRIs back in a message that names renamed ones."""
    if renamed and _REFUSED_IRI in message:
        for term, original in renamed.items():
            message = message.replace(term[1:-1], original[1:-1])
    return message
