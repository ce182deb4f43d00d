"""Request headers are bounded: refused when too large, and never a lever on memory or CPU.

gunicorn caps the count and size of header fields and the request line; the app caps the headers' total
and the headers it parses (431). Answer-cache keys are hashes counted in the cache budget, so unique large
headers cost no more memory than unique small ones.
"""

from __future__ import annotations

import gc
import http.client
import tracemalloc

import pytest

from api.limits import MAX_HEADER_BYTES, MAX_PARSED_HEADER_BYTES

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def app(seed_build, make_app):
    return make_app(graph_file=seed_build[1] / "graph.nt")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.mark.parametrize("header", ["Accept", "Accept-Language", "Accept-Encoding", "If-None-Match", "Origin"])
def test_a_parsed_header_over_its_limit_is_431(client, header):
    response = client.get("/api/concepts", headers={header: "x" * (MAX_PARSED_HEADER_BYTES + 1)})
    assert response.status_code == 431
    assert response.mimetype == "application/problem+json"
    assert header in response.get_json()["detail"]


def test_headers_over_the_total_limit_are_431(client):
    headers = {f"X-Extra-{i}": "y" * 4000 for i in range(MAX_HEADER_BYTES // 4000 + 1)}
    response = client.get("/sparql", query_string={"query": "ASK {}"}, headers=headers)
    assert response.status_code == 431 and "in all" in response.get_json()["detail"]


def test_headers_within_the_limits_are_served(client):
    headers = {"Accept": "application/json;q=0.9, " * 100, "X-Extra": "z" * 8000}
    assert client.get("/api/concepts", headers=headers).status_code == 200


def _retained_per_request(client, header_bytes: int, count: int, phase: str) -> float:
    """Return the memory (bytes) the app keeps per REST look-up sent with unique headers of header_bytes."""
    slugs = [item["slug"] for item in client.get("/api/concepts?limit=50").get_json()["items"]]
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(count):
        unique = f"{phase}-{i:06d}-"
        headers = {"Accept-Language": "en-" + unique.ljust(header_bytes, "a")[:header_bytes],
                   "Origin": "https://" + unique.ljust(header_bytes, "o")[:header_bytes]}
        assert client.get(f"/api/concepts/{slugs[i % len(slugs)]}?lang=en", headers=headers).status_code == 200
    gc.collect()
    return (tracemalloc.get_traced_memory()[0] - before) / count


def test_unique_large_headers_keep_no_more_memory_than_small_ones(client):
    tracemalloc.start()
    try:
        _retained_per_request(client, 16, 300, "w")  # warm: first answers, lazily built indexes
        small = _retained_per_request(client, 16, 1500, "s")
        large = _retained_per_request(client, 3900, 1500, "l")
    finally:
        tracemalloc.stop()
    # each unique request keeps one answer (a hashed key, the body, its headers) until the budget is reached;
    # the request's headers are not kept: ~8 KB of them per request cost what 32 bytes do
    assert large - small < 256, (small, large)


def test_an_answer_cache_stays_within_its_budget_keys_included():
    from api.answer_cache import AnswerCache

    budget = 256 * 1024
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        cache = AnswerCache(lambda: None, None, budget)
        for i in range(5000):  # 5,000 unique 2 KB keys with 100-byte values: 10 MB of keys
            cache.put(f"{i:06d}".ljust(2048, "k"), b"v" * 100, 100)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 2 * budget, held
    assert cache.get(f"{4999:06d}".ljust(2048, "k")) == b"v" * 100  # the newest are kept
    assert cache.get(f"{0:06d}".ljust(2048, "k")) is None  # the oldest made room


# --- gunicorn's own limits, over a live server -------------------------------------------------------


def _raw(url: str, path: str, headers: list[tuple[str, str]]) -> int:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        return conn.getresponse().status
    except (ConnectionError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


@pytest.mark.parametrize("backend", ["embedded"], indirect=True)
def test_gunicorn_bounds_header_count_field_size_and_request_line(live_server):
    assert _raw(live_server, "/health", [("X-A", "b")]) == 200
    assert _raw(live_server, "/health", [(f"X-{i}", "b") for i in range(40)]) in (400, 431)
    assert _raw(live_server, "/health", [("Accept", "a" * 9000)]) in (400, 431)
    assert _raw(live_server, "/health", [("Accept", "text/html;q=0.1, " * 470)] * 95) in (400, 431)
    assert _raw(live_server, "/health?" + "q" * 9000, []) == 414
    assert _raw(live_server, "/health?" + "q" * 7000, []) == 200  # a SPARQL GET of a few kilobytes still fits
