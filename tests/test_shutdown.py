"""SIGTERM stops `mkg serve` cleanly and within 2 s: 20 quick-start runs, each building, serving, answering, stopping.

Each cycle is a first run on a fresh build directory: the gunicorn master builds the seeds and compacts
the on-disk store before forking its workers, the condition under which workers used to hang until
gunicorn's graceful timeout (10 s) or die with SIGSEGV at exit.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import requests

from tests.conftest import CONTENT
from tests.servers import _clean_env, _log_tail, free_port, stop, wait_until

CYCLES = 20
STOP_SECONDS = 2.0  # the bound: a stop takes ~0.5 s here (docs/operations.md)
LATE_STOPS = 2  # stops allowed over it, never over HUNG_SECONDS: on a shared 2-core machine at a load average
HUNG_SECONDS = 5.0  # of 15-20 a process can wait seconds for a core; a hung worker takes graceful_timeout, 10 s
BAD_LOG_LINES = ("SIGSEGV", "SIGKILL", "Traceback", "Exception", "Worker failed", "Error")


def test_sigterm_stops_the_server_within_2_s_without_a_crash(tmp_path):
    stops = []
    for cycle in range(CYCLES):
        port = free_port()
        log = tmp_path / f"serve-{cycle}.log"
        command = [sys.executable, "-m", "graph.cli", "serve", "--content", str(CONTENT),
                   "--build-dir", str(tmp_path / f"build-{cycle}"), "--host", "127.0.0.1", "--port", str(port)]
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=tmp_path, env=_clean_env(None), stdout=out,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until(process, lambda url=url: requests.get(url + "/ready", timeout=2).status_code == 200, log)
            assert requests.get(url + "/api/concepts/viral-marketing", timeout=10).status_code == 200
            answer = requests.get(url + "/sparql", params={"query": "ASK { ?s ?p ?o }"},
                                  headers={"Accept": "application/sparql-results+json"}, timeout=30)
            assert answer.json()["boolean"] is True  # a query process answered
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            status = process.wait(timeout=30)
            stops.append(time.monotonic() - started)
        finally:
            stop(process)
        text = log.read_text(errors="replace")
        assert status == 0, _log_tail(log)
        assert "Shutting down: Master" in text, _log_tail(log)
        assert text.count("Worker exiting") == 2, _log_tail(log)
        bad = [line for line in text.splitlines() if any(word in line for word in BAD_LOG_LINES)]
        assert bad == [], f"cycle {cycle}: {bad}\n{_log_tail(log)}"
        assert stops[-1] < HUNG_SECONDS, f"cycle {cycle}: the stop took {stops[-1]:.2f} s\n{_log_tail(log)}"
    late = [round(s, 2) for s in stops if s >= STOP_SECONDS]
    assert len(late) <= LATE_STOPS, f"{len(late)} of {CYCLES} stops took {STOP_SECONDS} s or more: {late}"
