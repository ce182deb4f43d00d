"""The answer side shared by the REST routes: a concept's facts, RDF triples from the read model, page links,
redirects to the canonical slug.

Usage::

    model, canonical, moved = concept_from_path(slug, "/neighbours")    # moved: a 301, or None
    facts, triples = concept_facts(model, node, prefs)
"""

from __future__ import annotations

from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Response, redirect, request

from api.http import cache_control, graph, service
from api.rest.params import href, resolve_concept, slug_param, summary
from graph.readmodel import facts
from graph.readmodel.indexes import ReadModel
from graph.readmodel.model import SCHEMA, SKOS, Concept


def concept_facts(idx: ReadModel, node: Concept, prefs: tuple[str, ...]) -> tuple[dict, list]:
    """Return (facts by property name, their triples) of a concept, nodes shown as summaries in `prefs`."""
    return facts.concept_facts(idx, graph().store, service().vocab, node,
                               lambda kind, slug: summary(idx, kind, slug, prefs))


def label_triples(idx: ReadModel, nodes: list[tuple[str, str]]) -> list:
    """Return the skos:prefLabel triples (every language) of (kind, slug) nodes, from the read model."""
    out = []
    pref = ox.NamedNode(SKOS + "prefLabel")
    for kind, slug in nodes:
        node = idx.node(kind, slug)
        if node is None:
            continue
        subject = ox.NamedNode(node.iri)
        for lang, label in sorted(node.labels.items()):
            out.append(ox.Triple(subject, pref, ox.Literal(label, language=lang) if lang else ox.Literal(label)))
    return out


def edge_triples(idx: ReadModel, edges) -> list:
    """Return the triples of read-model edges whose ends and relation are known."""
    out = []
    for edge in edges:
        source, target = idx.node(edge.source_kind, edge.source), idx.node(edge.target_kind, edge.target)
        predicate = idx.relation_iris.get(edge.relation)
        if source and target and predicate:
            out.append(ox.Triple(ox.NamedNode(source.iri), ox.NamedNode(predicate), ox.NamedNode(target.iri)))
    return out


def describe(iri: str) -> list:
    """Return the triples of one resource plus the labels of its objects (IRI bound, never pasted)."""
    # Not store.describe() (the concise bounded description): a REST answer's RDF is the resource's own triples.
    return graph().store.construct(
        "CONSTRUCT { ?resource ?p ?o . ?o ?lp ?label } WHERE { ?resource ?p ?o . "
        f"OPTIONAL {{ ?o ?lp ?label . FILTER(?lp IN (<{SKOS}prefLabel>, <{SCHEMA}name>)) }} }}",
        {"resource": ox.NamedNode(iri)})


def page_links(total: int, limit: int, offset: int) -> dict:
    """Return self/first/next/prev URLs of a page, keeping the request's other parameters."""
    args = {k: v for k, v in request.args.items() if k not in ("limit", "offset")}

    def url(off: int) -> str:
        return request.path + "?" + urlencode({**args, "limit": limit, "offset": off})

    links = {"self": url(offset), "first": url(0)}
    if offset + limit < total:
        links["next"] = url(offset + limit)
    if offset > 0:
        links["prev"] = url(max(0, offset - limit))
    return links


def redirect_canonical(kind: str, canonical: str, suffix: str = "", cacheable: bool = True) -> Response:
    """Return a 301 to the canonical URL of a concept or keyword, keeping the query string."""
    location = href(kind, canonical) + suffix
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    response = redirect(location, code=301)
    if cacheable:
        response.headers["Cache-Control"] = cache_control()
    return response


def concept_from_path(slug: str, suffix: str = "") -> tuple[ReadModel, str, Response | None]:
    """Return (read model, canonical slug, None), or a 301 to the canonical URL + suffix as the last item."""
    slug_param("slug", slug)
    idx = graph().model
    canonical = resolve_concept(idx, slug)
    moved = redirect_canonical("concept", canonical, suffix) if canonical != slug else None
    return idx, canonical, moved
