"""The /sparql blueprint: SPARQL 1.1 Protocol, read-only, with negotiation, limits and caching.

A query is checked (UTF-8, size, graph.store.guard) before it reaches a sandboxed query process; its
errors never echo what the engine, a remote service or the host said beyond the parser's own message.
A client whose queries made query processes die or outlive the timeout (each kills a query process)
STRIKES_ALLOWED times within STRIKE_WINDOW_S seconds gets 429 with Retry-After until the window has passed.

Usage::

    curl 'http://127.0.0.1:8000/sparql?query=ASK%20%7B%7D' -H 'Accept: application/sparql-results+json'
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from urllib.parse import unquote_to_bytes

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH

from api.examples import EXAMPLES
from api.http import DESCRIPTION_OFFERS, GRAPH_OFFERS, RDFLIB_NAMES, SOLUTION_OFFERS, Problem
from api.ui.pages import sparql_page
from graph.store import guard
from graph.store.pool import QueryBusy, QueryCrashed, QueryFailed, QueryRefused, QueryTimeout
from graph.store.remote import StoreUnavailable
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
SOLUTION_TYPES = dict(SOLUTION_OFFERS)  # in order of preference: `*/*` gets JSON, `text/*` CSV
GRAPH_TYPES = dict(GRAPH_OFFERS)
_POSITION = re.compile(r"error at (\d+):(\d+)")
_SYNTAX_STORE = ox.Store()  # empty: parsing only, queries on it are never iterated
_LOG = logging.getLogger("mkg.sparql")
STRIKES_ALLOWED = 3
STRIKE_WINDOW_S = 60.0
CLIENTS_KEPT = 10_000
FAILURE_KEY = "mkg.sparql.failure"
"""The WSGI environ key under which api/sparql_answers.py hands this view a query's failure to answer."""


class Strikes:
    """Recent killed query processes per client address, to answer 429 to a client that keeps causing them."""

    def __init__(self) -> None:
        self._strikes: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> list[float]:
        times = [t for t in self._strikes.get(client, ()) if now - t < STRIKE_WINDOW_S]
        if times:
            self._strikes[client] = times
            self._strikes.move_to_end(client)
        else:
            self._strikes.pop(client, None)
        return times

    def record(self, client: str) -> None:
        """Note that a query of `client` made its query process die, or ran out of time and had it killed."""
        now = time.monotonic()
        with self._lock:
            self._strikes[client] = [*self._recent(client, now), now]
            self._strikes.move_to_end(client)
            while len(self._strikes) > CLIENTS_KEPT:
                self._strikes.popitem(last=False)

    def wait(self, client: str) -> float:
        """Return the seconds `client` must wait before its next query (0 when it may send one now)."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
        return STRIKE_WINDOW_S - (now - times[-1]) if len(times) >= STRIKES_ALLOWED else 0.0


STRIKES = Strikes()


def _service():
    return current_app.extensions["mkg"]


def _negotiate(form: str) -> str:
    """Pick the result format from ?format= or the Accept header (q-values via werkzeug)."""
    graph_form = form in ("CONSTRUCT", "DESCRIBE")
    kind_types = GRAPH_TYPES if graph_form else SOLUTION_TYPES
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
        raise Problem(406, "not-acceptable", "Not Acceptable",
                      f"format={requested[0]!r} cannot carry {form} results; use one of "
                      f"{', '.join(sorted(set(kind_types.values())))}", headers={"Vary": "Accept"},
                      parameter="format")
    if not request.accept_mimetypes:
        return next(iter(kind_types.values()))
    best = request.accept_mimetypes.best_match(list(kind_types))
    if best is None and graph_form and request.accept_mimetypes.best_match(list(SOLUTION_TYPES)):
        return "turtle"  # a results format asked for a graph (rdflib's SPARQLStore does): Turtle, as Fuseki
    if best is None:
        raise Problem(406, "not-acceptable", "Not Acceptable",
                      f"none of the Accept header's types can carry {form} results; accepted: "
                      + ", ".join(kind_types), headers={"Vary": "Accept"})
    return kind_types[best]


def _utf8(data: bytes, percent_encoded: bool) -> None:
    """Raise 400 unless `data` (percent-decoded first when it is a URL query or a form) is UTF-8."""
    try:
        (unquote_to_bytes(data) if percent_encoded else data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, "invalid-encoding", "Invalid Encoding",
                      f"the request is not valid UTF-8 (byte 0x{exc.object[exc.start]:02X}): send the query in "
                      "UTF-8, percent-encoded in URLs and forms") from None


def _query_text() -> str | None:
    """Return the one query of the request (GET, form POST or direct POST), refusing updates."""
    # `update` anywhere: the URL of a GET or of either POST, or a form body
    _utf8(request.query_string, percent_encoded=True)
    if request.method == "POST" and request.mimetype in ("application/sparql-query",
                                                         "application/x-www-form-urlencoded"):
        # read (and kept) before the form is parsed from it: werkzeug would keep invalid bytes as %XX
        _utf8(request.get_data(), percent_encoded=request.mimetype != "application/sparql-query")
    if request.mimetype == "application/sparql-update" or "update" in request.values:
        raise Problem(400, "update-not-allowed", "Update Not Allowed",
                      "this endpoint is read-only: SPARQL Update is never executed")
    if request.method == "POST":
        mimetype = request.mimetype
        if mimetype == "application/sparql-query":
            return request.get_data().decode("utf-8")
        if mimetype != "application/x-www-form-urlencoded":
            raise Problem(415, "unsupported-media-type", "Unsupported Media Type",
                          "POST a query as application/sparql-query or application/x-www-form-urlencoded")
        queries = request.form.getlist("query")
    else:
        queries = request.args.getlist("query")
    if len(queries) > 1:
        raise Problem(400, "bad-request", "Bad Request", "send exactly one `query` parameter")
    return queries[0] if queries else None


def _check(query: str) -> guard.QueryInfo:
    """Apply size, dataset, refusal and syntax checks; return what the guard read (form, outer LIMIT)."""
    settings = _service().settings
    if len(query.encode()) > settings.max_query_bytes:
        raise Problem(413, "query-too-large", "Query Too Large",
                      f"the query is over {settings.max_query_bytes} bytes", limit=settings.max_query_bytes)
    for name in ("default-graph-uri", "named-graph-uri"):
        if request.values.getlist(name):
            raise Problem(400, "dataset-not-supported", "Dataset Not Supported",
                          f"{name} is refused: this endpoint serves one default graph and never fetches "
                          "remote data; drop the parameter", parameter=name)
    info = guard.inspect_query(query, _service().vocab.prefixes())
    if info.refusal:
        slug = "update-not-allowed" if info.is_update else "query-refused"
        raise Problem(400, slug, "Query Refused", info.refusal)
    if _service().graph.store.isolates_user_queries:
        # parsed where it runs: pyoxigraph plans a query as it parses it, and planning a few hundred triple
        # patterns takes seconds to minutes; only a killable query process (or the remote store) may do it
        return info
    try:
        _SYNTAX_STORE.query(query, prefixes=_service().vocab.prefixes())
    except SyntaxError as exc:
        raise _syntax_problem(str(exc)) from exc
    return info


def _syntax_problem(message: str) -> Problem:
    """Return the 400 problem for a SPARQL syntax error, with its line and column when known."""
    position = _POSITION.search(message)
    extra = {"line": int(position.group(1)), "column": int(position.group(2))} if position else {}
    return Problem(400, "syntax-error", "SPARQL Syntax Error", message, **extra)


def etag_of(version: str, query: str, fmt: str, max_rows: int, prefixes: dict[str, str]) -> str:
    """Return the ETag of an answer: a hash of what determines it (`query` with layout and comments dropped)."""
    declared = "".join(f"{name}={iri}\n" for name, iri in sorted(prefixes.items()))
    return hashlib.sha256(f"{version}\n{fmt}\n{max_rows}\n{declared}\n{query}".encode()).hexdigest()[:32]


def _failure(exc: Exception) -> Problem:
    """Return the problem for a query that was evaluated and failed, without what the engine or host said."""
    settings = _service().settings
    if isinstance(exc, QueryTimeout):
        STRIKES.record(request.remote_addr or "")
        return Problem(503, "query-timeout", "Query Timeout",
                       f"{exc}: the limit is {settings.query_timeout:g} s; add LIMIT or narrow the patterns",
                       headers={"Retry-After": "5"}, timeout=settings.query_timeout)
    if isinstance(exc, QueryBusy):
        return Problem(503, "busy", "Service Busy", str(exc), headers={"Retry-After": "2"})
    if isinstance(exc, QueryRefused):
        return Problem(503, "sparql-unavailable", "SPARQL Unavailable", str(exc))
    if isinstance(exc, QueryCrashed):
        STRIKES.record(request.remote_addr or "")
        return Problem(400, "query-too-complex", "Query Too Complex",
                       "evaluating the query made its query process die (it nests too deep or grows too large); "
                       f"simplify it. After {STRIKES_ALLOWED} such queries or timeouts within {STRIKE_WINDOW_S:g} s, "
                       "this client's queries are refused for a while (429)")
    if isinstance(exc, StoreUnavailable):
        _LOG.warning("SPARQL query: %s", exc)
        return Problem(503, "store-unavailable", "Store Unavailable",
                       "the graph store is not answering; the service answers again as soon as it is back",
                       headers={"Retry-After": str(exc.retry_after)})
    assert isinstance(exc, QueryFailed)
    if exc.kind == "syntax":
        return _syntax_problem(str(exc))
    if exc.kind == "format":
        return Problem(422, "unserializable", "Result Not Serializable", str(exc))
    if exc.kind == "service":
        return Problem(400, "service-refused", "Remote Service Refused",
                       "the query asked another service (SERVICE); this endpoint never makes outbound requests")
    _LOG.error("SPARQL query failed: %s", str(exc)[:500])
    return Problem(500, "query-failed", "Query Failed", "evaluating the query failed; the error was logged")


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """Answer a SPARQL 1.1 Protocol query, or describe the service when no query is given."""
    query = _query_text()
    if query is None or not query.strip():
        if request.method == "GET" and not request.args:
            return service_description()
        raise Problem(400, "missing-query", "Missing Query", "give the query in the `query` parameter")
    wait = STRIKES.wait(request.remote_addr or "")
    if wait > 0:
        raise Problem(429, "too-many-failed-queries", "Too Many Failed Queries",
                      f"{STRIKES_ALLOWED} queries from this client ran out of time or made their query process "
                      f"die within {STRIKE_WINDOW_S:g} s; send simpler queries after Retry-After",
                      headers={"Retry-After": str(int(wait) + 1)})
    service = _service()
    settings, store = service.settings, service.graph.store
    if store.refusal:
        raise _failure(QueryRefused(store.refusal))
    info = _check(query)
    fmt = _negotiate(info.form or "SELECT")
    etag = etag_of(store.version, info.normal, fmt, settings.max_rows, service.vocab.prefixes())
    if request.if_none_match.contains_weak(etag):  # weak comparison (RFC 9110 13.1.2): gzip weakens the tag
        response = Response(status=304)
        response.set_etag(etag)
        response.headers["Cache-Control"] = f"public, max-age={settings.cache_max_age}"
        response.vary.add("Accept")
        return response
    failed = request.environ.get(FAILURE_KEY)  # evaluated and failed in api/sparql_answers.py: not run again
    try:
        if failed is not None:
            raise failed
        output = store.protocol_query(query, fmt, max_rows=settings.max_rows, timeout=settings.query_timeout,
                                      limit=info.limit)
    except (QueryTimeout, QueryBusy, QueryRefused, QueryCrashed, QueryFailed, StoreUnavailable) as exc:
        raise _failure(exc) from None
    media_type = RESULT_FORMATS[fmt][0]
    response = Response(output.body, content_type=f"{media_type}; charset=utf-8")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={settings.cache_max_age}"
    response.headers["X-Result-Rows"] = str(output.rows)
    if output.truncated:
        response.headers["X-Result-Truncated"] = "true"
        response.headers["X-Result-Row-Cap"] = str(settings.max_rows)
    response.vary.add("Accept")
    return response


def description_graph() -> Graph:
    """Return the SPARQL 1.1 Service Description of this endpoint, with the example queries.

    The endpoint's IRI is the configured public_url + /sparql, else relative (the document's own URL, which
    is the endpoint's): never the request's Host header.
    """
    service = _service()
    public = service.settings.public_url.rstrip("/")
    base = f"{public}{request.path}" if public else ""
    endpoint = URIRef(base)
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("sh", SH)
    graph.bind("schema", SCHEMA)
    graph.add((endpoint, RDF.type, SD.Service))
    graph.add((endpoint, SD.endpoint, endpoint))
    graph.add((endpoint, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((endpoint, RDFS.label, Literal("marketing-kg SPARQL endpoint (read-only)", lang="en")))
    for media_type in RESULT_FORMATS.values():
        graph.add((endpoint, SD.resultFormat, URIRef(f"http://www.iana.org/assignments/media-types/{media_type[0]}")))
    dataset = BNode("dataset")
    default_graph = BNode("default-graph")
    graph.add((endpoint, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    graph.add((default_graph, URIRef("http://rdfs.org/ns/void#triples"), Literal(service.graph.store.triple_count())))
    for slug, title, text in EXAMPLES:
        example = URIRef(f"{base}#example-{slug}")
        graph.add((example, RDF.type, SH.SPARQLExecutable))
        graph.add((example, RDF.type, SH.SPARQLConstructExecutable if text.startswith("CONSTRUCT")
                   else SH.SPARQLSelectExecutable))
        graph.add((example, RDFS.comment, Literal(title, lang="en")))
        graph.add((example, SH.construct if text.startswith("CONSTRUCT") else SH.select, Literal(text)))
        graph.add((example, SCHEMA.target, endpoint))
    return graph


def service_description() -> Response:
    """Return the service description in RDF (Turtle by default), or the query editor for browsers (HTML)."""
    service = _service()
    offered = ["text/turtle", "text/html", "application/ld+json", "application/rdf+xml"]
    if service.settings.public_url:
        offered.append("application/n-triples")  # N-Triples has no relative IRIs
    best = request.accept_mimetypes.best_match(offered, default="text/turtle")
    if best == "text/html":
        response = sparql_page()  # the query editor, for browsers
    else:
        rdflib_format = RDFLIB_NAMES[dict(DESCRIPTION_OFFERS)[best]]
        response = Response(description_graph().serialize(format=rdflib_format), content_type=f"{best}; charset=utf-8")
    response.headers["Cache-Control"] = f"public, max-age={service.settings.cache_max_age}"
    response.set_etag(hashlib.sha256(f"{service.graph.store.version}\n{best}\n{service.settings.public_url}".encode())
                      .hexdigest()[:32])
    response.vary.add("Accept")
    return response.make_conditional(request)
