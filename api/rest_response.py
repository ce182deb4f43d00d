"""Shared answer side of the REST concept API: content negotiation, ETags, RDF triples, page links, redirects.

Every 200 carries an ETag derived from the graph version and the request (path, query, Accept,
Accept-Language) and ``Cache-Control: public, max-age=...``; If-None-Match gives 304.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Response, redirect, request

from api.indexes import SKOS, GraphIndexes
from api.rest_common import href, indexes, resolve_concept, service, slug_param
from graph.store.results import serialize_triples

RDF_TYPES = {"text/turtle": "turtle", "application/ld+json": "jsonld", "application/n-triples": "ntriples"}
MEDIA_TYPES = {fmt: media for media, fmt in RDF_TYPES.items()}

# The resource's own triples and the labels of its objects. Not store.describe(): with pyoxigraph 0.5 its
# BIND(?resource AS ?s) branch ignores the substitution, so it returns the whole graph for any IRI.
_DESCRIBE = """CONSTRUCT { ?resource ?p ?o . ?o ?lp ?label } WHERE {
  ?resource ?p ?o .
  OPTIONAL { ?o ?lp ?label . FILTER(?lp IN (skos:prefLabel, schema:name)) }
}"""


def wanted_rdf_format(offers_rdf: bool) -> str | None:
    """Return the RDF format asked for by Accept (when offered and preferred over JSON), else None."""
    if not offers_rdf or not request.accept_mimetypes:
        return None
    best = request.accept_mimetypes.best_match(["application/json", *RDF_TYPES])
    return RDF_TYPES.get(best or "")


def respond(build: Callable[[], dict], triples: Callable[[], list] | None = None) -> Response:
    """Answer with JSON (or RDF when Accept asks and `triples` is given), ETag, Cache-Control and 304."""
    current = service()
    fmt = wanted_rdf_format(triples is not None)
    tag_source = "\n".join([current.store.version, request.full_path, fmt or "json",
                            request.headers.get("Accept-Language", "")])
    etag = hashlib.sha256(tag_source.encode()).hexdigest()[:32]
    cache_control = f"public, max-age={current.settings.cache_max_age}"
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    elif fmt is not None:
        assert triples is not None
        body = serialize_triples(list(dict.fromkeys(triples())), fmt, current.vocab.prefixes())
        response = Response(body, content_type=f"{MEDIA_TYPES[fmt]}; charset=utf-8")
    else:
        body = json.dumps(build(), ensure_ascii=False, separators=(",", ":"))
        response = Response(body, content_type="application/json; charset=utf-8")
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    response.vary.add("Accept")
    response.vary.add("Accept-Language")
    return response


def label_triples(idx: GraphIndexes, nodes: list[tuple[str, str]]) -> list:
    """Return the skos:prefLabel triples (every language) of (kind, slug) nodes, from the indexes."""
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


def edge_triples(idx: GraphIndexes, edges) -> list:
    """Return the triples of index edges whose ends and relation are known."""
    out = []
    for edge in edges:
        source, target = idx.node(edge.source_kind, edge.source), idx.node(edge.target_kind, edge.target)
        predicate = idx.relation_iris.get(edge.relation)
        if source and target and predicate:
            out.append(ox.Triple(ox.NamedNode(source.iri), ox.NamedNode(predicate), ox.NamedNode(target.iri)))
    return out


def describe(iri: str) -> list:
    """Return the triples of one resource (IRI bound, never pasted) plus the labels of its objects."""
    return service().store.construct(_DESCRIBE, {"resource": ox.NamedNode(iri)})


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
        response.headers["Cache-Control"] = f"public, max-age={service().settings.cache_max_age}"
    return response


def concept_from_path(slug: str, suffix: str = "") -> tuple[GraphIndexes, str, Response | None]:
    """Return (indexes, canonical slug, None), or a 301 to the canonical URL + suffix as the last item."""
    slug_param("slug", slug)
    idx = indexes()
    canonical = resolve_concept(idx, slug)
    moved = redirect_canonical("concept", canonical, suffix) if canonical != slug else None
    return idx, canonical, moved
