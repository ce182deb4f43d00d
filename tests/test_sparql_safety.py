"""The endpoint stays read-only, never reaches out, and stops runaway queries — over a real server.

Outbound connections are caught by a local TCP listener named in every SERVICE / LOAD / FROM IRI: it
must receive nothing. A control test shows the same queries do reach it when pyoxigraph evaluates them
unguarded, so the listener's silence means the endpoint refused them before evaluation.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time

import pyoxigraph as ox
import pytest
import requests

from graph.config import Settings
from tests.servers import post_query, serve_app

pytestmark = pytest.mark.timeout(90)

QUERY_TIMEOUT = 2
ASK_TRUE = "ASK { ?s ?p ?o }"
INSERTED = "<urn:example:intruder> <urn:example:says> \"hello\""


class Listener:
    """A TCP server on 127.0.0.1 that records every connection made to it (and what was sent)."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.settimeout(0.02)
        self.port = self._socket.getsockname()[1]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._socket.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.connections.append(conn.recv(4096) or b"(connected, sent nothing)")
                except OSError:
                    self.connections.append(b"(connected)")

    def close(self) -> None:
        """Stop accepting; a connection still waiting in the backlog is recorded too."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join(timeout=5)
        waiting, _, _ = select.select([self._socket], [], [], 0)
        if waiting:
            self.connections.append(b"(connection waiting in the backlog)")
        self._socket.close()


@pytest.fixture
def listener():
    probe = Listener()
    yield probe
    probe.close()


def _graph_state(base_url: str) -> tuple:
    """/ready's version and count, and the triples counted by SPARQL in each query worker process."""
    ready = requests.get(base_url + "/ready", timeout=10).json()
    counts = []
    for _ in range(2):  # the live server's two query workers take requests in turn
        response = requests.get(base_url + "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
                                headers={"Accept": "application/sparql-results+json"}, timeout=30)
        counts.append(int(response.json()["results"]["bindings"][0]["n"]["value"]))
    return ready["version"], ready["triples"], counts


@pytest.fixture
def silent(listener, live_server):
    """The listener, checked to have received nothing, and the graph checked unchanged, after the test."""
    before = _graph_state(live_server)
    assert before[2] == [before[1]] * 2
    yield listener
    listener.close()  # any outbound connection was made while the request was handled, before its answer
    assert listener.connections == [], listener.connections[:1]
    assert _graph_state(live_server) == before


def _send(base_url: str, method: str, text: str, *, name: str = "query", params: dict | None = None,
          body_type: str = "application/sparql-query") -> requests.Response:
    url = base_url + "/sparql"
    params = dict(params or {})
    if method == "get":
        return requests.get(url, params={name: text, **params}, timeout=30)
    if method == "form":
        return requests.post(url, data={name: text, **params}, timeout=30)
    return requests.post(url, params=params, data=text.encode(), headers={"Content-Type": body_type}, timeout=30)


def _assert_refused(response: requests.Response, slugs: tuple[str, ...], statuses=(400,)) -> dict:
    assert response.status_code in statuses, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["type"].rsplit("/", 1)[-1] in slugs, problem
    assert problem["detail"]
    return problem


# --- read-only ---------------------------------------------------------------------------------------

UPDATES = {
    "insert-data": f"INSERT DATA {{ {INSERTED} }}",
    "delete-where": "DELETE WHERE { ?s ?p ?o }",
    "clear": "CLEAR DEFAULT",
    "drop": "DROP ALL",
    "prefixed-insert": f"PREFIX ex: <urn:example:>\nINSERT {{ {INSERTED} }} WHERE {{}}",
}


@pytest.mark.parametrize("update", list(UPDATES))
@pytest.mark.parametrize("method", ["get", "form"])
def test_update_parameter_is_refused(live_server, silent, method, update):
    response = _send(live_server, method, UPDATES[update], name="update")
    _assert_refused(response, ("update-not-allowed",), statuses=(400, 405))


@pytest.mark.parametrize("update", list(UPDATES))
def test_sparql_update_body_is_refused(live_server, silent, update):
    response = _send(live_server, "direct", UPDATES[update], body_type="application/sparql-update")
    _assert_refused(response, ("update-not-allowed",), statuses=(400, 405))


@pytest.mark.parametrize("update", list(UPDATES))
@pytest.mark.parametrize("method", ["get", "form", "direct"])
def test_update_sent_as_a_query_is_refused(live_server, silent, method, update):
    problem = _assert_refused(_send(live_server, method, UPDATES[update]), ("update-not-allowed",))
    assert "read-only" in problem["detail"]


def test_query_and_update_together_are_refused(live_server, silent):
    response = requests.post(live_server + "/sparql", data={"query": ASK_TRUE, "update": UPDATES["drop"]},
                             timeout=30)
    _assert_refused(response, ("update-not-allowed",), statuses=(400, 405))


@pytest.mark.parametrize("body_type", ["application/sparql-query", "application/x-www-form-urlencoded"])
def test_update_parameter_in_the_url_of_a_post_is_refused(live_server, silent, body_type):
    body = ASK_TRUE if body_type == "application/sparql-query" else f"query={requests.utils.quote(ASK_TRUE)}"
    response = requests.post(live_server + "/sparql", params={"update": UPDATES["drop"]}, data=body.encode(),
                             headers={"Content-Type": body_type}, timeout=30)
    _assert_refused(response, ("update-not-allowed",), statuses=(400, 405))


def test_nothing_was_inserted(live_server, silent):
    response = requests.get(live_server + "/sparql", params={"query": f"ASK {{ {INSERTED} }}"},
                            headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert response.json()["boolean"] is False


# --- no outbound connections: SERVICE, LOAD, remote datasets ---------------------------------------

SERVICE_QUERIES = {
    "plain": "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "silent-lowercase": "select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
    "in-optional": "SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?x }} }} }}",
    "variable-endpoint": "SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    "ask": "ASK {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "construct": "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    # text a naive check reads as a comment or a string, but the SPARQL parser reads as code
    "escaped-iri-then-hash": "SELECT * WHERE {{ BIND(<urn:x:\\u0041#> AS ?x) SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "escaped-local-name-hash": "PREFIX ex: <urn:x:>\n"
                               "SELECT * WHERE {{ BIND(ex:a\\#b AS ?x) SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "comment-ended-by-cr": "SELECT * WHERE {{ BIND(1 AS ?x) # note\rSERVICE <{url}> {{ ?s ?p ?o }} }}",
    "less-than-and-apostrophes": "SELECT * WHERE {{ BIND(1 AS ?x) FILTER(?x<'a>' || true) "
                                 "SERVICE <{url}> {{ ?s ?p ?o }} FILTER(?x != '') }}",
}


# Oxigraph 0.5 evaluates `SERVICE ?e` before ?e is bound ("unbound" error), so that one never connects
NOT_CONNECTING_UNGUARDED = {"variable-endpoint"}


def test_listener_catches_what_an_unguarded_engine_sends():
    """Control: evaluated directly by pyoxigraph, the SERVICE queries below do connect out."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.NamedNode("urn:x:o")))
    for name, template in SERVICE_QUERIES.items():
        if name in NOT_CONNECTING_UNGUARDED:
            continue
        probe = Listener()
        try:
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                result = store.query(template.format(url=probe.url(name)))
                if not isinstance(result, ox.QueryBoolean):
                    list(result)
            deadline = time.monotonic() + 5
            while not probe.connections and time.monotonic() < deadline:
                time.sleep(0.05)
            assert probe.connections, f"{name}: pyoxigraph did not connect, the control proves nothing"
            assert f"/{name}".encode() in probe.connections[0]
        finally:
            probe.close()


@pytest.mark.parametrize("name", list(SERVICE_QUERIES))
@pytest.mark.parametrize("method", ["get", "form", "direct"])
def test_service_is_refused_before_evaluation(live_server, silent, method, name):
    query = SERVICE_QUERIES[name].format(url=silent.url(name))
    _assert_refused(_send(live_server, method, query), ("query-refused",))


LOADS = {
    "load": "LOAD <{url}>",
    "load-silent-into": "LOAD SILENT <{url}> INTO GRAPH <urn:example:g>",
}


@pytest.mark.parametrize("name", list(LOADS))
@pytest.mark.parametrize(("method", "param", "body_type"), [
    ("get", "query", None), ("form", "query", None), ("direct", "query", "application/sparql-query"),
    ("get", "update", None), ("form", "update", None), ("direct", "update", "application/sparql-update"),
])
def test_load_is_refused(live_server, silent, method, param, body_type, name):
    text = LOADS[name].format(url=silent.url(name))
    response = _send(live_server, method, text, name=param, body_type=body_type or "application/sparql-query")
    _assert_refused(response, ("update-not-allowed",), statuses=(400, 405))


DATASETS = {
    "from": "SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
    "from-named": "SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "from-prefixed": "PREFIX remote: <{url}>\nSELECT * FROM remote:g WHERE {{ ?s ?p ?o }}",
    "from-after-comment": "SELECT *\nFROM # the remote graph\n  <{url}>\nWHERE {{ ?s ?p ?o }}",
    "ask-from": "ASK FROM <{url}> {{ ?s ?p ?o }}",
    "construct-from": "CONSTRUCT {{ ?s ?p ?o }} FROM <{url}> WHERE {{ ?s ?p ?o }}",
    "describe-from": "DESCRIBE ?s FROM <{url}> WHERE {{ ?s ?p ?o }}",
}


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("method", ["get", "form", "direct"])
def test_remote_from_is_refused(live_server, silent, method, name):
    query = DATASETS[name].format(url=silent.url(name))
    _assert_refused(_send(live_server, method, query), ("query-refused",))


@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
@pytest.mark.parametrize("method", ["get", "form", "direct"])
def test_dataset_parameters_are_refused(live_server, silent, method, param):
    response = _send(live_server, method, ASK_TRUE, params={param: silent.url(param)})
    problem = _assert_refused(response, ("dataset-not-supported",))
    assert problem["parameter"] == param


HARMLESS = {
    "words-in-literal-and-comment": 'SELECT ?x WHERE {{ BIND("SERVICE <{url}> {{ }} LOAD FROM" AS ?x) }} # SERVICE <{url}>',
    "comparison-with-apostrophes": "SELECT ?x WHERE {{ BIND(1 AS ?x) FILTER(?x < 'b' || ?x > 'a' || true) }}",
    "iri-with-fragment-and-escape": "SELECT ?x WHERE {{ BIND(<urn:x:\\u0041#frag> AS ?x) }}",
    "escaped-local-name": "PREFIX ex: <urn:x:>\nSELECT ?x WHERE {{ BIND(ex:a\\#b AS ?x) }}",
    "crlf-line-ends": "SELECT ?x\r\nWHERE {{ # comment\r\n  BIND(<{url}> AS ?x)\r\n}}",
    "graph-pattern-on-an-iri": "SELECT * WHERE {{ GRAPH <{url}> {{ ?s ?p ?o }} }}",
}


@pytest.mark.parametrize("name", list(HARMLESS))
def test_harmless_lookalikes_are_answered(live_server, silent, name):
    query = HARMLESS[name].format(url=silent.url(name))
    response = requests.get(live_server + "/sparql", params={"query": query}, timeout=30)
    assert response.status_code == 200, response.text


# --- runaway queries ---------------------------------------------------------------------------------

CROSS_PRODUCT = """SELECT (COUNT(*) AS ?rows) WHERE {
  ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n ?o .
}"""


@pytest.fixture(scope="module")
def timeout_server(seed_build, tmp_path_factory):
    """`mkg serve` with a 2 s query timeout and two query worker processes."""
    _, out = seed_build
    log = tmp_path_factory.mktemp("timeout-server") / "server.log"
    env = {"MKG_QUERY_TIMEOUT": str(QUERY_TIMEOUT), "MKG_QUERY_WORKERS": "2"}
    with serve_app(out / "graph.nt", log, env=env, threads=8) as server:
        yield server


def _query_workers(server) -> set[int]:
    found = set()
    for pid in server.processes():
        with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as handle:
            if b"spawn_main" in handle.read():
                found.add(pid)
    return found


def test_default_query_timeout_is_ten_seconds():
    assert Settings().query_timeout == 10


def test_runaway_query_is_stopped_in_time_while_others_are_served(timeout_server, seed_graph):
    url = timeout_server.url + "/sparql"
    workers_before = _query_workers(timeout_server)
    assert len(workers_before) == 2
    slow: dict = {}

    def run_slow() -> None:
        started = time.monotonic()
        slow["response"] = requests.get(url, params={"query": CROSS_PRODUCT}, timeout=60)
        slow["elapsed"] = time.monotonic() - started
        slow["finished"] = time.monotonic()

    thread = threading.Thread(target=run_slow)
    thread.start()
    try:
        time.sleep(0.5)  # let the runaway query reach its worker
        quick = requests.get(url, params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                             headers={"Accept": "application/sparql-results+json"}, timeout=30)
        quick_finished = time.monotonic()
        assert quick.status_code == 200, quick.text
        count = quick.json()["results"]["bindings"][0]["n"]["value"]
        assert int(count) == len(seed_graph)
    finally:
        thread.join(timeout=60)
    assert quick_finished < slow["finished"], "the simple query waited for the runaway one"

    response = slow["response"]
    problem = _assert_refused(response, ("query-timeout",), statuses=(503,))
    assert slow["elapsed"] <= QUERY_TIMEOUT + 5, slow["elapsed"]  # stopped by the timeout, with room for a busy machine
    assert problem["timeout"] == QUERY_TIMEOUT
    assert response.headers["Retry-After"]
    # the worker that ran it was killed, not left computing
    assert workers_before - _query_workers(timeout_server)

    after = requests.get(url, params={"query": ASK_TRUE}, headers={"Accept": "application/sparql-results+json"},
                         timeout=30)
    assert after.status_code == 200 and after.json()["boolean"] is True
    assert requests.get(timeout_server.url + "/ready", timeout=10).status_code == 200


def test_the_pool_recovers_after_a_timeout(timeout_server):
    """After the killed worker is replaced, two queries at once are both answered."""
    url = timeout_server.url + "/sparql"
    deadline = time.monotonic() + 30
    while len(_query_workers(timeout_server)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_query_workers(timeout_server)) == 2
    results: list[int] = []

    def ask() -> None:
        results.append(requests.get(url, params={"query": ASK_TRUE}, timeout=30).status_code)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [200] * 4


# pyoxigraph plans a query while parsing it; planning grows steeply with the number of triple patterns
PLANNING_BOMB = "SELECT * WHERE { " + "?s ?p ?o . " * 256 + "} LIMIT 1"


def test_a_query_that_takes_long_to_plan_is_stopped_by_the_timeout_too(timeout_server):
    """Parsing and planning happen in the killable query process, not in the request thread."""
    url = timeout_server.url + "/sparql"
    started = time.monotonic()
    response = requests.post(url, data={"query": PLANNING_BOMB}, timeout=120)
    elapsed = time.monotonic() - started
    _assert_refused(response, ("query-timeout",), statuses=(503,))
    assert elapsed <= QUERY_TIMEOUT + 5, f"planning ran unbounded for {elapsed:.1f} s"
    syntax = requests.get(url, params={"query": "SELECT * WHERE { ?s ?p }"}, timeout=30)
    problem = _assert_refused(syntax, ("syntax-error",), statuses=(400,))
    assert problem["line"] == 1 and problem["column"] >= 1


def test_a_client_whose_queries_keep_timing_out_is_throttled(timeout_server):
    """Each timeout kills a query process: after three within a minute the client gets 429, others do not."""
    for _ in range(3):
        assert post_query(timeout_server.url, CROSS_PRODUCT, source="127.0.0.7")[0] == 503
    status, headers, problem = post_query(timeout_server.url, ASK_TRUE, source="127.0.0.7")
    assert status == 429 and 0 < int(headers["Retry-After"]) <= 61, problem
    assert post_query(timeout_server.url, ASK_TRUE, source="127.0.0.8")[0] == 200
