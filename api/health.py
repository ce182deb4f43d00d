"""Liveness and readiness: /health answers while the process runs, /ready once every surface answers.

/ready answers 200 only when the graph version is loaded, its read model is in memory and the SPARQL query
processes are up (so a query sent right after the first 200 is answered). It also reports the last failed
reload (the previous graph is still served) and a remote store that stopped answering (503 until it is back).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from api.serving.reload import check_remote, recorded_failure
from graph.store.remote import is_remote

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """Answer 200 while the process is alive."""
    return jsonify(status="ok")


@bp.get("/ready")
def ready():
    """Answer 200 with the graph version and triple count once every surface answers, else 503."""
    service = current_app.extensions["mkg"]
    graph = service.graph
    failure = _last_failure(service)
    store_error = service.store_error
    if store_error and is_remote(service.settings.store):  # ask the store now rather than at the next poll
        check_remote(current_app)
        graph, store_error = service.graph, service.store_error
    if graph is None:
        reasons = {"last_failure": failure, "store_error": store_error}
        return jsonify(status="loading", **{k: v for k, v in reasons.items() if v}), 503
    store = graph.store
    body = {"status": "ready", "version": store.version, "triples": store.triple_count(),
            "graph": str(graph.export_path), "store": "remote" if is_remote(service.settings.store) else "embedded"}
    if failure:
        body["last_failure"] = failure
    if store_error:  # the remote store does not answer: this replica cannot serve what needs it
        body.update(status="store-unavailable", store_error=store_error)
        return jsonify(body), 503
    if not store.ready():  # the SPARQL query processes are still starting
        body.update(status="starting")
        return jsonify(body), 503
    return jsonify(body)


def _last_failure(service) -> str | None:
    """Return why the last reload failed (this process, or the rebuild recorded in the build dir), if it did."""
    if service.last_failure:
        return service.last_failure
    recorded = recorded_failure(service.settings)
    return f"{recorded['failure']} (at {recorded['at']})" if recorded else None
