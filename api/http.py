"""HTTP mechanics of every surface: the one media-type table, negotiation, ETags and respond, problem+json.

* **Media types.** ``RDF_MEDIA`` and ``SOLUTION_MEDIA`` (format name -> media type) come from the
  serialisers' own table (``graph.store.results.RESULT_FORMATS``); each surface negotiates over an ordered
  list of offers built from them (the order breaks Accept ties, so it is part of the answer).
* **ETags.** ``etag(...)`` hashes the graph version and what the answer depends on; ``respond`` answers
  304 to a matching If-None-Match and otherwise serialises JSON or RDF.
* **Header templates.** ``HeaderTemplates`` keeps the headers Flask gave the first 200 of a request shape,
  for the WSGI layers that answer such requests without Flask (api/saved_answers.py, api/sparql_answers.py).
* **Errors** are RFC 9457 ``application/problem+json``: raise ``Problem`` anywhere.

Usage::

    raise Problem(404, "concept-not-found", "Concept Not Found", "no concept has the slug 'x'", requested="x")
    return respond(build=lambda: {"a": 1}, triples=lambda: [...])     # JSON, or RDF when Accept asks
    fmt = negotiate(LINKED_DATA_OFFERS, request.args.get("format"))
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import threading
from collections.abc import Callable

from flask import Flask, Response, current_app, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_accept_header

from graph.readmodel.model import json_bytes
from graph.sources import GraphVersion
from graph.store.results import RESULT_FORMATS, serialize_triples

PROBLEM_TYPE_BASE = "https://marketing-kg.example/problems/"

# ------------------------------------------------------------------------------------------ media types

RDF_MEDIA = {fmt: media for fmt, (media, kind) in RESULT_FORMATS.items() if kind == "graph"}
"""RDF format name -> media type: turtle, ntriples, jsonld, rdfxml."""
SOLUTION_MEDIA = {fmt: media for fmt, (media, kind) in RESULT_FORMATS.items() if kind == "solutions"}
"""SPARQL result format name -> media type: json, xml, csv, tsv."""
RDFLIB_NAMES = {"turtle": "turtle", "ntriples": "nt11", "jsonld": "json-ld", "rdfxml": "xml"}
"""What rdflib calls each RDF format (the SHACL report and the service description are rdflib graphs)."""
HTML = "text/html"

# Offers per surface, in the order that breaks Accept ties: (media type, format name).
REST_OFFERS = (("application/json", "json"), ("text/turtle", "turtle"), ("application/ld+json", "jsonld"),
               ("application/n-triples", "ntriples"))
LINKED_DATA_OFFERS = (*((media, fmt) for fmt, media in (("turtle", RDF_MEDIA["turtle"]),
                                                        ("ntriples", RDF_MEDIA["ntriples"]),
                                                        ("jsonld", RDF_MEDIA["jsonld"]),
                                                        ("rdfxml", RDF_MEDIA["rdfxml"]))),
                      (HTML, "html"), ("application/xhtml+xml", "html"), ("application/json", "jsonld"),
                      ("application/x-turtle", "turtle"), ("text/plain", "ntriples"))
SOLUTION_OFFERS = (("application/sparql-results+json", "json"), ("application/json", "json"),  # `*/*`: JSON
                   ("application/sparql-results+xml", "xml"), ("application/xml", "xml"),
                   ("text/csv", "csv"), ("text/tab-separated-values", "tsv"), ("text/xml", "xml"))  # `text/*`: CSV
GRAPH_OFFERS = (("text/turtle", "turtle"), ("application/x-turtle", "turtle"), ("application/n-triples", "ntriples"),
                ("text/plain", "ntriples"), ("application/ld+json", "jsonld"), ("application/json", "jsonld"),
                ("application/rdf+xml", "rdfxml"), ("application/xml", "rdfxml"))
DESCRIPTION_OFFERS = (("text/turtle", "turtle"), (HTML, "html"), ("application/n-triples", "ntriples"),
                      ("application/ld+json", "jsonld"), ("application/rdf+xml", "rdfxml"))


def _best_offer(offers: tuple[tuple[str, str], ...], accept: str) -> str | None:
    best = parse_accept_header(accept, MIMEAccept).best_match([media for media, _ in offers])
    return dict(offers).get(best) if best else None


_kept_best_offer = functools.lru_cache(maxsize=1024)(_best_offer)


def best_offer(offers: tuple[tuple[str, str], ...], accept: str) -> str | None:
    """Return the format of the offer an Accept header prefers (q-values), else None (common headers parsed once)."""
    # a long header is parsed, not kept: an unusual header must not push the common ones out
    return _kept_best_offer(offers, accept) if len(accept) <= 256 else _best_offer(offers, accept)


def media_type(fmt: str) -> str:
    """Return the media type of an RDF or SPARQL result format name."""
    return RESULT_FORMATS[fmt][0]


# ------------------------------------------------------------------------------------------ pages

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
"""The policy of every HTML answer: only the service's own scripts and styles, nothing inline, no eval."""


def policy_with_styles(styles: tuple[str, ...]) -> str:
    """Return CONTENT_SECURITY_POLICY also allowing exactly these <style> texts (by their sha256)."""
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"
                      for css in styles)
    return CONTENT_SECURITY_POLICY.replace("style-src 'self';", f"style-src 'self' {hashes};")


# ------------------------------------------------------------------------------------------ problems


class Problem(Exception):
    """An HTTP error with a problem type slug, a title, a detail and extension members."""

    def __init__(self, status: int, slug: str, title: str, detail: str, headers: dict | None = None,
                 **extensions) -> None:
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.headers = headers or {}
        self.extensions = extensions


def problem_response(status: int, slug: str, title: str, detail: str, headers: dict | None = None,
                     **extensions) -> Response:
    """Return a problem+json response."""
    body = {"type": PROBLEM_TYPE_BASE + slug, "title": title, "status": status, "detail": detail,
            "instance": request.full_path.rstrip("?") if request else None, **extensions}
    response = Response(json.dumps(body, ensure_ascii=False, indent=1), status=status,
                        mimetype="application/problem+json")
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def register_error_handlers(app: Flask) -> None:
    """Turn Problem and every werkzeug HTTPException into problem+json."""

    @app.errorhandler(Problem)
    def handle_problem(exc: Problem) -> Response:
        return problem_response(exc.status, exc.slug, exc.title, exc.detail, exc.headers, **exc.extensions)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException) -> Response:
        slug = (exc.name or "error").lower().replace(" ", "-")
        headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after")}
        return problem_response(exc.code or 500, slug, exc.name or "Error", exc.description or "", headers)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception) -> Response:
        app.logger.exception("unhandled error")
        return problem_response(500, "internal-error", "Internal Server Error",
                                "the server failed to answer; the error was logged")


def not_acceptable(detail: str, **extensions) -> Problem:
    """Return the 406 problem."""
    return Problem(406, "not-acceptable", "Not Acceptable", detail, **extensions)


# ------------------------------------------------------------------------------------------ the served graph


def service():
    """Return the app's service as this request sees it (settings, vocabulary, graph version)."""
    return current_app.extensions["mkg"]


def graph() -> GraphVersion:
    """Return the graph version this request is answered from, or raise 503 while none is loaded."""
    current = service().graph
    if current is None:
        raise Problem(503, "graph-unavailable", "Graph Unavailable", "no graph is loaded yet",
                      headers={"Retry-After": "5"})
    return current


# ------------------------------------------------------------------------------------------ ETag and respond


def etag(*parts: str) -> str:
    """Return an entity tag: a hash of what an answer is a function of (the graph version first)."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def cache_control() -> str:
    """Return the Cache-Control value of cacheable answers."""
    return f"public, max-age={service().settings.cache_max_age}"


def wanted_rdf_format(offers_rdf: bool) -> str | None:
    """Return the RDF format Accept prefers over JSON on a REST resource (when it offers RDF), else None."""
    if not offers_rdf:
        return None
    accept = request.headers.get("Accept", "")
    found = best_offer(REST_OFFERS, accept) if accept else None
    return None if found in (None, "json") else found


def respond(build: Callable[[], dict | bytes], triples: Callable[[], list] | None = None) -> Response:
    """Answer with JSON (or RDF when Accept asks and `triples` is given), ETag, Cache-Control and 304.

    `build` returns the JSON document, or its bytes when the read model saved them.
    """
    fmt = wanted_rdf_format(triples is not None)
    tag = etag(graph().version, request.full_path, fmt or "json", request.headers.get("Accept-Language", ""))
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    elif fmt is not None:
        assert triples is not None
        body = serialize_triples(list(dict.fromkeys(triples())), fmt, service().vocab.prefixes())
        response = Response(body, content_type=f"{RDF_MEDIA[fmt]}; charset=utf-8")
    else:
        document = build()
        body = document if isinstance(document, bytes) else json_bytes(document)
        response = Response(body, content_type="application/json; charset=utf-8")
    response.headers["ETag"] = f'"{tag}"'
    response.headers["Cache-Control"] = cache_control()
    response.headers["Vary"] = "Accept, Accept-Language"
    return response


# ------------------------------------------------------------------------------------ header templates

class HeaderTemplates:
    """The headers Flask gave the first 200 of each request shape, kept for answers sent without Flask."""

    def __init__(self, per_answer: tuple[str, ...]) -> None:
        self.per_answer = per_answer  # header names (lowercase) each answer sets for itself
        self._found: dict[tuple, list[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def get(self, shape: tuple) -> list[tuple[str, str]] | None:
        return self._found.get(shape)

    def capture(self, wsgi_app, environ, start_response, shape: tuple, expected: bytes | None = None) -> list[bytes]:
        """Answer through `wsgi_app`; keep its 200's headers for `shape` (only if its body is `expected`, when given)."""
        seen: dict = {}

        def keep(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        answer = wsgi_app(environ, keep)
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        if seen.get("status") == "200 OK" and (expected is None or body == expected):
            with self._lock:
                self._found.setdefault(shape, [(k, v) for k, v in seen["headers"] if k.lower() not in self.per_answer])
        return [body]
