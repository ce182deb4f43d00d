"""The one answer cache of a worker: whole REST answers, keyed by the graph version and the normalised request.

A WSGI layer in front of Flask. A GET of the REST API (``/api/…``) answered 200 is kept, least recently used
out within ``ANSWER_CACHE_BYTES``, under the graph version and every part of the request the answer depends
on (path, query, Accept, Accept-Language, Accept-Encoding, Origin); a repeated look-up is answered with the
same bytes and headers without routing, parameter checks or CORS. This is also the one place that reads
``Cache-Control``: a request with ``no-cache`` is computed afresh by Flask and not kept. A conditional
request (If-None-Match) always goes to Flask, which answers 304 without a body. A new graph version
changes every key.

Usage::

    app.wsgi_app = AnswerCache(lambda: app.extensions["mkg"].graph, app.wsgi_app)
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

ANSWER_CACHE_BYTES = 64 << 20  # per worker process
ENTRY_OVERHEAD_BYTES = 200  # what an entry costs beyond its key and value: dict slot, tuples, ints
PATHS = ("/api/",)
HEADERS = ("HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_ACCEPT_ENCODING", "HTTP_ORIGIN")


def fresh_answer_requested(environ: dict) -> bool:
    """Return True when the request says ``Cache-Control: no-cache``: answer it without a kept answer."""
    return "no-cache" in environ.get("HTTP_CACHE_CONTROL", "")


class AnswerCache:
    """WSGI middleware: answer a repeated REST look-up with the bytes and headers Flask gave it the first time."""

    def __init__(self, current_graph: Callable[[], object], wsgi_app, max_bytes: int = ANSWER_CACHE_BYTES) -> None:
        self.current_graph = current_graph
        self.wsgi_app = wsgi_app
        self.max_bytes = max_bytes
        self.size = 0
        self._answers: OrderedDict[bytes, tuple[tuple, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes):
        """Return the value kept under `key`, else None."""
        with self._lock:
            found = self._answers.get(key)
            if found is None:
                return None
            self._answers.move_to_end(key)
            return found[0]

    def put(self, key: bytes, value, size: int) -> None:
        """Keep a value of `size` bytes, dropping the least recently used ones beyond the budget (its key counts)."""
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

    def __call__(self, environ, start_response):
        """Answer from the cache, else through Flask (keeping a 200 for next time)."""
        path = environ.get("PATH_INFO", "")
        graph = self.current_graph()
        if (environ.get("REQUEST_METHOD") != "GET" or not path.startswith(PATHS) or graph is None
                or "HTTP_IF_NONE_MATCH" in environ or fresh_answer_requested(environ)):
            return self.wsgi_app(environ, start_response)
        # a hash: the key's 32 bytes and the kept headers count against the budget, however large the headers
        key = hashlib.sha256("\0".join([graph.version, path, environ.get("QUERY_STRING", ""),
                                        *(environ.get(name, "") for name in HEADERS)]).encode()).digest()
        found = self.get(key)
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
        self.put(key, (seen["status"], headers, body), size)
        return [body]
