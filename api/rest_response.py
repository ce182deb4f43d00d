"""Shared answer side of the REST concept API: content negotiation, ETags, RDF triples, page links, redirects.

Every 200 carries an ETag derived from the graph version and the request (path, query, Accept,
Accept-Language) and ``Cache-Control: public, max-age=...``; If-None-Match gives 304.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urlencode

import orjson
import pyoxigraph as ox
from flask import Response, redirect, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from api.indexes import SKOS, GraphIndexes
from api.rest_common import fresh_answer_requested, href, indexes, resolve_concept, service, slug_param
from graph.store.results import serialize_triples

RDF_TYPES = {"text/turtle": "turtle", "application/ld+json": "jsonld", "application/n-triples": "ntriples"}
MEDIA_TYPES = {fmt: media for media, fmt in RDF_TYPES.items()}
ANSWER_CACHE_BYTES = 64 << 20  # per worker process
ENTRY_OVERHEAD_BYTES = 200  # what an entry costs beyond its key and value: dict slot, tuples, ints

# The resource's own triples and the labels of its objects. Not store.describe(): with pyoxigraph 0.5 its
# BIND(?resource AS ?s) branch ignores the substitution, so it returns the whole graph for any IRI.
_DESCRIBE = """CONSTRUCT { ?resource ?p ?o . ?o ?lp ?label } WHERE {
  ?resource ?p ?o .
  OPTIONAL { ?o ?lp ?label . FILTER(?lp IN (skos:prefLabel, schema:name)) }
}"""


def wanted_rdf_format(offers_rdf: bool) -> str | None:
    """Return the RDF format asked for by Accept (when offered and preferred over JSON), else None."""
    if not offers_rdf:
        return None
    return _rdf_format_for(request.headers.get("Accept", ""))


def _rdf_format_for(accept: str) -> str | None:
    """Return the RDF format an Accept header prefers over JSON, else None (common short headers parsed once)."""
    if not accept:
        return None
    return _short_rdf_format_for(accept) if len(accept) <= 256 else _parse_rdf_format(accept)


def _parse_rdf_format(accept: str) -> str | None:
    best = parse_accept_header(accept, MIMEAccept).best_match(["application/json", *RDF_TYPES])
    return RDF_TYPES.get(best or "")


_short_rdf_format_for = functools.lru_cache(maxsize=512)(_parse_rdf_format)


class AnswerCache:
    """Answers of one process (any value with a byte size), least recently used first out, within a byte budget."""

    def __init__(self, max_bytes: int = ANSWER_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._answers: OrderedDict[str | bytes, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str | bytes):
        """Return the value stored under `key`, else None."""
        with self._lock:
            found = self._answers.get(key)
            if found is None:
                return None
            self._answers.move_to_end(key)
            return found[0]

    def put(self, key: str, body: bytes, content_type: str) -> None:
        """Store a serialised answer (body, content type)."""
        self.put_value(key, (body, content_type), len(body))

    def put_value(self, key: str | bytes, value, size: int) -> None:
        """Store a value of `size` bytes, dropping the least recently used ones beyond the budget (its key counts)."""
        size += len(key) + ENTRY_OVERHEAD_BYTES
        if size > self.max_bytes // 8:
            return
        with self._lock:
            if key in self._answers:
                return
            self._answers[key] = (value, size)
            self.size += size
            while self.size > self.max_bytes:
                _, (_, old) = self._answers.popitem(last=False)
                self.size -= old


class RepeatedLookups:
    """WSGI middleware: answer a repeated REST look-up with the bytes and headers Flask gave it the first time."""

    # Only a GET of the REST look-ups with a 200 answer is kept, keyed by a hash of the graph version and every
    # part of the request the answer depends on (path, query, Accept, Accept-Language, Accept-Encoding, Origin):
    # the key's 32 bytes and the kept headers count against the budget, however large the request's headers. A
    # conditional request (If-None-Match) always goes to Flask, which answers 304 without a body; one with
    # Cache-Control: no-cache is computed afresh (and not kept) by Flask, with no per-concept cache either.

    PATHS = ("/api/concepts", "/api/search", "/api/keywords")
    HEADERS = ("HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_ACCEPT_ENCODING", "HTTP_ORIGIN")

    def __init__(self, app, wsgi_app, max_bytes: int = ANSWER_CACHE_BYTES) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.cache = AnswerCache(max_bytes)

    def __call__(self, environ, start_response):
        """Answer from the cache, else through Flask (keeping a 200 for next time)."""
        path = environ.get("PATH_INFO", "")
        store = getattr(self.app.extensions.get("mkg"), "store", None)
        if (environ.get("REQUEST_METHOD") != "GET" or not path.startswith(self.PATHS) or store is None
                or "HTTP_IF_NONE_MATCH" in environ or "no-cache" in environ.get("HTTP_CACHE_CONTROL", "")):
            return self.wsgi_app(environ, start_response)
        key = hashlib.sha256("\0".join([store.version, path, environ.get("QUERY_STRING", ""),
                                        *(environ.get(name, "") for name in self.HEADERS)]).encode()).digest()
        found = self.cache.get(key)
        if found is not None:
            status, headers, body = found
            start_response(status, list(headers))
            return [body]
        seen: dict = {}

        def keep(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        answer = self.wsgi_app(environ, keep)
        if not seen.get("status", "").startswith("200 "):
            return answer
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        headers = tuple(seen["headers"])
        size = len(body) + sum(len(name) + len(value) + 64 for name, value in headers)
        self.cache.put_value(key, (seen["status"], headers, body), size)
        return [body]


ANSWERS = AnswerCache()


def json_bytes(value) -> bytes:
    """Return compact UTF-8 JSON (orjson; the json module for what orjson refuses, e.g. very large ints)."""
    try:
        # copied: the bytes orjson returns keep its whole output buffer (about 4 KB more than their length,
        # measured), which the answer caches would hold on to unaccounted
        return bytes(memoryview(orjson.dumps(value)))
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def respond(build: Callable[[], dict], triples: Callable[[], list] | None = None) -> Response:
    """Answer with JSON (or RDF when Accept asks and `triples` is given), ETag, Cache-Control and 304."""
    # The answer is a function of what the ETag is made of (graph version, path and query, format,
    # Accept-Language), so it is serialised once per ETag and kept in ANSWERS.
    current = service()
    fmt = wanted_rdf_format(triples is not None)
    tag_source = "\n".join([current.store.version, request.full_path, fmt or "json",
                            request.headers.get("Accept-Language", "")])
    etag = hashlib.sha256(tag_source.encode()).hexdigest()[:32]
    cache_control = f"public, max-age={current.settings.cache_max_age}"
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        fresh = fresh_answer_requested()  # Cache-Control: no-cache: computed now, and not kept
        found = None if fresh else ANSWERS.get(etag)
        if found is None:
            if fmt is not None:
                assert triples is not None
                body = serialize_triples(list(dict.fromkeys(triples())), fmt, current.vocab.prefixes())
                found = (body if isinstance(body, bytes) else body.encode(), f"{MEDIA_TYPES[fmt]}; charset=utf-8")
            else:
                found = (json_bytes(build()), "application/json; charset=utf-8")
            if not fresh:
                ANSWERS.put(etag, *found)
        response = Response(found[0], content_type=found[1])
    response.headers["ETag"] = f'"{etag}"'
    response.headers["Cache-Control"] = cache_control
    response.headers["Vary"] = "Accept, Accept-Language"
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
