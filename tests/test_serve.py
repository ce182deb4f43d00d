"""Serving set-up: create_app builds content/ when needed, reuses an up-to-date build, and gunicorn options."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from api.serving.gunicorn import close_worker_store, gunicorn_options
from graph.config import Settings, load_settings
from tests.conftest import CONTENT


def test_create_app_builds_then_reuses_the_build(tmp_path, make_client):
    settings = {"content_dir": CONTENT, "build_dir": tmp_path / "build"}
    ready = make_client(**settings).get("/ready").json
    report = json.loads((tmp_path / "build" / "report.json").read_text(encoding="utf-8"))
    assert ready["status"] == "ready" and ready["version"] == report["version"]
    assert ready["triples"] == report["triples"]
    mtime = (tmp_path / "build" / "graph.nt").stat().st_mtime_ns
    again = make_client(**settings).get("/ready").json
    assert again["version"] == ready["version"]
    assert (tmp_path / "build" / "graph.nt").stat().st_mtime_ns == mtime


def test_gunicorn_runs_threads_with_a_last_resort_timeout():
    options = gunicorn_options(Settings(workers=3, threads=5, query_timeout=10, port=8123))
    assert options["bind"] == "127.0.0.1:8123"
    from gunicorn.workers.gthread import ThreadWorker

    assert (options["workers"], options["threads"]) == (3, 5)
    assert issubclass(options["worker_class"](), ThreadWorker)
    assert options["timeout"] > 10


def test_the_access_log_is_off_unless_asked_for():
    assert gunicorn_options(Settings())["accesslog"] is None
    assert gunicorn_options(load_settings(cli={"access_log": "-"}, environ={}))["accesslog"] == "-"
    from_env = load_settings(environ={"MKG_ACCESS_LOG": "/var/log/mkg/access.log"})
    assert gunicorn_options(from_env)["accesslog"] == "/var/log/mkg/access.log"


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[1])


def test_gunicorn_preloads_once_and_each_worker_opens_its_own_store(seed_build, tmp_path):
    """Master loads the app (indexes) and forks; every worker runs its own query processes on the disk store."""
    import pyoxigraph as ox
    import requests

    from tests.servers import serve_app

    options = gunicorn_options(Settings())
    assert options["preload_app"] is True and callable(options["post_fork"])
    _, out = seed_build
    build = tmp_path / "build"
    shutil.copytree(out, build, ignore=shutil.ignore_patterns("store-*"))
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?c a mkg:Concept }"
    with serve_app(build / "graph.nt", tmp_path / "server.log", {"MKG_QUERY_WORKERS": "1"}, workers=2) as server:
        ready = requests.get(server.url + "/ready", timeout=10).json()
        assert (build / f"store-{ready['version']}").is_dir()  # created from graph.nt, then served read-only
        assert list((build / f"store-{ready['version']}").glob("mkg-readmodel-*.pickle"))
        counts = set()
        for _ in range(6):
            answer = requests.get(server.url + "/sparql", params={"query": query},
                                  headers={"Accept": "text/csv"}, timeout=30)
            assert answer.status_code == 200
            counts.add(answer.text.split()[1])
        expected = ox.Store()
        expected.bulk_load(path=str(build / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
        mkg = "PREFIX mkg: <https://marketing-kg.example/ontology#> "
        assert counts == {str(next(iter(expected.query(mkg + query)))["n"].value)}
        detail = requests.get(server.url + "/api/concepts/viral-marketing", timeout=10).json()
        assert "social-media" in {link["slug"] for link in detail["links_out"]}
        master = server.process.pid
        workers = {pid for pid in server.processes() if _parent(pid) == master}
        query_processes = {pid for pid in server.processes()
                           if _parent(pid) in workers and "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()}
        assert len(workers) == 2
        assert {_parent(pid) for pid in query_processes} == workers  # none started by the master


def test_a_worker_exit_closes_its_store_and_query_processes(tmp_path, make_app):
    import multiprocessing
    from types import SimpleNamespace

    graph = tmp_path / "g.ttl"
    graph.write_text("<https://e.example/a> <https://e.example/p> <https://e.example/b> .\n", encoding="utf-8")
    def query_processes() -> set:
        return {p for p in multiprocessing.active_children() if p.name == "mkg-query-worker"}

    others = query_processes()  # of the other apps of this test session
    app = make_app(graph_file=graph, query_workers=1)
    store = app.extensions["mkg"].graph.store
    assert store.protocol_query("ASK { ?s ?p ?o }", "json", max_rows=10, timeout=30).body
    workers = query_processes() - others
    assert workers and all(p.is_alive() for p in workers)
    server = SimpleNamespace(app=SimpleNamespace(callable=app), log=None)
    close_worker_store(server)  # what the worker_exit hook does before the worker process ends (os._exit)
    assert not any(p.is_alive() for p in workers)
