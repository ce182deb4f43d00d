"""The remote store goes away mid-run: 503 problem+json at once (no 500, no hang), and recovery by itself."""

from __future__ import annotations

import time

import pytest
import requests

from graph.config import Settings
from graph.push import push_build
from tests.servers import free_port, run_oxigraph_store, serve_remote_app

SELECT = "SELECT ?c WHERE { ?c a mkg:Concept } ORDER BY ?c LIMIT 3"
TURTLE = {"Accept": "text/turtle"}


def _until(check, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"never saw {what}")


def _problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith("/" + slug) and body["status"] == status
    assert int(response.headers["Retry-After"]) > 0
    return body


def test_store_stopped_mid_run_gives_503_then_recovers(seed_build, tmp_path):
    _, out = seed_build
    port = free_port()
    location, url = tmp_path / "oxigraph", f"sparql+http://127.0.0.1:{port}/"
    with run_oxigraph_store(location, tmp_path / "oxigraph-1.log", port=port):
        push_build(Settings(store=url), graph_file=out / "graph.nt")
        env = {"MKG_BUILD_DIR": str(tmp_path / "app"), "MKG_WATCH_INTERVAL": "0.3"}
        app = serve_remote_app(url, tmp_path / "app.log", env=env, workers=2, threads=4)
        server = app.__enter__()
    try:
        # the store is gone now; the service is still up and answers within the clients' timeouts (no hang)
        sparql = requests.get(server.url + "/sparql", params={"query": SELECT}, timeout=20)
        detail = _problem(sparql, 503, "store-unavailable")["detail"]
        assert "not answering" in detail and f":{port}" not in detail  # no address or host error for clients
        _problem(requests.get(server.url + "/api/concepts/big-data", headers=TURTLE, timeout=20), 503,
                 "store-unavailable")
        _problem(requests.get(server.url + "/concept/big-data", headers=TURTLE, timeout=20), 503,
                 "store-unavailable")
        # look-ups answered from the in-memory indexes of the served version keep working
        assert requests.get(server.url + "/api/search", params={"q": "viral"}, timeout=20).status_code == 200
        ready = _until(lambda: (r := requests.get(server.url + "/ready", timeout=20)).status_code == 503 and r.json(),
                       "/ready reporting the store down")
        assert ready["status"] == "store-unavailable" and ready["version"] and ready["store_error"]

        with run_oxigraph_store(location, tmp_path / "oxigraph-2.log", port=port):  # back, same port and data
            _until(lambda: all(requests.get(server.url + "/ready", timeout=20).status_code == 200
                               for _ in range(4)), "/ready again on every worker")
            assert "store_error" not in requests.get(server.url + "/ready", timeout=20).json()
            again = requests.get(server.url + "/sparql", params={"query": SELECT},
                                 headers={"Accept": "application/sparql-results+json"}, timeout=20)
            assert again.status_code == 200 and len(again.json()["results"]["bindings"]) == 3
            turtle = requests.get(server.url + "/api/concepts/big-data", headers=TURTLE, timeout=20)
            assert turtle.status_code == 200 and "big-data" in turtle.text
    finally:
        app.__exit__(None, None, None)
    assert "Traceback" not in (tmp_path / "app.log").read_text(errors="replace")


@pytest.mark.parametrize("pushed", [False, True])
def test_an_app_started_before_its_store_serves_once_it_is_there(seed_build, tmp_path, pushed, make_app):
    _, out = seed_build
    port = free_port()
    url = f"sparql+http://127.0.0.1:{port}/"
    app = make_app(store=url, build_dir=tmp_path / "app", watch_interval=0.2)
    client = app.test_client()
    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code == 503
    body = client.get("/api/stats")
    assert body.status_code == 503 and body.mimetype == "application/problem+json"
    assert client.get("/sparql", query_string={"query": SELECT}).status_code == 503
    with run_oxigraph_store(tmp_path / "oxigraph", tmp_path / "oxigraph.log", port=port):
        if not pushed:  # up, but empty: still 503, and /ready says why
            # the store answers now, but holds no version: the reason changes from "cannot reach" to "push"
            _until(lambda: "mkg push" in (client.get("/ready").get_json().get("store_error") or ""),
                   "/ready naming `mkg push` as the fix")
            assert client.get("/api/stats").status_code == 503
            push_build(Settings(store=url), graph_file=out / "graph.nt")
        else:
            push_build(Settings(store=url), graph_file=out / "graph.nt")
        _until(lambda: client.get("/api/stats").status_code == 200, "the graph served")
        ready = client.get("/ready").get_json()
        assert ready["status"] == "ready" and ready["store"] == "remote"
        assert "last_failure" not in ready and "store_error" not in ready
        app.extensions["mkg"].close()
