"""The /sparql blueprint: SPARQL 1.1 Protocol, read-only, with negotiation, limits and caching.

Usage::

    curl 'http://127.0.0.1:8000/sparql?query=ASK%20%7B%7D' -H 'Accept: application/sparql-results+json'
"""

from __future__ import annotations

import hashlib
import re

import pyoxigraph as ox
from flask import Blueprint, Response, render_template_string, request
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from api.examples import EXAMPLES
from api.http import (
    DESCRIPTION_OFFERS,
    GRAPH_OFFERS,
    RDFLIB_NAMES,
    SOLUTION_OFFERS,
    Problem,
    best_offer,
    graph,
    media_type,
    not_acceptable,
    service,
)
from graph.store.guard import inspect_query
from graph.store.pool import QueryBusy, QueryFailed, QueryTimeout
from graph.store.results import RESULT_FORMATS
from graph.vocab import SCHEMA, SD

bp = Blueprint("sparql", __name__)

FORMAT_ALIASES = {
    "json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv",
    "turtle": "turtle", "ttl": "turtle", "ntriples": "ntriples", "nt": "ntriples", "n-triples": "ntriples",
    "jsonld": "jsonld", "json-ld": "jsonld", "rdfxml": "rdfxml", "rdf": "rdfxml", "rdf/xml": "rdfxml",
    "rdf+xml": "rdfxml",
}
GRAPH_ALIASES = {"xml": "rdfxml", "json": "jsonld", "n3": "turtle"}  # for CONSTRUCT/DESCRIBE only
SOLUTION_TYPES = dict(SOLUTION_OFFERS)
GRAPH_TYPES = dict(GRAPH_OFFERS)
_POSITION = re.compile(r"error at (\d+):(\d+)")
_SYNTAX_STORE = ox.Store()  # empty: parsing only, queries on it are never iterated


def _negotiate(form: str) -> str:
    """Pick the result format from ?format= or the Accept header (q-values via werkzeug)."""
    graph_form = form in ("CONSTRUCT", "DESCRIBE")
    offers = GRAPH_OFFERS if graph_form else SOLUTION_OFFERS
    kind_types = dict(offers)
    requested = [value for value in request.values.getlist("format") if value.strip()]
    if requested:
        # clients such as SPARQLWrapper send several values (format=rdf+xml&format=application/rdf+xml)
        # and name RDF/XML and JSON-LD "xml" and "json" for graph results: the first usable value wins
        aliases = {**FORMAT_ALIASES, **GRAPH_ALIASES} if graph_form else FORMAT_ALIASES
        for value in requested:
            name = value.strip().lower()
            fmt = aliases.get(name) or kind_types.get(name)
            if fmt in kind_types.values():
                return fmt
        raise not_acceptable(f"format={requested[0]!r} cannot carry {form} results; use one of "
                             f"{', '.join(sorted(set(kind_types.values())))}", parameter="format")
    if not request.accept_mimetypes:
        return next(iter(kind_types.values()))
    best = best_offer(offers, request.headers.get("Accept", ""))
    if best is None:
        raise not_acceptable(f"none of the Accept header's types can carry {form} results; accepted: "
                             + ", ".join(kind_types))
    return best


def _query_text() -> str | None:
    """Return the one query of the request (GET, form POST or direct POST), refusing updates."""
    # `update` anywhere: the URL of a GET or of either POST, or a form body
    if request.mimetype == "application/sparql-update" or "update" in request.values:
        raise Problem(400, "update-not-allowed", "Update Not Allowed",
                      "this endpoint is read-only: SPARQL Update is never executed")
    if request.method == "POST":
        mimetype = request.mimetype
        if mimetype == "application/sparql-query":
            return request.get_data(as_text=True)
        if mimetype != "application/x-www-form-urlencoded":
            raise Problem(415, "unsupported-media-type", "Unsupported Media Type",
                          "POST a query as application/sparql-query or application/x-www-form-urlencoded")
        queries = request.form.getlist("query")
    else:
        queries = request.args.getlist("query")
    if len(queries) > 1:
        raise Problem(400, "bad-request", "Bad Request", "send exactly one `query` parameter")
    return queries[0] if queries else None


def _check(query: str) -> tuple[str, int | None]:
    """Apply size, dataset, refusal and syntax checks; return the query form and its outer LIMIT."""
    settings = service().settings
    if len(query.encode()) > settings.max_query_bytes:
        raise Problem(413, "query-too-large", "Query Too Large",
                      f"the query is over {settings.max_query_bytes} bytes", limit=settings.max_query_bytes)
    for name in ("default-graph-uri", "named-graph-uri"):
        if request.values.getlist(name):
            raise Problem(400, "dataset-not-supported", "Dataset Not Supported",
                          f"{name} is refused: this endpoint serves one default graph and never fetches "
                          "remote data; drop the parameter", parameter=name)
    info = inspect_query(query)
    if info.refusal:
        slug = "update-not-allowed" if info.is_update else "query-refused"
        raise Problem(400, slug, "Query Refused", info.refusal)
    if graph().store.isolates_user_queries:
        # parsed where it runs: pyoxigraph plans a query as it parses it, and planning a few hundred triple
        # patterns takes seconds to minutes; only a killable query process (or the remote store) may do it
        return info.form or "SELECT", info.limit
    try:
        _SYNTAX_STORE.query(query, prefixes=service().vocab.prefixes())
    except SyntaxError as exc:
        raise _syntax_problem(str(exc)) from exc
    return info.form or "SELECT", info.limit


def _syntax_problem(message: str) -> Problem:
    """Return the 400 problem for a SPARQL syntax error, with its line and column when known."""
    position = _POSITION.search(message)
    extra = {"line": int(position.group(1)), "column": int(position.group(2))} if position else {}
    return Problem(400, "syntax-error", "SPARQL Syntax Error", message, **extra)


def _etag(version: str, query: str, fmt: str, max_rows: int) -> str:
    normal = " ".join(query.split())
    return hashlib.sha256(f"{version}\n{fmt}\n{max_rows}\n{normal}".encode()).hexdigest()[:32]


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """Answer a SPARQL 1.1 Protocol query, or describe the service when no query is given."""
    query = _query_text()
    if query is None or not query.strip():
        if request.method == "GET" and not request.args:
            return service_description()
        raise Problem(400, "missing-query", "Missing Query", "give the query in the `query` parameter")
    form, limit = _check(query)
    fmt = _negotiate(form)
    settings, store = service().settings, graph().store
    etag = _etag(store.version, query, fmt, settings.max_rows)
    if request.if_none_match.contains_weak(etag):  # weak comparison (RFC 9110 13.1.2): gzip weakens the tag
        response = Response(status=304)
        response.set_etag(etag)
        response.headers["Cache-Control"] = f"public, max-age={settings.cache_max_age}"
        response.vary.add("Accept")
        return response
    try:
        output = store.protocol_query(query, fmt, max_rows=settings.max_rows, timeout=settings.query_timeout,
                                      limit=limit)
    except QueryTimeout as exc:
        raise Problem(503, "query-timeout", "Query Timeout",
                      f"{exc}: the limit is {settings.query_timeout:g} s; add LIMIT or narrow the patterns",
                      headers={"Retry-After": "5"}, timeout=settings.query_timeout) from exc
    except QueryBusy as exc:
        raise Problem(503, "busy", "Service Busy", str(exc), headers={"Retry-After": "2"}) from exc
    except QueryFailed as exc:
        if exc.kind == "syntax":
            raise _syntax_problem(str(exc)) from exc
        if exc.kind == "format":
            raise Problem(422, "unserializable", "Result Not Serializable", str(exc)) from exc
        raise Problem(500, "query-failed", "Query Failed", str(exc)) from exc
    response = Response(output.body, content_type=f"{media_type(fmt)}; charset=utf-8")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={settings.cache_max_age}"
    response.headers["X-Result-Rows"] = str(output.rows)
    if output.truncated:
        response.headers["X-Result-Truncated"] = "true"
        response.headers["X-Result-Row-Cap"] = str(settings.max_rows)
    response.vary.add("Accept")
    return response


def description_graph() -> Graph:
    """Return the SPARQL 1.1 Service Description of this endpoint, with the example queries."""
    endpoint = URIRef(request.base_url)
    description = Graph()
    description.bind("sd", SD)
    description.bind("sh", SH)
    description.bind("schema", SCHEMA)
    description.add((endpoint, RDF.type, SD.Service))
    description.add((endpoint, SD.endpoint, endpoint))
    description.add((endpoint, SD.supportedLanguage, SD.SPARQL11Query))
    description.add((endpoint, RDFS.label, Literal("marketing-kg SPARQL endpoint (read-only)", lang="en")))
    for media, _ in RESULT_FORMATS.values():
        description.add((endpoint, SD.resultFormat, URIRef(f"http://www.iana.org/assignments/media-types/{media}")))
    dataset = BNode("dataset")
    default_graph = BNode("default-graph")
    description.add((endpoint, SD.defaultDataset, dataset))
    description.add((dataset, RDF.type, SD.Dataset))
    description.add((dataset, SD.defaultGraph, default_graph))
    description.add((default_graph, RDF.type, SD.Graph))
    description.add((default_graph, URIRef("http://rdfs.org/ns/void#triples"), Literal(graph().store.triple_count())))
    for slug, title, text in EXAMPLES:
        example = URIRef(f"{request.base_url}#example-{slug}")
        description.add((example, RDF.type, SH.SPARQLExecutable))
        description.add((example, RDF.type, SH.SPARQLConstructExecutable if text.startswith("CONSTRUCT")
                   else SH.SPARQLSelectExecutable))
        description.add((example, RDFS.comment, Literal(title, lang="en")))
        description.add((example, SH.construct if text.startswith("CONSTRUCT") else SH.select, Literal(text)))
        description.add((example, SCHEMA.target, endpoint))
    return description


_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SPARQL endpoint</title></head>
<body><h1>marketing-kg SPARQL endpoint</h1>
<p>SPARQL 1.1 Protocol, read-only. Send <code>query</code> by GET, form POST or
<code>application/sparql-query</code> POST. Graph version {{ version }}, {{ triples }} triples.</p>
<p>Prefixes predeclared: {% for p, ns in prefixes.items() %}<code>{{ p }}:</code> {% endfor %}</p>
<h2>Result formats</h2><ul>{% for name, (mt, kind) in formats.items() %}
<li><code>{{ mt }}</code> (<code>format={{ name }}</code>, {{ kind }})</li>{% endfor %}</ul>
<h2>Examples</h2>{% for slug, title, text in examples %}<h3 id="example-{{ slug }}">{{ title }}</h3>
<pre>{{ text }}</pre><p><a href="?query={{ text | urlencode }}&amp;format=json">run (JSON)</a></p>{% endfor %}
</body></html>"""


def service_description() -> Response:
    """Return the service description: HTML for browsers, Turtle (or another RDF format) otherwise."""
    best = best_offer(DESCRIPTION_OFFERS, request.headers.get("Accept", "")) or "turtle"
    store = graph().store
    if best == "html":
        html = render_template_string(_HTML, version=store.version, triples=store.triple_count(),
                                      prefixes=service().vocab.prefixes(), formats=RESULT_FORMATS, examples=EXAMPLES)
        return Response(html, content_type="text/html; charset=utf-8")
    body = description_graph().serialize(format=RDFLIB_NAMES[best])
    response = Response(body, content_type=f"{media_type(best)}; charset=utf-8")
    response.vary.add("Accept")
    return response
