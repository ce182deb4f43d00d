"""RFC 9457 problem details: every HTTP error of the service is application/problem+json."""

from __future__ import annotations

import json

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE_BASE = "https://marketing-kg.example/problems/"


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
