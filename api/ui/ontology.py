"""The ontology page: the classes and properties of ontology/marketing.ttl, read with rdflib.

Usage::

    page = ontology_page(ontology_files(vocab)["ontology.ttl"], vocab)
    [term.name for term in page.classes]     # ['Concept', 'DefinedTerm', ...]
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from graph.vocab import Vocabulary

_PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)


@dataclass(frozen=True)
class Term:
    """One class or property: its IRI, local name, labels, comment and axioms as (name, [compact IRIs])."""

    iri: str
    name: str
    english: str
    arabic: str
    comment: str
    kind: str
    axioms: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class OntologyPage:
    """Everything the ontology page shows."""

    iri: str
    title: str
    arabic_title: str
    description: str
    version: str
    classes: list[Term]
    properties: list[Term]


def _text(graph: Graph, subject, predicate, lang: str) -> str:
    """Return the subject's literal in `lang` (else an untagged one, else "")."""
    fallback = ""
    for value in graph.objects(subject, predicate):
        if getattr(value, "language", None) == lang:
            return str(value)
        if getattr(value, "language", None) is None:
            fallback = str(value)
    return fallback


def _compact(graph: Graph, term) -> str:
    """Return a prefixed name for an IRI when a prefix is bound, else the IRI."""
    try:
        return graph.namespace_manager.normalizeUri(term) if isinstance(term, URIRef) else str(term)
    except Exception:
        return str(term)


def _term(graph: Graph, subject: URIRef, namespace: str, kind: str) -> Term:
    axioms = []
    for name, predicate in (("subclass of", RDFS.subClassOf), ("sub-property of", RDFS.subPropertyOf),
                            ("domain", RDFS.domain), ("range", RDFS.range), ("inverse of", OWL.inverseOf),
                            ("see also", RDFS.seeAlso)):
        values = sorted(_compact(graph, v) for v in graph.objects(subject, predicate))
        if values:
            axioms.append((name, tuple(values)))
    types = sorted(_compact(graph, t) for t in graph.objects(subject, RDF.type) if t != OWL.Class)
    if types and kind == "property":
        axioms.insert(0, ("type", tuple(types)))
    return Term(str(subject), str(subject)[len(namespace):], _text(graph, subject, RDFS.label, "en"),
                _text(graph, subject, RDFS.label, "ar"), _text(graph, subject, RDFS.comment, "en"), kind,
                tuple(axioms))


def ontology_page(turtle: bytes, vocab: Vocabulary) -> OntologyPage:
    """Return the ontology page of the (rebased) ontology Turtle."""
    graph = Graph()
    vocab.bind_prefixes(graph)
    graph.parse(data=turtle.decode("utf-8"), format="turtle")
    namespace = str(vocab.MKG)
    own = [s for s in set(graph.subjects()) if isinstance(s, URIRef) and str(s).startswith(namespace)]
    classes = sorted((_term(graph, s, namespace, "class") for s in own if (s, RDF.type, OWL.Class) in graph),
                     key=lambda t: t.name)
    properties = sorted((_term(graph, s, namespace, "property") for s in own
                         if any((s, RDF.type, t) in graph for t in _PROPERTY_TYPES)), key=lambda t: t.name)
    ontology = vocab.ontology
    return OntologyPage(str(ontology), _text(graph, ontology, DCTERMS.title, "en"),
                        _text(graph, ontology, DCTERMS.title, "ar"), _text(graph, ontology, DCTERMS.description, "en"),
                        _text(graph, ontology, OWL.versionInfo, "") or "", classes, properties)
