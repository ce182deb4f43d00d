"""Liveness and readiness: /health answers while the process runs, /ready once the graph is loaded."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """Answer 200 while the process is alive."""
    return jsonify(status="ok")


@bp.get("/ready")
def ready():
    """Answer 200 with the graph version and triple count once a graph is served, else 503."""
    service = current_app.extensions["mkg"]
    store = service.store
    if store is None:
        return jsonify(status="loading"), 503
    body = {"status": "ready", "version": store.version, "triples": store.triple_count(),
            "graph": str(service.graph_path)}
    if service.last_failure:
        body["last_failure"] = service.last_failure
    return jsonify(body)
