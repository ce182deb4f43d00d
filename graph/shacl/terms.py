"""Render shapes-graph constants as SPARQL and convert terms between rdflib and pyoxigraph."""

from __future__ import annotations

import re

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LANG_TAG = re.compile(r"^[A-Za-z]+(-[A-Za-z0-9]+)*$")
_XSD_STRING = str(XSD.string)


def _sparql_string(text: str) -> str:
    out = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
           .replace("\r", "\\r").replace("\t", "\\t"))
    return f'"{out}"'


def _iri(node: Node) -> str:
    if not isinstance(node, URIRef):
        raise NotImplementedError(f"expected an IRI in the shapes graph, found {node!r}")
    if _IRI_FORBIDDEN.search(str(node)):
        raise ValueError(f"IRI from the shapes graph is not safe in a query: {str(node)!r}")
    return f"<{node}>"


def _term(node: Node) -> str:
    """Render a constant of the shapes graph (never data) as SPARQL."""
    if isinstance(node, URIRef):
        return _iri(node)
    if isinstance(node, Literal):
        text = _sparql_string(str(node))
        if node.language:
            if not _LANG_TAG.match(node.language):
                raise ValueError(f"bad language tag in the shapes graph: {node.language!r}")
            return f"{text}@{node.language}"
        if node.datatype is not None and str(node.datatype) != _XSD_STRING:
            return f"{text}^^{_iri(node.datatype)}"
        return text
    raise NotImplementedError(f"blank node {node!r} used as a constant (sh:in / sh:hasValue / sh:targetNode)")


def _to_ox(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype or XSD.string)))
    raise TypeError(f"not an RDF term: {node!r}")


def to_rdflib(term) -> Node | None:
    """Convert a pyoxigraph term to rdflib (xsd:string literals become plain literals)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise NotImplementedError(f"RDF-star term {term!r} in the data")
