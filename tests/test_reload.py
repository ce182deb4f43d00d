"""Hot reload under load: content change -> rebuild -> new graph, with zero failed or mixed responses."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from api.serving.reload import reload_app
from api.serving.watch import rebuild
from graph.config import Settings
from graph.vocab import Vocabulary
from tests.conftest import CONTENT, article_text
from tests.servers import ROOT, _clean_env, _running, free_port

NEW_ARTICLE = article_text(title="التسويق بالمحتوى", keywords="Business",
                           body="يعتمد [التسويق بالمحتوى](/content-marketing) على [التسويق الفيروسي](/viral-marketing).")
BROKEN_ARTICLE = "---\ntitle: [unclosed\nkeywords: :\n---\n\n# مكسور\n"


@pytest.fixture
def site(tmp_path) -> Path:
    """A copy of the seed articles that a test may change."""
    shutil.copytree(CONTENT, tmp_path / "content")
    return tmp_path


class Hammer:
    """Requests /api/stats continuously from another thread and records every outcome."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: list[tuple[str, int, int]] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                response = requests.get(self.url + "/api/stats", timeout=30)
            except requests.RequestException as exc:
                self.failures.append(repr(exc))
                continue
            if response.status_code != 200:
                self.failures.append(f"{response.status_code}: {response.text[:200]}")
                continue
            body = response.json()
            self.answers.append((body["version"], body["triples"], body["kinds"]["article"]))

    def __enter__(self) -> Hammer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def wait_for(self, predicate, what: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answers and predicate(self.answers[-1]):
                return
            time.sleep(0.1)
        raise AssertionError(f"never saw {what}; last answers {self.answers[-3:]}, failures {self.failures[:3]}")

    def versions(self) -> dict[str, set[tuple[int, int]]]:
        """Map each version seen to the (triples, articles) answers given with it."""
        found: dict[str, set[tuple[int, int]]] = {}
        for version, triples, articles in self.answers:
            found.setdefault(version, set()).add((triples, articles))
        return found


def _serve(site: Path, *extra: str, workers: int = 2):
    port = free_port()
    command = [sys.executable, "-m", "graph.cli", "serve", "--content", str(site / "content"), "--build-dir",
               str(site / "build"), "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               "--threads", "4", "--query-workers", "1", *extra]
    env = _clean_env({"MKG_WATCH_INTERVAL": "0.3"})
    return _running(command, "/ready", port, site / "server.log", env, ROOT)


def _ready(url: str) -> dict:
    return requests.get(url + "/ready", timeout=30).json()


def test_watch_rebuilds_and_reloads_under_load_and_survives_a_broken_article(site):
    with _serve(site, "--watch") as server, Hammer(server.url) as hammer:
        hammer.wait_for(lambda answer: True, "a first answer")
        old_version, _, old_articles = hammer.answers[-1]

        (site / "content" / "content-marketing.md").write_text(NEW_ARTICLE, encoding="utf-8")
        hammer.wait_for(lambda answer: answer[2] == old_articles + 1, "the rebuilt graph")
        new_version = hammer.answers[-1][0]
        assert new_version != old_version

        (site / "content" / "broken.md").write_text(BROKEN_ARTICLE, encoding="utf-8")
        deadline = time.monotonic() + 60
        while "last_failure" not in _ready(server.url) and time.monotonic() < deadline:
            time.sleep(0.2)
        ready = _ready(server.url)
        served_after_failure = len(hammer.answers)
        hammer.wait_for(lambda answer: len(hammer.answers) > served_after_failure + 5, "answers after the failure")
    assert "broken.md" in ready["last_failure"] and ready["version"] == new_version, ready
    assert hammer.failures == []
    seen = hammer.versions()
    assert set(seen) == {old_version, new_version}
    assert all(len(answers) == 1 for answers in seen.values()), seen  # each answer wholly old or wholly new
    assert hammer.answers[-1][0] == new_version  # the last good graph is still served
    assert "rebuild failed" in (site / "server.log").read_text(errors="replace")


def test_sighup_rebuilds_and_reloads_without_dropping_a_request(site):
    with _serve(site) as server, Hammer(server.url) as hammer:
        hammer.wait_for(lambda answer: True, "a first answer")
        old_version, _, old_articles = hammer.answers[-1]
        (site / "content" / "content-marketing.md").write_text(NEW_ARTICLE, encoding="utf-8")
        time.sleep(1.0)  # nothing watches: the graph must not change by itself
        assert hammer.answers[-1][0] == old_version
        os.kill(server.process.pid, signal.SIGHUP)
        hammer.wait_for(lambda answer: answer[2] == old_articles + 1, "the graph reloaded on SIGHUP")
    assert hammer.failures == []
    assert all(len(answers) == 1 for answers in hammer.versions().values())


def test_in_process_reload_pins_each_request_to_one_version(site, make_app):
    settings = Settings(content_dir=site / "content", build_dir=site / "build", query_workers=0)
    app = make_app(content_dir=site / "content", build_dir=site / "build")
    client = app.test_client()
    before = client.get("/api/stats").get_json()
    with app.test_request_context("/api/stats"):
        pinned = app.extensions["mkg"].graph  # a request in flight keeps its version to the end
        (site / "content" / "content-marketing.md").write_text(NEW_ARTICLE, encoding="utf-8")
        report = rebuild(settings, Vocabulary(settings.base_iri))
        assert report.written and reload_app(app) is True
        assert app.extensions["mkg"].graph is pinned and pinned.version == before["version"]
    after = client.get("/api/stats").get_json()
    assert after["version"] == report.version != before["version"]
    assert after["kinds"]["article"] == before["kinds"]["article"] + 1
    assert client.get("/api/concepts/content-marketing").status_code == 200

    (site / "content" / "broken.md").write_text(BROKEN_ARTICLE, encoding="utf-8")
    failed = rebuild(settings, Vocabulary(settings.base_iri))
    assert failed is not None and not failed.written
    assert reload_app(app) is False
    ready = client.get("/ready").get_json()
    assert ready["version"] == report.version and "broken.md" in ready["last_failure"]
    (site / "content" / "broken.md").unlink()
    assert rebuild(settings, Vocabulary(settings.base_iri)) is None  # back to the served content: no build
    assert "last_failure" not in client.get("/ready").get_json()


def test_remote_replicas_follow_a_push_under_load(site, seed_build):
    """Two gunicorn workers on one Oxigraph server: a push is picked up with no failed or mixed answer."""
    from graph.pipeline.build import build
    from graph.push import push_build
    from tests.servers import run_oxigraph_store, serve_remote_app

    _, out = seed_build
    with run_oxigraph_store(site / "oxigraph", site / "oxigraph.log") as store:
        url = "sparql+" + store.url + "/"
        push_build(Settings(store=url, build_dir=out))
        env = {"MKG_BUILD_DIR": str(site / "replica"), "MKG_WATCH_INTERVAL": "0.3"}
        with serve_remote_app(url, site / "replica.log", env=env, workers=2, threads=4) as server, \
                Hammer(server.url) as hammer:
            hammer.wait_for(lambda answer: True, "a first answer")
            old_version, _, old_articles = hammer.answers[-1]
            (site / "content" / "content-marketing.md").write_text(NEW_ARTICLE, encoding="utf-8")
            report = build(site / "content", site / "build")
            assert report.written
            push_build(Settings(store=url, build_dir=site / "build"))
            hammer.wait_for(lambda answer: len(hammer.answers) > 30 and all(
                version == report.version for version, _, _ in hammer.answers[-30:]), "every worker on it")
            converged = len(hammer.answers)
            hammer.wait_for(lambda answer: len(hammer.answers) > converged + 20, "more answers")
    assert hammer.failures == []
    seen = hammer.versions()
    assert set(seen) == {old_version, report.version}
    assert all(len(answers) == 1 for answers in seen.values()), seen
    assert seen[report.version] == {(report.triples, old_articles + 1)}
    assert all(version == report.version for version, _, _ in hammer.answers[converged:])  # none went back
