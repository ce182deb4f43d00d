"""Answers the read model saved, sent without Flask: a concept's neighbourhood with the default parameters.

The build saves each concept's neighbourhood answer (depth 1, both directions, linksTo, labels in
ar > en > any) beside the read model. A GET of ``/api/concepts/{slug}/neighbours`` (or ``?depth=1``) for a
canonical slug, asking JSON in no particular language and no gzip, is that answer exactly; this WSGI
layer sends it straight from the read model, skipping Flask's routing, parameter checks and CORS work.
Its headers are those Flask gave the first request of the same shape in this process (same query string,
Accept, Origin, ...; a template captured once and checked against the saved bytes), with the ETag and
Content-Length of this concept. Anything else (another slug spelling, other parameters, If-None-Match,
gzip, a request shape not seen yet) goes to Flask.

Usage::

    app.wsgi_app = SavedAnswers(lambda: live.graph, app.wsgi_app)
"""

from __future__ import annotations

from collections.abc import Callable

from api.http import HeaderTemplates, etag

PREFIX, SUFFIX = "/api/concepts/", "/neighbours"
QUERIES = ("", "depth=1")
ACCEPTS = ("", "*/*", "application/json")
SHAPE = ("QUERY_STRING", "HTTP_ACCEPT", "HTTP_ORIGIN", "HTTP_ACCEPT_ENCODING")
_PER_ANSWER = ("etag", "content-length")


class SavedAnswers:
    """WSGI middleware: send a saved neighbourhood answer with the headers Flask gives answers of its shape."""

    def __init__(self, current_graph: Callable[[], object], wsgi_app) -> None:
        self.current_graph = current_graph
        self.wsgi_app = wsgi_app
        self.templates = HeaderTemplates(_PER_ANSWER)

    def __call__(self, environ, start_response):
        """Send the saved answer when the request is one, else pass it to Flask."""
        path = environ.get("PATH_INFO", "")
        graph = self.current_graph()
        if (graph is None or environ.get("REQUEST_METHOD") != "GET" or not path.startswith(PREFIX)
                or not path.endswith(SUFFIX) or environ.get("QUERY_STRING", "") not in QUERIES
                or environ.get("HTTP_ACCEPT", "") not in ACCEPTS or "HTTP_IF_NONE_MATCH" in environ
                or "HTTP_ACCEPT_LANGUAGE" in environ or "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")):
            return self.wsgi_app(environ, start_response)
        # werkzeug's request.path: the WSGI path (latin-1) read back as UTF-8
        decoded = path.encode("latin-1").decode("utf-8", "replace")
        slug = decoded[len(PREFIX):-len(SUFFIX)]
        if "/" in slug or slug not in graph.model.concepts:  # not a canonical slug: a 301 or 404 from Flask
            return self.wsgi_app(environ, start_response)
        body = graph.model.saved_neighbourhood(slug)
        if body is None:
            return self.wsgi_app(environ, start_response)
        shape = tuple(environ.get(name, "") for name in SHAPE)
        template = self.templates.get(shape)
        if template is None:  # answered by Flask; its headers kept when its body is the saved one
            return self.templates.capture(self.wsgi_app, environ, start_response, shape, expected=body)
        tag = etag(graph.version, f"{decoded}?{environ.get('QUERY_STRING', '')}", "json", "")
        start_response("200 OK", [*template, ("ETag", f'"{tag}"'), ("Content-Length", str(len(body)))])
        return [body]
