"""The Flask application factory: wires settings, the graph version, blueprints, errors, CORS and compression.

Usage::

    app = create_app()                       # build content/ if needed, serve build/
    app = create_app(Settings(graph_file=Path("graph.ttl"), query_workers=1))   # imported once, then opened
    app.test_client().get("/ready").json     # {'status': 'ready', 'version': ..., 'triples': ...}
"""

from __future__ import annotations

import gzip
from typing import Any

from flask import Flask, Response, request
from flask_cors import CORS

from api import exports, health, linked_data, sparql
from api.answer_cache import AnswerCache
from api.http import CONTENT_SECURITY_POLICY, register_error_handlers
from api.limits import HeaderBudget
from api.openapi import bp as openapi_bp
from api.rest import changes, concepts, keywords, linking, neighbours, paths, reports, search
from api.saved_answers import SavedAnswers
from api.serving.reload import GraphService, install, open_remote_or_none
from api.sparql_answers import SparqlAnswers
from api.ui import pages
from graph.config import Settings, load_settings
from graph.sources import GraphVersion, open_source
from graph.store.remote import is_remote
from graph.vocab import Vocabulary

GZIP_MIN_BYTES = 1024
__all__ = ["CONTENT_SECURITY_POLICY", "create_app", "open_graph"]
BLUEPRINTS = (health.bp, sparql.bp, concepts.bp, neighbours.bp, linking.bp, paths.bp, search.bp, keywords.bp,
              reports.bp, changes.bp, openapi_bp, linked_data.bp, exports.bp, pages.bp)


def _settings(config: Settings | dict[str, Any] | None) -> Settings:
    if isinstance(config, Settings):
        return config
    return load_settings(cli=config or {})


def _compress(response: Response) -> Response:
    """Gzip large, non-streamed responses for clients that accept it."""
    if (
        response.direct_passthrough
        or response.status_code < 200
        or response.status_code >= 300
        or "Content-Encoding" in response.headers
        or "gzip" not in request.headers.get("Accept-Encoding", "")
    ):
        return response
    body = response.get_data()
    if len(body) < GZIP_MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=5))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:  # the gzip bytes differ from the identity ones: a strong tag would claim otherwise
        response.set_etag(etag, weak=True)
    response.vary.add("Accept-Encoding")
    return response


CORS_PATHS = r"/(sparql|api/|concept/|keyword/|organization/|export/|ontology|openapi\.json|widget\.js)"
"""The paths other sites may read (CORS): the data surfaces and the embeddable widget, not the UI's own assets."""

def _html_security_headers(response: Response) -> Response:
    """Give HTML answers a Content-Security-Policy that runs only the service's own scripts and styles."""
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)  # or the page's own
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
    return response


def open_graph(settings: Settings, vocab: Vocabulary) -> GraphVersion | None:
    """Open the configured graph version (None while a remote store is down: the app polls for it)."""
    if is_remote(settings.store):
        return open_remote_or_none(settings, vocab)
    return open_source(settings, vocab)


def create_app(config: Settings | dict[str, Any] | None = None, *, graph: GraphVersion | None = None) -> Flask:
    """Create the marketing-kg Flask app serving one graph version over SPARQL, REST and Linked Data."""
    settings = _settings(config)
    vocab = Vocabulary(settings.base_iri)
    if graph is None:
        graph = open_graph(settings, vocab)

    app = Flask(__name__, template_folder="ui/templates", static_folder="ui/static")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_query_bytes + 4096
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["mkg"] = GraphService(settings=settings, vocab=vocab, graph=graph)
    register_error_handlers(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    CORS(
        app,
        # one pattern (flask-cors tries each pattern of the map on every request)
        resources={CORS_PATHS: {}},
        origins=list(settings.cors_origins),
        methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Accept", "Content-Type", "If-None-Match"],
        expose_headers=["ETag", "X-Result-Rows", "X-Result-Truncated", "X-Result-Row-Cap", "Retry-After"],
        supports_credentials=False,
        # `*` itself rather than the request's Origin echoed: an answer then does not vary by Origin, and a
        # kept answer holds no header the client chose
        send_wildcard=tuple(settings.cors_origins) == ("*",),
        max_age=3600,
    )
    app.after_request(_compress)
    app.after_request(_html_security_headers)
    live = install(app)  # swappable graph (hot reload), 503 for an unreachable remote store
    # in front of Flask: the one answer cache of this worker, then the answers the read model saved, then
    # plain SPARQL GETs
    app.wsgi_app = AnswerCache(lambda: live.graph, SavedAnswers(lambda: live.graph,
                                                                SparqlAnswers(lambda: live, app.wsgi_app)))
    app.wsgi_app = HeaderBudget(app.wsgi_app)  # outermost: oversized headers are refused before anything else
    return app
