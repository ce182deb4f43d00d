"""SPARQL answers sent without Flask: a plain GET of /sparql, checked as the /sparql view checks it.

A GET of ``/sparql?query=…`` (the one parameter), with one media type in ``Accept`` that the query's form
offers as it is, no If-None-Match and no gzip, passes exactly the /sparql view's checks here (UTF-8, the
failed-query strikes, the size limit, graph.store.guard) and goes to the same query processes. The answer is
sent with the headers Flask gave the first answer of its shape in this process (Accept, Origin, format; a
template captured once: api.http.HeaderTemplates) plus its own ETag, row count and length. Flask's routing,
request and response objects and CORS work cost more than a third of the web worker's time per query
(measured: 0.36 of about 1.1 ms of CPU). Anything else, every refusal and every failed query goes to the
Flask view, which answers it (a query that failed here is not run again: its error is handed over).

Usage::

    app.wsgi_app = SparqlAnswers(lambda: live, app.wsgi_app)
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from api.http import HeaderTemplates
from api.sparql import FAILURE_KEY, GRAPH_TYPES, SOLUTION_TYPES, STRIKES, etag_of
from graph.store import guard
from graph.store.pool import QueryBusy, QueryCrashed, QueryFailed, QueryRefused, QueryTimeout
from graph.store.remote import StoreUnavailable

PATH = "/sparql"
_PER_ANSWER = ("etag", "content-length", "x-result-rows", "x-result-truncated", "x-result-row-cap")
_FAILURES = (QueryTimeout, QueryBusy, QueryRefused, QueryCrashed, QueryFailed, StoreUnavailable)


def _query(query_string: str) -> str | None:
    """Return the query of a query string that is exactly `query=…` in UTF-8, else None."""
    if not query_string.startswith("query=") or "&" in query_string or ";" in query_string:
        return None
    try:
        return unquote_to_bytes(query_string[6:].replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


class SparqlAnswers:
    """WSGI middleware: answer a plain SPARQL GET without Flask, with the headers Flask gives its shape."""

    def __init__(self, current_service: Callable[[], object], wsgi_app) -> None:
        self.current_service = current_service
        self.wsgi_app = wsgi_app
        self.templates = HeaderTemplates(_PER_ANSWER)

    def __call__(self, environ, start_response):
        """Answer a plain SPARQL GET here, else pass the request to Flask."""
        if (environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "GET"
                or "HTTP_IF_NONE_MATCH" in environ or "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")):
            return self.wsgi_app(environ, start_response)
        service = self.current_service()._current  # this request's version, as the view pins it
        store = service.graph.store if service.graph is not None else None
        query = _query(environ.get("QUERY_STRING", ""))
        if (store is None or query is None or not query.strip() or not store.isolates_user_queries or store.refusal
                or len(query.encode()) > service.settings.max_query_bytes
                or STRIKES.wait(environ.get("REMOTE_ADDR") or "") > 0):
            return self.wsgi_app(environ, start_response)
        info = guard.inspect_query(query, service.vocab.prefixes())
        kinds = GRAPH_TYPES if info.form in ("CONSTRUCT", "DESCRIBE") else SOLUTION_TYPES
        fmt = kinds.get(environ.get("HTTP_ACCEPT", ""))
        if info.refusal or fmt is None:
            return self.wsgi_app(environ, start_response)
        shape = (environ.get("HTTP_ACCEPT", ""), environ.get("HTTP_ORIGIN", ""), fmt)
        template = self.templates.get(shape)
        if template is None:  # answered by Flask, whose headers become this shape's template
            return self.templates.capture(self.wsgi_app, environ, start_response, shape)
        settings = service.settings
        try:
            output = store.protocol_query(query, fmt, max_rows=settings.max_rows, timeout=settings.query_timeout,
                                          limit=info.limit)
        except _FAILURES as exc:
            environ[FAILURE_KEY] = exc  # the view answers it, without running the query again
            return self.wsgi_app(environ, start_response)
        tag = etag_of(store.version, info.normal, fmt, settings.max_rows, service.vocab.prefixes())
        headers = [*template, ("ETag", f'"{tag}"'), ("X-Result-Rows", str(output.rows))]
        if output.truncated:
            headers += [("X-Result-Truncated", "true"), ("X-Result-Row-Cap", str(settings.max_rows))]
        start_response("200 OK", [*headers, ("Content-Length", str(len(output.body)))])
        return [output.body]
