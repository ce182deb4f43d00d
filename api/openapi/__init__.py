"""Serve the REST API's OpenAPI contract at /openapi.json and a plain, self-contained /docs page.

Usage::

    from api.openapi import spec
    spec()["paths"]["/api/search"]["get"]["parameters"]
"""

from __future__ import annotations

import html
import json

from flask import Blueprint, Response

from api.openapi.spec import spec, spec_json

__all__ = ["bp", "docs_html", "spec"]

bp = Blueprint("openapi", __name__)


def docs_html() -> str:
    """Return a self-contained HTML page listing every operation, parameter and response of the spec."""
    document = spec()
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>marketing-kg REST API</title>",
             "<link rel='stylesheet' href='/static/docs.css'></head><body>",  # the CSP allows no inline style
             f"<h1>{html.escape(document['info']['title'])}</h1>",
             f"<p>{html.escape(document['info']['description'])}</p>",
             "<p>Machine-readable contract: <a href='/openapi.json'>/openapi.json</a> (OpenAPI 3.1).</p>"]
    for route, item in document["paths"].items():
        for method, op in item.items():
            parts.append(f"<h2 id='{html.escape(op['operationId'])}'><code>{method.upper()} {html.escape(route)}"
                         f"</code></h2><p>{html.escape(op['summary'])}</p>")
            if op.get("description"):
                parts.append(f"<p>{html.escape(op['description'])}</p>")
            parts.append("<table><tr><th>parameter</th><th>in</th><th>schema</th><th>description</th></tr>")
            for p in op["parameters"]:
                schema = json.dumps(p["schema"], ensure_ascii=False)
                parts.append(f"<tr><td><code>{html.escape(p['name'])}</code>{' *' if p['required'] else ''}</td>"
                             f"<td>{p['in']}</td><td><code>{html.escape(schema)}</code></td>"
                             f"<td>{html.escape(p['description'])}</td></tr>")
            parts.append("</table><ul>")
            for status, response in op["responses"].items():
                types = ", ".join(response.get("content", {}))
                parts.append(f"<li><b>{status}</b> {html.escape(response['description'])}"
                             f"{' (' + html.escape(types) + ')' if types else ''}</li>")
            parts.append("</ul>")
    parts.append("</body></html>")
    return "".join(parts)


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """Answer the OpenAPI document."""
    response = Response(spec_json(), content_type="application/json; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/docs")
def docs() -> Response:
    """Answer the HTML documentation page."""
    return Response(docs_html(), content_type="text/html; charset=utf-8")
