"""Virtuoso behind `--store`: where its answers differ, handled by graph.store.dialect.Virtuoso, on a real server.

The rest runs on Virtuoso too: the API suite (`backend` = virtuoso), parity (test_remote_store.py), push,
switch and prune (test_push.py), the store going away (test_store_down.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from api import create_app
from graph.cli import main
from graph.config import Settings, load_settings
from graph.push import PushFailed, push_build, push_graph
from graph.store.dialect import StoreLimit, StoreUnavailable, Virtuoso
from graph.store.pool import QueryFailed, QueryTimeout
from graph.store.remote import RESULTS_JSON, RemoteClient, RemoteStore
from graph.vocab import Vocabulary
from tests.conftest import VIRTUOSO_PASSWORD, virtuoso_url

BASE = Vocabulary().base
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
CROSS_JOIN = "SELECT ?a ?b WHERE { ?a ?p ?o . ?b ?q ?r }"  # 562 x 562 rows: beyond ResultSetMaxRows (10,000)


@pytest.fixture(scope="module")
def store(virtuoso_store):
    vocab = Vocabulary()
    opened = RemoteStore.open_current(RemoteClient.from_settings(Settings(store=virtuoso_store)), vocab.base,
                                      prefixes=vocab.prefixes())
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def app_client(virtuoso_store, tmp_path_factory):
    app = create_app(Settings(store=virtuoso_store, build_dir=tmp_path_factory.mktemp("virtuoso-app"),
                              query_workers=0))
    yield app.test_client()
    app.extensions["mkg"].close()


def _odd_graph(tmp_path: Path) -> Path:
    path = tmp_path / "odd.nt"
    path.write_text('_:a <urn:p> "x" .\n<urn:s> <urn:q> _:a .\n'
                    f'<urn:s> <urn:flag> "true"^^<{XSD_BOOLEAN}> .\n<urn:s> <urn:flag> "false"^^<{XSD_BOOLEAN}> .\n'
                    '<urn:s> <urn:n> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .\n', encoding="utf-8")
    return path


def test_virtuoso_blank_nodes_and_booleans_read_as_rdf(virtuoso_scratch, tmp_path):
    """Virtuoso's JSON says "nodeID://b10000", "1"/"0" for booleans and "typed-literal": we read RDF terms."""
    client = RemoteClient.from_settings(Settings(store=virtuoso_scratch))
    pushed = push_graph(_odd_graph(tmp_path), "odd", client, BASE)
    raw = requests.post(client.query_url, data={"query": "SELECT ?o WHERE { ?s ?p ?o }",
                                                "default-graph-uri": pushed.graph_iri},
                        headers={"Accept": RESULTS_JSON}, timeout=30).text
    assert "nodeID://" in raw and '"typed-literal"' in raw and '"value": "1"' in raw  # what the dialect meets

    store = RemoteStore(client, version="odd", graph_iri=pushed.graph_iri)
    flags = store.select("SELECT ?f WHERE { <urn:s> <urn:flag> ?f }")
    assert sorted(row["f"].value for row in flags) == ["false", "true"]
    assert {row["f"].datatype.value for row in flags} == {XSD_BOOLEAN}
    node = store.select("SELECT ?b WHERE { <urn:s> <urn:q> ?b }")[0]["b"]
    assert isinstance(node, ox.BlankNode)
    assert store.select("SELECT ?x WHERE { ?b <urn:p> ?x }")[0]["x"] == ox.Literal("x")

    output = store.protocol_query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "json", max_rows=100, timeout=10)
    body = json.loads(output.body)
    terms = [term for row in body["results"]["bindings"] for term in row.values()]
    assert {t["type"] for t in terms} == {"uri", "bnode", "literal"} and output.rows == 5
    assert sorted(t["value"] for t in terms if t.get("datatype") == XSD_BOOLEAN) == ["false", "true"]
    assert not any(t["value"].startswith("nodeID:") for t in terms)
    ntriples = store.protocol_query("CONSTRUCT WHERE { ?s ?p ?o }", "ntriples", max_rows=100, timeout=10)
    assert len(set(ox.parse(ntriples.body, format=ox.RdfFormat.N_TRIPLES))) == 5


def test_virtuoso_partial_anytime_answer_is_a_timeout(virtuoso_store, store):
    """Past its time limit Virtuoso answers 200 with the rows found so far: never passed on as an answer."""
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?o . ?b ?q ?r . ?c ?x ?y . ?d ?e ?f FILTER(STR(?y) != STR(?f)) }"
    partial = requests.post(store.client.query_url, timeout=60, headers={"Accept": RESULTS_JSON},
                            data={"query": heavy, "default-graph-uri": store.graph_iri, "timeout": "500"})
    assert partial.status_code == 200 and partial.headers["X-SQL-State"] == "S1TAT"  # 200: as if it were whole
    with pytest.raises(QueryTimeout, match="partial answer"):
        Virtuoso().check(partial)
    with pytest.raises(QueryTimeout):  # and through the client, whichever stops first
        store.protocol_query(heavy, "json", max_rows=10, timeout=1.0)


def test_virtuoso_row_cap_cuts_user_answers_and_fails_whole_ones(store):
    """ResultSetMaxRows (10,000 here) cuts a user's answer, said so; an internal answer that must be whole fails."""
    with pytest.raises(StoreLimit, match="ResultSetMaxRows"):
        store.select(CROSS_JOIN)
    output = store.protocol_query(CROSS_JOIN, "csv", max_rows=50_000, timeout=30)
    assert output.truncated and output.rows == 10_000
    capped = store.protocol_query(CROSS_JOIN, "json", max_rows=25, timeout=30)  # maxrows=26 asked of Virtuoso
    assert capped.truncated and capped.rows == 25


def test_virtuoso_define_pragmas_never_reach_it(app_client, store):
    """A `define` could point the query at another graph or fetch (get:soft): refused before it is sent."""
    query = "define input:default-graph-uri <https://marketing-kg.example/graph/control> SELECT * WHERE { ?s ?p ?o }"
    response = app_client.get("/sparql", query_string={"query": query})
    assert response.status_code == 400 and response.get_json()["type"].endswith("/query-refused")


@pytest.mark.parametrize("query", [
    'SELECT (bif:sprintf("%s", "x") AS ?x) WHERE { }',
    'SELECT (<bif:sprintf>("%s", "x") AS ?x) WHERE { }',
    'SELECT (<sql:sprintf>("%s", "x") AS ?x) WHERE { }',
    "SELECT ?x WHERE { VALUES ?x { " + " ".join(f"<urn:x:{i}>" for i in range(1001)) + " } }",
])
def test_virtuoso_extensions_and_oversized_values_are_refused(app_client, query):
    response = app_client.get("/sparql", query_string={"query": query})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.get_json()["type"].endswith("/syntax-error")
    assert "Virtuoso" in response.get_json()["detail"]


def test_virtuoso_values_blocks_within_the_limit_answer_as_embedded(app_client, seed_build):
    rows = " ".join(f'(<urn:x:{i}> "{i}")' for i in range(999)) + " (concept:viral-marketing skos:prefLabel)"
    query = f"SELECT ?p ?l WHERE {{ VALUES (?c ?p) {{ {rows} }} ?c ?p ?l }} ORDER BY LANG(?l)"
    answer = app_client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"})
    assert answer.status_code == 200, answer.data[:300]
    embedded = create_app(Settings(graph_file=seed_build[1] / "graph.nt", query_workers=1))
    try:
        ours = embedded.test_client().get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"})
    finally:
        embedded.extensions["mkg"].close()
    assert answer.data == ours.data and answer.data.count(b"\r\n") == 3  # the header and two labels


def test_virtuoso_refusals_are_query_errors_not_an_unavailable_store(store):
    """Virtuoso answers 500 for a query it cannot run: that is the query's fault (QueryFailed), not a 503."""
    with pytest.raises(QueryFailed) as failed:  # "SR353: Sorted TOP clause specifies more then … rows to sort"
        store.protocol_query(CROSS_JOIN + " ORDER BY ?a ?b OFFSET 20000 LIMIT 5", "json", max_rows=10, timeout=30)
    assert failed.value.kind == "error" and "SR353" in str(failed.value) and "SPARQL query:" not in str(failed.value)
    with pytest.raises(QueryFailed) as syntax:
        store.protocol_query("SELECT ?s WHERE { ?s ?p }", "json", max_rows=10, timeout=30)
    assert syntax.value.kind == "syntax" and "define" not in str(syntax.value)


def test_virtuoso_graphs_of_other_versions_stay_hidden(store):
    """With default-graph-uri alone Virtuoso lets GRAPH ?g see every graph: the dialect names an empty set."""
    rows = store.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert rows == []
    everything = requests.post(store.client.query_url, timeout=30, headers={"Accept": RESULTS_JSON},
                               data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                                     "default-graph-uri": store.graph_iri}).json()
    assert len(everything["results"]["bindings"]) > 2  # the version, the control graph, Virtuoso's own


# --- credentials: settings, environment or URL; never in an answer, an error or a log ----------------------


def test_virtuoso_writes_need_the_password_and_never_show_it(virtuoso_scratch, tmp_path, capsys):
    graph = _odd_graph(tmp_path)
    no_credentials = virtuoso_scratch.replace(f"dba:{VIRTUOSO_PASSWORD}@", "")
    wrong = virtuoso_scratch.replace(VIRTUOSO_PASSWORD, "not-the-password")
    for url in (no_credentials, wrong):
        with pytest.raises(PushFailed, match="refused the credentials") as refused:
            push_build(Settings(store=url), graph_file=graph)
        assert "not-the-password" not in str(refused.value)
    assert main(["push", wrong, "--graph", str(graph)]) == 1
    assert "refused the credentials" in capsys.readouterr().err and "not-the-password" not in capsys.readouterr().err

    config = tmp_path / "mkg.toml"
    config.write_text(f'store = "{no_credentials}"\nstore_user = "dba"\n', encoding="utf-8")
    settings = load_settings(config, environ={"MKG_STORE_PASSWORD": VIRTUOSO_PASSWORD})
    assert push_build(settings, graph_file=graph).version and VIRTUOSO_PASSWORD not in repr(settings)
    client = RemoteClient.from_settings(settings)
    assert VIRTUOSO_PASSWORD not in repr(client) + client.query_url + client.update_url + str(client.data_url)


def test_virtuoso_password_is_in_no_answer_of_the_service(app_client):
    for path in ("/ready", "/sparql", "/api/stats", "/openapi.json", "/"):
        response = app_client.get(path, headers={"Accept": "text/turtle" if path == "/sparql" else "*/*"})
        assert response.status_code == 200, path
        assert VIRTUOSO_PASSWORD.encode() not in response.data and b"dba:" not in response.data, path


def test_virtuoso_server_started_by_the_tests_keeps_its_own_password(virtuoso_scratch_server):
    """The fixture's Virtuoso does not take the default dba/dba: a store set up here is never open by default."""
    url = virtuoso_url(virtuoso_scratch_server, password="dba")
    with pytest.raises(StoreUnavailable, match="refused the credentials"):
        RemoteClient.from_settings(Settings(store=url)).update("INSERT DATA { GRAPH <urn:t> { <urn:a> <urn:b> 1 } }")


def test_virtuoso_endpoints_and_digest_auth_follow_the_url_scheme():
    client = RemoteClient.from_settings(Settings(store="virtuoso+https://db:8890/", store_user="dba",
                                                 store_password="pw"))
    assert (client.query_url, client.update_url, client.data_url) == (
        "https://db:8890/sparql", "https://db:8890/sparql-auth", "https://db:8890/sparql-graph-crud-auth")
    assert isinstance(client.dialect, Virtuoso) and client.dialect.graph_param == "graph-uri"
    assert isinstance(client.dialect.auth(client.auth), requests.auth.HTTPDigestAuth)
    oxigraph = RemoteClient.from_settings(Settings(store="sparql+http://db:7878/", store_user="u", store_password="p"))
    assert isinstance(oxigraph.dialect.auth(oxigraph.auth), requests.auth.HTTPBasicAuth)
    with pytest.raises(ValueError, match="virtuoso"):
        RemoteClient.from_settings(Settings(store="mysql://db/"))
