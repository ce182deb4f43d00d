"""Soak: 60 s of 16 concurrent clients on a mixed workload against `mkg serve` (gunicorn, 2 x 4).

Every answer must be a 200 or a 304 (no 5xx, no other status), no connection may fail, and the
service's memory (summed RSS of its process tree, sampled every second) must show no growth trend:
the median of the last third of the samples may exceed the median of the first third by at most
MEMORY_GROWTH. Every distinct request is sent once before the clock starts, so lazily built indexes
and per-concept caches are already filled. Deselect locally with `pytest -m "not soak"`; CI runs it.
"""

from __future__ import annotations

import http.client
import re
import statistics
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest
import requests

from bench.corpus import generate
from graph.pipeline.build import build
from tests.servers import serve_app

pytestmark = [pytest.mark.soak, pytest.mark.timeout(240)]

CLIENTS = 16
DURATION_S = 60.0
ARTICLES = 300
MEMORY_GROWTH = 0.05  # last-third median over first-third median (measured: 556 MB -> 556 MB)
SAMPLE_EVERY_S = 1.0
PREFIXES = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\nPREFIX mkg: <https://marketing-kg.example/ontology#>\n"
SELECT = PREFIXES + """SELECT ?target ?label WHERE {
  ?c mkg:slug %s ; mkg:linksTo ?target . ?target skos:prefLabel ?label .
} ORDER BY ?target ?label LIMIT 100"""
CONSTRUCT = PREFIXES + "CONSTRUCT { ?c ?p ?o } WHERE { ?c mkg:slug %s ; ?p ?o }"


@pytest.fixture(scope="module")
def corpus_graph(tmp_path_factory) -> Path:
    """A generated corpus of ARTICLES articles, built: more variety than the two seeds."""
    where = tmp_path_factory.mktemp("soak")
    generate(ARTICLES, where / "content", seed=1)
    report = build(where / "content", where / "build")
    assert report.written, report.failure
    return where / "build" / "graph.nt"


def _slugs(base: str, count: int) -> list[str]:
    items = requests.get(base + "/api/concepts", params={"kind": "article", "limit": 500}, timeout=30).json()["items"]
    step = max(1, len(items) // count)
    return [item["slug"] for item in items[::step]][:count]


def _workload(base: str) -> list[tuple[str, dict[str, str]]]:
    """Every request the clients rotate over: REST, SPARQL SELECT/CONSTRUCT, Linked Data and exports."""
    json_accept = {"Accept": "application/json"}
    requests_: list[tuple[str, dict[str, str]]] = []
    for slug in _slugs(base, 40):
        quoted, literal = urllib.parse.quote(slug, safe=""), '"' + slug.replace('"', "") + '"'
        requests_ += [
            (f"/api/concepts/{quoted}", json_accept),
            (f"/api/concepts/{quoted}/neighbours?depth=2&direction=both", json_accept),
            (f"/api/concepts/{quoted}/related?limit=10", json_accept),
            ("/api/search?" + urllib.parse.urlencode({"q": slug.split("-")[0], "limit": 10}), json_accept),
            ("/sparql?" + urllib.parse.urlencode({"query": SELECT % literal}),
             {"Accept": "application/sparql-results+json"}),
            ("/sparql?" + urllib.parse.urlencode({"query": CONSTRUCT % literal}), {"Accept": "text/turtle"}),
            (f"/concept/{quoted}", {"Accept": "text/turtle"}),
        ]
    requests_ += [("/export/graph.ttl", {}), ("/api/stats", json_accept), ("/api/keywords", json_accept)]
    # Linked Data and exports count when this build serves them (a 404 route is dropped from the mix)
    available = []
    for path, headers in requests_:
        status = requests.get(base + path, headers=headers, timeout=60).status_code
        assert status < 500, (path, status)
        if status == 200:
            available.append((path, headers))
    return available


def _tree_rss_mb(server) -> float:
    total = 0
    for pid in server.processes():
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total * 4096 / 2**20


def test_sixty_seconds_of_sixteen_clients(corpus_graph, tmp_path):
    with serve_app(corpus_graph, tmp_path / "server.log", {"MKG_ACCESS_LOG": "-"}, workers=2,
                   threads=4) as server:
        workload = _workload(server.url)  # also the warm-up: every distinct request once
        kinds = {path.split("?")[0].split("/")[1] for path, _ in workload}
        assert {"api", "sparql"} <= kinds and len(workload) >= 200, kinds
        port = int(server.url.rsplit(":", 1)[1])
        statuses: Counter = Counter()
        errors: list[str] = []
        samples: list[float] = []
        lock = threading.Lock()
        deadline = time.monotonic() + DURATION_S

        def client(offset: int) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            seen: Counter = Counter()
            i = offset * 13
            try:
                while time.monotonic() < deadline:
                    path, headers = workload[i % len(workload)]
                    i += 1
                    try:
                        connection.request("GET", path, headers=headers)
                        response = connection.getresponse()
                        response.read()
                        seen[response.status] += 1
                        if response.getheader("Connection", "").lower() == "close":
                            connection.close()
                    except (OSError, http.client.HTTPException) as exc:
                        with lock:
                            errors.append(f"{path}: {type(exc).__name__}: {exc}")
                        connection.close()
            finally:
                connection.close()
                with lock:
                    statuses.update(seen)

        def sampler() -> None:
            while time.monotonic() < deadline:
                samples.append(_tree_rss_mb(server))
                time.sleep(SAMPLE_EVERY_S)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        threads.append(threading.Thread(target=sampler))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DURATION_S + 60)
        assert server.process.poll() is None, "the server died under load"
        log = server.log.read_text(errors="replace")

    total = sum(statuses.values())
    assert errors == [], f"{len(errors)} connection errors, first: {errors[:3]}"
    assert set(statuses) <= {200, 304}, statuses
    assert total >= CLIENTS * 10, statuses  # the clients really ran
    assert len(re.findall(r'HTTP/1\.[01]" (?:200|304) ', log)) >= total  # the access log asked for
    # /ready answers 503 until the query processes are up: the start-up probe's, not an answer under load
    assert not re.search(r'"(?!GET /ready )[^"]*" 5\d\d ', log), "a 5xx in the access log"
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log
    third = len(samples) // 3
    assert third >= 10, samples
    first, last = statistics.median(samples[:third]), statistics.median(samples[-third:])
    print(f"soak: {total} answers {dict(statuses)} in {DURATION_S:g} s; tree RSS median {first:.0f} MB in the "
          f"first third, {last:.0f} MB in the last")
    assert last <= first * (1 + MEMORY_GROWTH), (
        f"memory grew from {first:.0f} MB to {last:.0f} MB (samples: {[round(s) for s in samples]})")
