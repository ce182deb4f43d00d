"""Serving set-up: create_app builds content/ when needed, reuses an up-to-date build, and gunicorn options."""

from __future__ import annotations

import json

from api import create_app
from api.serve import gunicorn_options
from graph.config import Settings
from tests.conftest import CONTENT


def test_create_app_builds_then_reuses_the_build(tmp_path):
    settings = Settings(content_dir=CONTENT, build_dir=tmp_path / "build", query_workers=0)
    ready = create_app(settings).test_client().get("/ready").json
    report = json.loads((tmp_path / "build" / "report.json").read_text(encoding="utf-8"))
    assert ready["status"] == "ready" and ready["version"] == report["version"]
    assert ready["triples"] == report["triples"]
    mtime = (tmp_path / "build" / "graph.nt").stat().st_mtime_ns
    again = create_app(settings).test_client().get("/ready").json
    assert again["version"] == ready["version"]
    assert (tmp_path / "build" / "graph.nt").stat().st_mtime_ns == mtime


def test_gunicorn_runs_threads_with_a_last_resort_timeout():
    options = gunicorn_options(Settings(workers=3, threads=5, query_timeout=10, port=8123))
    assert options["bind"] == "127.0.0.1:8123"
    assert (options["workers"], options["threads"], options["worker_class"]) == (3, 5, "gthread")
    assert options["timeout"] > 10
