"""Dereferenceable IRIs: /concept/, /keyword/ and /organization/{slug} and /ontology, negotiated (HTML or RDF).

Usage::

    curl -H 'Accept: text/turtle' http://127.0.0.1:8000/concept/viral-marketing    # its concise bounded description
    curl -H 'Accept: application/ld+json' http://127.0.0.1:8000/keyword/business
    curl -H 'Accept: text/turtle' http://127.0.0.1:8000/organization/facebook    # and the concepts mentioning it
    curl http://127.0.0.1:8000/ontology?format=rdfxml
    curl -L http://127.0.0.1:8000/article/viral-marketing                         # 303 to /concept/viral-marketing

A browser (Accept: text/html) gets the page; ``?format=html|turtle|ntriples|jsonld|rdfxml`` overrides Accept.
Another spelling of a slug is a 301 to the canonical one; an unknown slug is a 404 (an HTML page for
browsers, problem+json otherwise).
"""

from __future__ import annotations

from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, render_template, request

from api.http import (
    HTML,
    LINKED_DATA_OFFERS,
    RDF_MEDIA,
    Problem,
    best_offer,
    cache_control,
    etag,
    graph,
    not_acceptable,
    service,
)
from api.rest.params import resolve_concept, slug_param
from api.rest.present import edge_triples, label_triples
from api.ui.ontology import ontology_page
from api.ui.presenters import concept_page, group_page, page_url
from graph.export import ontology_files
from graph.store.results import serialize_triples

bp = Blueprint("linked_data", __name__)

_FORMAT_PARAM = ("html", "turtle", "ntriples", "jsonld", "rdfxml")
_URI_SAFE = ":/?#[]@!$&'()*+,;=%~"


def negotiate() -> str:
    """Return "html" or an RDF format name from ?format= or Accept (Turtle for */*); 406 if none fits."""
    requested = request.args.get("format")
    if requested:
        if requested not in _FORMAT_PARAM:
            raise not_acceptable(f"format={requested[:40]!r}: use one of {', '.join(_FORMAT_PARAM)}",
                                 parameter="format", allowed=list(_FORMAT_PARAM))
        return requested
    accept = request.headers.get("Accept", "")
    if not request.accept_mimetypes:
        return "turtle"
    best = best_offer(LINKED_DATA_OFFERS, accept)
    if best is None:
        raise not_acceptable("this resource is available as "
                             + ", ".join([HTML, "application/xhtml+xml", *RDF_MEDIA.values()]))
    return best


def negotiate_after_lookup() -> tuple[str | None, Problem | None]:
    """Return (format, None), or (None, the 406) so that an unknown slug can still answer 404 first."""
    try:
        return negotiate(), None
    except Problem as problem:
        return None, problem


def _finish(response: Response, fmt: str) -> Response:
    """Add the ETag, caching and Vary headers every Linked Data answer carries; answer 304 when unchanged."""
    tag = etag(graph().version, service().vocab.base, request.full_path, fmt)
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    response.set_etag(tag)
    response.headers["Cache-Control"] = cache_control()
    response.vary.add("Accept")
    return response


def rdf_response(triples: list, fmt: str, iri: str) -> Response:
    """Serialise triples in `fmt` with the project's prefixes, naming the described resource in a Link header."""
    body = serialize_triples(list(dict.fromkeys(triples)), fmt, service().vocab.prefixes())
    response = Response(body, content_type=f"{RDF_MEDIA[fmt]}; charset=utf-8")
    # an HTTP header carries ASCII: the IRI as a URI (RFC 3987 3.1), as gunicorn refuses anything else
    response.headers["Link"] = f'<{quote(iri, safe=_URI_SAFE)}>; rel="describes"'
    return _finish(response, fmt)


def html_response(template: str, fmt: str = "html", status: int = 200, **context) -> Response:
    """Render an HTML page (Jinja autoescaping on) as text/html."""
    response = Response(render_template(template, **context), status=status, content_type="text/html; charset=utf-8")
    return _finish(response, fmt) if status == 200 else response


def not_found_page(kind: str, requested: str, suggestions: list) -> Response:
    """Return the HTML 404 page with the closest slugs."""
    return html_response("not_found.html", status=404, kind=kind, requested=requested, suggestions=suggestions)


def _moved(kind: str, canonical: str) -> Response:
    """Return a 301 to the canonical page of a concept or keyword, keeping the query string."""
    location = page_url(kind, canonical)
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    response = redirect(location, code=301)
    response.headers["Cache-Control"] = cache_control()
    return response


@bp.get("/concept/<slug>")
def concept(slug: str) -> Response:
    """Answer a concept IRI: the concept page, or its concise bounded description in RDF."""
    fmt, unacceptable = negotiate_after_lookup()
    slug_param("slug", slug)
    idx = graph().model
    try:
        canonical = resolve_concept(idx, slug)
    except Problem as problem:
        if problem.status == 404 and fmt == "html":
            return not_found_page("concept", slug, problem.extensions.get("suggestions", []))
        raise
    if canonical != slug:
        return _moved("concept", canonical)
    if unacceptable:
        raise unacceptable
    iri = idx.concepts[canonical].iri
    if fmt != "html":
        return rdf_response(graph().store.describe(iri), fmt, iri)
    page = concept_page(idx, canonical)
    return html_response("concept.html", page=page, alternates=RDF_MEDIA)


@bp.get("/article/<slug>")
def article(slug: str) -> Response:
    """Answer an article IRI (and its #parts) with a 303 to its concept, whose description includes the article."""
    slug_param("slug", slug)
    idx = graph().model
    canonical = resolve_concept(idx, slug)
    if not idx.concepts[canonical].article:
        raise Problem(404, "article-not-found", "Article Not Found", f"the concept {canonical!r} has no article")
    location = page_url("concept", canonical)
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    return redirect(location, code=303)


@bp.get("/keyword/<slug>")
def keyword(slug: str) -> Response:
    """Answer a keyword IRI: the keyword page, or its description plus its concepts' hasKeyword links."""
    return _group("keyword", "hasKeyword", slug)


@bp.get("/organization/<slug>")
def organization(slug: str) -> Response:
    """Answer an organization IRI: its page, or its description plus the schema:mentions pointing at it."""
    return _group("organization", "mentions", slug)


def _group(kind: str, relation: str, slug: str) -> Response:
    """Answer a keyword or organization: its page, or its triples, the `relation` edges to it and their labels."""
    fmt, unacceptable = negotiate_after_lookup()
    slug_param("slug", slug)
    idx = graph().model
    found = idx.resolve_keyword(slug, kind)
    if found is None:
        close = idx.group_suggestions(kind, slug)
        if fmt == "html":
            return not_found_page(kind, slug, [{"slug": s, "type": kind} for s in close])
        raise Problem(404, f"{kind}-not-found", f"{kind.capitalize()} Not Found",
                      f"no {kind} has the slug {slug[:100]!r}", requested=slug[:300], suggestions=close)
    canonical = found[0]
    if canonical != slug:
        return _moved(kind, canonical)
    if unacceptable:
        raise unacceptable
    node = idx.node(kind, canonical)
    assert node is not None
    page = group_page(idx, kind, canonical)
    if fmt != "html":
        incoming = [e for e in idx.inc.get((kind, canonical), ()) if e.relation == relation]
        triples = [*graph().store.describe(node.iri), *edge_triples(idx, incoming),
                   *label_triples(idx, [("concept", link.slug) for link in page.concepts])]
        return rdf_response(triples, fmt, node.iri)
    return html_response(f"{kind}.html", page=page, alternates=RDF_MEDIA)


@bp.get("/ontology")
def ontology() -> Response:
    """Answer the ontology IRI: a page documenting its classes and properties, or the ontology in RDF."""
    fmt = negotiate()
    current = service()
    turtle = ontology_files(current.vocab, current.settings.ontology_dir)["ontology.ttl"]
    if fmt == "html":
        return html_response("ontology.html", page=ontology_page(turtle, current.vocab), alternates=RDF_MEDIA)
    if fmt == "turtle":
        body = turtle
    else:
        triples = list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))
        body = serialize_triples(triples, fmt, current.vocab.prefixes())
    response = Response(body, content_type=f"{RDF_MEDIA[fmt]}; charset=utf-8")
    return _finish(response, fmt)
