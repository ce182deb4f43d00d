"""SIGTERM stops `mkg serve` cleanly and within 2 s: 20 quick-start runs, each building, serving, answering, stopping.

Each cycle is a first run on a fresh build directory: the gunicorn master builds the seeds and compacts
the on-disk store before forking its workers, the condition under which workers used to hang until
gunicorn's graceful timeout (10 s) or die with SIGSEGV at exit. The client keeps its connection open across
the stop, as a browser or a connection pool does: gunicorn kept such a connection 2 s more when its last
request ended just after the stop began (3 stops of 20 in one CI run took 2.27 s).
"""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

from tests.conftest import CONTENT
from tests.servers import _clean_env, _log_tail, free_port, stop, wait_until

CYCLES = 20
STOP_SECONDS = 2.0  # the bound: a stop takes ~0.5 s here (docs/operations.md)
LATE_STOPS = 2  # stops allowed over it, never over HUNG_SECONDS: on a shared 2-core machine at a load average
HUNG_SECONDS = 5.0  # of 15-20 a process can wait seconds for a core; a hung worker takes graceful_timeout, 10 s
BAD_LOG_LINES = ("SIGSEGV", "SIGKILL", "Traceback", "Exception", "Worker failed", "Error")
ASK = {"query": "ASK { ?s ?p ?o }"}
# a query that runs for a while on the seeds (~0.6 s here): still running when the stop begins
SLOW = {"query": "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f FILTER(STRLEN(STR(?c)) > STRLEN(STR(?f))) }"}
JSON = {"Accept": "application/sparql-results+json"}


def _start(tmp_path: Path, name: str) -> tuple[subprocess.Popen, str, Path]:
    """Start `mkg serve` on the seeds with a fresh build directory; return the process, its URL and its log."""
    port = free_port()
    log = tmp_path / f"serve-{name}.log"
    command = [sys.executable, "-m", "graph.cli", "serve", "--content", str(CONTENT),
               "--build-dir", str(tmp_path / f"build-{name}"), "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=tmp_path, env=_clean_env(None), stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_until(process, lambda: requests.get(url + "/ready", timeout=2).status_code == 200, log)
    return process, url, log


def _assert_clean_stop(status: int, log: Path) -> None:
    """Check the exit status and that the log shows both workers and the master ending, and nothing crashing."""
    text = log.read_text(errors="replace")
    assert status == 0, _log_tail(log)
    assert "Shutting down: Master" in text, _log_tail(log)
    assert text.count("Worker exiting") == 2, _log_tail(log)
    bad = [line for line in text.splitlines() if any(word in line for word in BAD_LOG_LINES)]
    assert bad == [], f"{log.name}: {bad}\n{_log_tail(log)}"


def test_sigterm_stops_the_server_within_2_s_without_a_crash(tmp_path):
    stops = []
    for cycle in range(CYCLES):
        process, url, log = _start(tmp_path, str(cycle))
        try:
            with requests.Session() as client:  # its connection stays open until after the stop
                assert client.get(url + "/api/concepts/viral-marketing", timeout=10).status_code == 200
                answer = client.get(url + "/sparql", params=ASK, headers=JSON, timeout=30)
                assert answer.json()["boolean"] is True  # a query process answered
                started = time.monotonic()
                process.send_signal(signal.SIGTERM)
                status = process.wait(timeout=30)
                stops.append(time.monotonic() - started)
        finally:
            stop(process)
        _assert_clean_stop(status, log)
        assert stops[-1] < HUNG_SECONDS, f"cycle {cycle}: the stop took {stops[-1]:.2f} s\n{_log_tail(log)}"
    late = [round(s, 2) for s in stops if s >= STOP_SECONDS]
    assert len(late) <= LATE_STOPS, f"{len(late)} of {CYCLES} stops took {STOP_SECONDS} s or more: {late}"


def test_a_query_running_when_the_stop_begins_is_answered_then_the_server_stops(tmp_path):
    process, url, log = _start(tmp_path, "in-flight")
    client = http.client.HTTPConnection(urlsplit(url).netloc, timeout=30)  # one connection, kept alive throughout
    try:
        client.request("GET", "/sparql?" + urlencode(ASK), headers=JSON)
        assert json.loads(client.getresponse().read())["boolean"] is True
        client.request("GET", "/sparql?" + urlencode(SLOW), headers=JSON)  # sent in full before the stop
        process.send_signal(signal.SIGTERM)
        answer = client.getresponse()
        body = answer.read()
        answered_at = time.monotonic()
        status = process.wait(timeout=30)
        stopped = time.monotonic()
    finally:
        client.close()
        stop(process)
    _assert_clean_stop(status, log)
    assert answer.status == 200, body[:500]
    assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) > 0
    # the worker ended soon after sending the answer, not after gunicorn's 2 s linger on the kept-alive connection
    assert stopped - answered_at < STOP_SECONDS, f"stopped {stopped - answered_at:.2f} s after answering"
