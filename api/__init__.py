"""The Flask application factory: wires settings, the store, blueprints, errors, CORS and compression.

Usage::

    app = create_app()                       # build content/ if needed, serve build/graph.nt
    app = create_app(Settings(graph_file=Path("graph.ttl"), query_workers=1))
    app.test_client().get("/ready").json     # {'status': 'ready', 'version': ..., 'triples': ...}
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, request
from flask_cors import CORS

from api.problems import register_error_handlers
from graph.config import Settings, load_settings
from graph.export import file_version
from graph.store import Store, open_store
from graph.store.disk import prior_build, serving_store
from graph.store.remote import is_remote
from graph.vocab import Vocabulary

GZIP_MIN_BYTES = 1024


class GraphUnavailable(RuntimeError):
    """No graph could be built or read to serve."""


@dataclass
class GraphService:
    """What the blueprints share: settings, vocabulary, the store and where its graph came from."""

    settings: Settings
    vocab: Vocabulary
    store: Store | None
    graph_path: Path | None
    last_failure: str | None = None




def resolve_graph(settings: Settings, vocab: Vocabulary) -> tuple[Path, str]:
    """Return (graph file, version): the configured file, or build/ (rebuilt when content changed)."""
    if settings.graph_file is not None:
        if not settings.graph_file.is_file():
            raise GraphUnavailable(f"graph file {settings.graph_file} does not exist")
        built = prior_build(settings.graph_file)  # a build's graph.nt: its report knows the version
        return settings.graph_file, built.version if built else file_version(settings.graph_file)
    from graph.build import GRAPH_NT, build, is_up_to_date, read_report  # imports pyshacl: only when building

    if not is_up_to_date(settings.content_dir, settings.build_dir, vocab, settings.include_drafts):
        report = build(settings.content_dir, settings.build_dir, vocab=vocab, jobs=settings.build_jobs,
                       max_file_bytes=settings.max_file_bytes, ontology_dir=settings.ontology_dir,
                       engine=settings.validation_engine, include_drafts=settings.include_drafts)
        if not report.written and not (settings.build_dir / GRAPH_NT).is_file():
            problems = "; ".join(str(p) for p in report.problems if p.severity == "error")[:2000]
            raise GraphUnavailable(f"build failed: {report.failure}. {problems}")
    previous = read_report(settings.build_dir) or {}
    return settings.build_dir / GRAPH_NT, str(previous.get("version") or file_version(
        settings.build_dir / GRAPH_NT))


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


CORS_PATHS = r"/(sparql|api/|concept/|keyword/|organization/|export/|ontology|openapi\.json)"
"""The paths other sites may read (CORS): the data surfaces, not the HTML UI's own assets."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _html_security_headers(response: Response) -> Response:
    """Give HTML answers a Content-Security-Policy that runs only the service's own scripts and styles."""
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
    return response


def open_graph(settings: Settings, vocab: Vocabulary) -> tuple[Store | None, Path | None]:
    """Open the configured graph: the embedded store on a build, or a remote store's current version."""
    if is_remote(settings.store):
        from api.reload import open_remote_or_none

        return open_remote_or_none(settings, vocab)  # None while the store is down: the app polls for it
    graph_path, version = resolve_graph(settings, vocab)
    directory, triples = serving_store(graph_path, version)  # a build's on-disk store, opened read-only
    store = open_store(graph_path, version=version, query_workers=settings.query_workers,
                       prefixes=vocab.prefixes(), store_dir=directory, triples=triples,
                       sandbox=settings.sparql_sandbox)
    return store, graph_path


def create_app(config: Settings | dict[str, Any] | None = None, *, store: Store | None = None) -> Flask:
    """Create the marketing-kg Flask app serving one graph over SPARQL, REST and Linked Data."""
    settings = _settings(config)
    vocab = Vocabulary(settings.base_iri)
    graph_path: Path | None = None
    if store is None:
        store, graph_path = open_graph(settings, vocab)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_query_bytes + 4096
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["mkg"] = GraphService(settings=settings, vocab=vocab, store=store, graph_path=graph_path)
    register_error_handlers(app)

    from api import concepts, exports, health, linked_data, sparql, ui

    for module in (health, sparql, concepts, linked_data, exports, ui):
        app.register_blueprint(module.bp)

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
    from api.reload import install

    install(app)  # swappable graph (hot reload), 503 for an unreachable remote store
    from api.rest_response import RepeatedLookups

    app.wsgi_app = RepeatedLookups(app, app.wsgi_app)  # a repeated REST look-up skips Flask (its answer is kept)
    from api.limits import HeaderBudget

    app.wsgi_app = HeaderBudget(app.wsgi_app)  # outermost: oversized headers are refused before anything else
    return app
