"""Bound what request headers can cost: 431 for oversized headers, before any parsing or caching.

gunicorn caps the count and size of header fields (api/serving/gunicorn.py); this WSGI middleware also caps their
total size and the size of the headers the service parses (content negotiation, conditional requests),
so no request makes a worker parse or keep hundreds of kilobytes. Its answer is problem+json, as the app's.

Usage::

    app.wsgi_app = HeaderBudget(app.wsgi_app)
"""

from __future__ import annotations

import json

from api.http import PROBLEM_TYPE_BASE

MAX_HEADER_BYTES = 32 * 1024  # every header together (gunicorn allows 32 fields of 8 KB)
MAX_PARSED_HEADER_BYTES = 4 * 1024  # each header the service parses
PARSED = ("HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_ACCEPT_ENCODING", "HTTP_ACCEPT_CHARSET",
          "HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_CACHE_CONTROL", "HTTP_ORIGIN")


class HeaderBudget:
    """WSGI middleware: answer 431 to a request whose headers are over the budget."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        """Pass the request on, unless a header or all of them are too large."""
        total, too_large = 0, None
        for name, value in environ.items():
            if name.startswith("HTTP_") and isinstance(value, str):
                total += len(name) + len(value)
                if name in PARSED and len(value) > MAX_PARSED_HEADER_BYTES:
                    too_large = name
        if too_large is None and total <= MAX_HEADER_BYTES:
            return self.wsgi_app(environ, start_response)
        if too_large:
            header = too_large[5:].replace("_", "-").title()
            detail = f"the {header} header is over {MAX_PARSED_HEADER_BYTES} bytes"
        else:
            detail = f"the request headers are over {MAX_HEADER_BYTES} bytes in all"
        body = json.dumps({"type": PROBLEM_TYPE_BASE + "request-header-fields-too-large", "title": "Request Header Fields Too Large", "status": 431,
                           "detail": detail, "instance": environ.get("PATH_INFO", "")}).encode()
        start_response("431 Request Header Fields Too Large",
                       [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body))),
                        ("Cache-Control", "no-store")])
        return [body]
