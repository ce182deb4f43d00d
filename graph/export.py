"""Write the graph deterministically: sorted N-Triples, Turtle with bound prefixes, JSON-LD, per-concept files.

Usage::

    convert(Path("build/graph.nt"), "turtle", Vocabulary(), output=Path("out.ttl"))
    split_by_concept(Path("build/graph.nt"), Vocabulary())   # {slug: Turtle bytes}
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from graph.config import ONTOLOGY_DIR, ontology_file
from graph.vocab import Vocabulary

FORMATS = {
    "turtle": (ox.RdfFormat.TURTLE, ".ttl", "text/turtle"),
    "ntriples": (ox.RdfFormat.N_TRIPLES, ".nt", "application/n-triples"),
    "jsonld": (ox.RdfFormat.JSON_LD, ".jsonld", "application/ld+json"),
    "rdfxml": (ox.RdfFormat.RDF_XML, ".rdf", "application/rdf+xml"),
}

_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_str = str.__str__  # the plain-str value of a term, without its class's __str__/__format__ overhead


def _literal(term: Literal) -> str:
    text = _str(term)
    if "\\" in text:  # rare; str.replace, not translate, which is per-character on non-ASCII text
        text = text.replace("\\", "\\\\")
    if '"' in text:
        text = text.replace('"', '\\"')
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    language = term._language
    if language:
        return f'"{text}"@{language}'
    datatype = term._datatype
    if datatype is not None and _str(datatype) != _XSD_STRING:
        return f'"{text}"^^<{_str(datatype)}>'
    return f'"{text}"'


def nt_term(term: Node) -> str:
    """Return one rdflib term in N-Triples 1.1 syntax (UTF-8, no ASCII escaping)."""
    kind = type(term)
    if kind is URIRef:
        return f"<{_str(term)}>"
    if kind is Literal:
        return _literal(term)
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return _literal(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    raise TypeError(f"cannot write {term!r} as N-Triples")


def nt_line(triple: tuple[Node, Node, Node]) -> str:
    """Return one triple as an N-Triples line."""
    s, p, o = triple
    if type(s) is URIRef and type(p) is URIRef:  # the usual case, inlined
        kind = type(o)
        if kind is URIRef:
            return f"<{_str(s)}> <{_str(p)}> <{_str(o)}> .\n"
        if kind is Literal:
            return f"<{_str(s)}> <{_str(p)}> {_literal(o)} .\n"
    return f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n"


def ntriples_bytes(path: Path) -> bytes:
    """Return an .nt file's bytes, or a Turtle file converted to N-Triples (raises SyntaxError)."""
    if path.suffix == ".nt":
        return path.read_bytes()
    return ox.serialize(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES)


def write_ntriples(body: bytes, path: Path) -> None:
    """Write already-sorted N-Triples bytes."""
    path.write_bytes(body)


def convert(source: Path, fmt: str, vocab: Vocabulary, output: Path | None = None) -> bytes | None:
    """Return (or stream to `output`) the sorted N-Triples file `source` in format `fmt`, order kept."""
    rdf_format, _, _ = FORMATS[fmt]
    if rdf_format == ox.RdfFormat.N_TRIPLES:
        if output is None:
            return source.read_bytes()
        output.write_bytes(source.read_bytes())
        return None
    # Lenient (no IRI validation, ~30 % of a conversion): the source is a build's own graph.nt,
    # loaded as leniently into its stores, whose IRIs the shapes check.
    triples = ox.parse(path=str(source), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    target = str(output) if output is not None else None
    if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        return ox.serialize(triples, target, format=rdf_format, prefixes=vocab.prefixes())
    return ox.serialize(triples, target, format=rdf_format)


def ontology_files(vocab: Vocabulary, ontology_dir: Path = ONTOLOGY_DIR) -> dict[str, bytes]:
    """Return ontology.ttl and shapes.ttl rebased on the configured base IRI."""
    return {
        name: vocab.rebase(ontology_file(ontology_dir, source).read_text(encoding="utf-8")).encode()
        for name, source in (("ontology.ttl", "marketing.ttl"), ("shapes.ttl", "shapes.ttl"))
    }


def split_by_concept(source: Path, vocab: Vocabulary) -> dict[str, bytes]:
    """Return one Turtle document per concept: its own triples plus those of its article's parts."""
    groups: dict[str, list[ox.Triple]] = {}
    concept_base = vocab.base + "concept/"
    article_base = vocab.base + "article/"
    for triple in ox.parse(path=str(source), format=ox.RdfFormat.N_TRIPLES):
        subject = triple.subject.value
        if subject.startswith(concept_base):
            key = subject[len(concept_base):]
        elif subject.startswith(article_base):
            key = subject[len(article_base):].split("#", 1)[0]
        else:
            key = "_scheme"
        groups.setdefault(key, []).append(triple)
    return {
        key: ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=vocab.prefixes())
        for key, triples in groups.items()
    }


def file_version(path: Path) -> str:
    """Return a graph file's version: the first 16 hex digits of its SHA-256."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]
