"""Fault injection: a killed gunicorn worker, runaway queries under load, a full or read-only disk.

After every fault the graph is still whole: the same triple count (by /ready, by a SPARQL COUNT and
in graph.nt) and SHACL still passes. Complements tests/test_sparql_safety.py (one runaway query, one
quick query) and tests/test_build.py (ENOSPC while merging shards).
"""

from __future__ import annotations

import errno
import threading
import time
from pathlib import Path

import pytest
import requests

from graph.cli import main as mkg
from graph.pipeline.build import GRAPH_NT, build, validate_lines
from graph.vocab import Vocabulary
from tests.conftest import CONTENT
from tests.servers import serve_app

pytestmark = pytest.mark.timeout(150)

QUERY_TIMEOUT = 3
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?rows) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o . }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def server(seed_build, tmp_path_factory):
    """`mkg serve` (1 gunicorn worker x 8 threads, 2 query processes, 3 s query timeout) on the seeds."""
    _, out = seed_build
    log = tmp_path_factory.mktemp("faults") / "server.log"
    env = {"MKG_QUERY_TIMEOUT": str(QUERY_TIMEOUT), "MKG_QUERY_WORKERS": "2"}
    with serve_app(out / "graph.nt", log, env=env, workers=1, threads=8) as running:
        yield running


def _roles(server) -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, role) for every live process of the server's process group."""
    found = {}
    for pid in server.processes():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes()
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
        role = ("query" if b"spawn_main" in argv else "tracker" if b"resource_tracker" in argv
                else "master" if pid == server.process.pid else "worker")
        found[pid] = (ppid, role)
    return found


def _wait(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds:g} s: {what}")


def assert_graph_intact(url: str, triples: int) -> None:
    """Same triple count by /ready and by SPARQL (each query process), and SHACL passes."""
    ready = requests.get(url + "/ready", timeout=30).json()
    assert ready["triples"] == triples
    for _ in range(2):  # two query processes take requests in turn
        answer = requests.get(url + "/sparql", params={"query": COUNT}, headers=JSON, timeout=30)
        assert answer.status_code == 200, answer.text
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) == triples
    validation = requests.get(url + "/api/validation", timeout=60).json()
    assert validation["conforms"] is True and validation["counts"]["Violation"] == 0


@pytest.fixture(scope="module")
def triples(seed_build) -> int:
    report, _ = seed_build
    return report.triples


# --- a gunicorn worker killed mid-request ----------------------------------------------------------

def test_worker_killed_mid_request(server, triples):
    import os
    import signal

    outcome: dict = {}

    def slow_request() -> None:
        try:
            outcome["status"] = requests.get(server.url + "/sparql", params={"query": CROSS_PRODUCT},
                                             timeout=60).status_code
        except requests.RequestException as exc:
            outcome["error"] = exc

    client = threading.Thread(target=slow_request)
    client.start()
    time.sleep(0.8)  # the runaway query is now in a query process, its request thread waiting
    before = _roles(server)
    workers = [pid for pid, (_, role) in before.items() if role == "worker"]
    assert len(workers) == 1
    children = {pid for pid, (ppid, _) in before.items() if ppid == workers[0]}
    assert any(before[pid][1] == "query" for pid in children), before
    os.kill(workers[0], signal.SIGKILL)
    client.join(timeout=60)
    # the client learns: the connection drops (or, if anything answered, it is an error status)
    assert "error" in outcome or outcome["status"] >= 500, outcome
    if "error" in outcome:
        assert isinstance(outcome["error"], requests.ConnectionError)

    # the service recovers: a new worker answers, and no process of the killed one is left behind
    _wait(lambda: requests.get(server.url + "/ready", timeout=5).status_code == 200, 60, "ready again")
    roles = _roles(server)
    new_workers = [pid for pid, (_, role) in roles.items() if role == "worker"]
    assert len(new_workers) == 1 and new_workers[0] != workers[0]
    # its query processes (one of them busy with the runaway query) and resource tracker exit with it
    _wait(lambda: not children & set(_roles(server)), 15, f"children of the killed worker gone: {_roles(server)}")
    assert workers[0] not in _roles(server)
    assert_graph_intact(server.url, triples)


# --- runaway queries under load ---------------------------------------------------------------------

LOAD_PATHS = [
    ("/api/concepts/viral-marketing", None),
    ("/api/concepts/social-media/neighbours", {"depth": "2"}),
    ("/api/concepts/viral-marketing/related", None),
    ("/api/search", {"q": "تسويق"}),
    ("/sparql", {"query": "SELECT ?c WHERE { ?c a mkg:Concept } LIMIT 20"}),
]


def test_runaway_queries_time_out_while_other_clients_get_fast_answers(server, triples):
    stop = threading.Event()
    answers: list[tuple[str, int, float]] = []

    def client(offset: int) -> None:
        i = offset
        with requests.Session() as session:  # closed: gunicorn then stops without a graceful wait
            while not stop.is_set():
                path, params = LOAD_PATHS[i % len(LOAD_PATHS)]
                started = time.monotonic()
                status = session.get(server.url + path, params=params, headers=JSON, timeout=30).status_code
                answers.append((path, status, time.monotonic() - started))
                i += 1

    clients = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for thread in clients:
        thread.start()
    runaway = []
    try:
        time.sleep(0.5)
        for _ in range(2):  # the second one runs on the query process that replaced the first one's
            started = time.monotonic()
            response = requests.get(server.url + "/sparql", params={"query": CROSS_PRODUCT}, timeout=60)
            runaway.append((response, time.monotonic() - started))
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=30)
    for response, elapsed in runaway:
        assert response.status_code == 503, response.text
        assert response.json()["type"].endswith("query-timeout") and response.headers["Retry-After"]
        assert elapsed < QUERY_TIMEOUT + 5, elapsed
    assert len(answers) > 20
    assert {status for _, status, _ in answers} == {200}, [a for a in answers if a[1] != 200][:5]
    # nobody waited for the runaway queries: every other answer came well within the query timeout
    slowest = max(answers, key=lambda a: a[2])
    assert slowest[2] < QUERY_TIMEOUT, slowest
    assert {path for path, _, _ in answers} == {path for path, _ in LOAD_PATHS}
    assert_graph_intact(server.url, triples)


# --- a full or read-only disk during the build ------------------------------------------------------

def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _read_only(*args, **kwargs):
    raise OSError(errno.EROFS, "Read-only file system")


def _rename_staging_read_only(monkeypatch) -> None:
    """The final swap fails: build/ cannot be renamed into place (a read-only mount of build/)."""
    real = Path.rename

    def rename(self, target):
        if ".tmp-" in self.name:
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real(self, target)

    monkeypatch.setattr(Path, "rename", rename)


FAULTS = {
    # where the fault hits: (what to patch, replacement, the words the failure must say)
    "disk full while writing graph.nt": ("graph.pipeline.build.merge_shards", _no_space, "No space left on device"),
    "disk full while writing Turtle": ("graph.pipeline.build.convert", _no_space, "No space left on device"),
    "disk full while writing the store": ("graph.pipeline.build.write_disk_store", _no_space, "No space left on device"),
    "disk full while patching the store": ("graph.pipeline.build.patch_store", _no_space, "No space left on device"),
    "read-only: no staging directory": ("graph.pipeline.build.tempfile.mkdtemp", _read_only, "Read-only file system"),
    "read-only: swap refused": (None, _rename_staging_read_only, "Read-only file system"),
}
FULL_BUILDS = {"disk full while writing the store"}  # a full build loads its store; an incremental one patches


def _kept_build_is_whole(out: Path, triples: int, before: dict[str, bytes]) -> None:
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    lines = (out / GRAPH_NT).read_bytes().count(b"\n")
    assert lines == triples
    report, _, _ = validate_lines(out / GRAPH_NT, lines, Vocabulary(), Path(__file__).parents[1] / "ontology")
    assert report.conforms


@pytest.mark.parametrize("fault", list(FAULTS))
def test_build_fault_keeps_the_old_graph(fault, tmp_path, monkeypatch, triples):
    out = tmp_path / "build"
    assert build(CONTENT, out).written
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    target, replacement, words = FAULTS[fault]
    if target is None:
        replacement(monkeypatch)
    else:
        monkeypatch.setattr(target, replacement)
    report = build(CONTENT, out, full=fault in FULL_BUILDS)
    assert not report.written
    assert words in report.failure and "previous build is kept" in report.failure, report.failure
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]  # no staging or .old dir left
    _kept_build_is_whole(out, triples, before)


def test_mkg_build_on_a_full_disk_names_the_problem(tmp_path, monkeypatch, capsys, triples):
    out = tmp_path / "build"
    assert mkg(["build", "--content", str(CONTENT), "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    capsys.readouterr()
    monkeypatch.setattr("graph.pipeline.build.convert", _no_space)
    assert mkg(["build", "--content", str(CONTENT), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "left untouched" in err and "Traceback" not in err
    monkeypatch.undo()
    _kept_build_is_whole(out, triples, before)
