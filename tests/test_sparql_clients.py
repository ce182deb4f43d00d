"""Real clients over a real server: SPARQLWrapper and rdflib's SPARQLStore against `mkg serve` (gunicorn)."""

from __future__ import annotations

import json
import warnings

import pytest
import requests
from rdflib import Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, GET, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, URLENCODED, XML
from SPARQLWrapper import SPARQLWrapper as Wrapper

from graph.vocab import Vocabulary
from tests.servers import (
    PREFIXES,
    SELECT_LABELS,
    lossy_csv,
    media_type,
    parse_boolean,
    parse_graph,
    parse_solutions,
)

pytestmark = pytest.mark.timeout(60)

MKG = Vocabulary().MKG
ASK_TRUE = PREFIXES + "ASK { ?concept a mkg:Concept ; mkg:linksTo ?other }"
CONSTRUCT_LINKS = PREFIXES + """CONSTRUCT { ?a mkg:linksTo ?b . ?b skos:prefLabel ?label }
WHERE { ?a mkg:linksTo ?b . OPTIONAL { ?b skos:prefLabel ?label } }"""

METHODS = {
    "get": (GET, URLENCODED),
    "post-form": (POST, URLENCODED),
    "post-direct": (POST, POSTDIRECTLY),
}
# SPARQLWrapper has no N-Triples constant: ask for it by Accept and read it as N3 (a superset)
GRAPH_FORMATS = {
    "turtle": (TURTLE, None, "text/turtle"),
    "ntriples": (N3, "application/n-triples", "application/n-triples"),
    "jsonld": (JSONLD, None, "application/ld+json"),
    "rdfxml": (RDFXML, None, "application/rdf+xml"),
    "xml": (XML, None, "application/rdf+xml"),
}
SOLUTION_FORMATS = {
    JSON: "application/sparql-results+json",
    XML: "application/sparql-results+xml",
    CSV: "text/csv",
    TSV: "text/tab-separated-values",
}


def _wrapper(live_server: str, method: str, query: str, fmt: str, *, conneg_only: bool,
             accept: str | None = None) -> Wrapper:
    client = Wrapper(live_server + "/sparql", agent="marketing-kg-tests")
    http_method, request_method = METHODS[method]
    client.setMethod(http_method)
    client.setRequestMethod(request_method)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setOnlyConneg(conneg_only)  # False: SPARQLWrapper also sends format=/output=/results= parameters
    client.setTimeout(30)
    if accept:
        client.addCustomHttpHeader("Accept", accept)
    return client


def _run(client: Wrapper):
    """Query, check the answer's Content-Type, and return (converted answer, bare media type)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # SPARQLWrapper warns when the type is not the asked one
        result = client.query()
        content_type = result.info()["content-type"]
        assert "charset=utf-8" in content_type
        return result.convert(), media_type(content_type)


def _as_graph(converted) -> Graph:
    if isinstance(converted, bytes):
        return Graph().parse(data=converted, format="turtle")
    graph = Graph()
    for triple in converted.triples((None, None, None)):
        graph.add(triple)
    return graph


@pytest.fixture(scope="module")
def expected_labels(seed_graph):
    return {(row.concept, row.label) for row in seed_graph.query(SELECT_LABELS)}


@pytest.fixture(scope="module")
def expected_links(seed_graph):
    graph = seed_graph.query(CONSTRUCT_LINKS).graph
    assert len(graph) > 0
    return graph


@pytest.fixture(scope="module")
def concept(seed_graph):
    return next(iter(sorted(seed_graph.subjects(MKG.hasArticle, Literal(True)))))


# --- SPARQLWrapper -----------------------------------------------------------------------------------


@pytest.mark.parametrize("conneg_only", [False, True], ids=["with-format-params", "accept-only"])
@pytest.mark.parametrize("fmt", list(SOLUTION_FORMATS))
@pytest.mark.parametrize("method", list(METHODS))
def test_sparqlwrapper_select(live_server, expected_labels, method, fmt, conneg_only):
    converted, media = _run(_wrapper(live_server, method, SELECT_LABELS, fmt, conneg_only=conneg_only))
    assert media == SOLUTION_FORMATS[fmt]
    if fmt == JSON:
        body = json.dumps(converted).encode()
    elif fmt == XML:
        body = converted.toxml("utf-8")
    else:
        body = converted
    rows = parse_solutions(body, media)
    if fmt == CSV:
        expected = {tuple(lossy_csv({"c": c, "l": lab}).values()) for c, lab in expected_labels}
        assert {tuple(lossy_csv(row).values()) for row in rows} == expected
    else:
        assert {(row["concept"], row["label"]) for row in rows} == expected_labels


@pytest.mark.parametrize("conneg_only", [False, True], ids=["with-format-params", "accept-only"])
@pytest.mark.parametrize("fmt", list(SOLUTION_FORMATS))
@pytest.mark.parametrize("method", list(METHODS))
def test_sparqlwrapper_ask(live_server, method, fmt, conneg_only):
    converted, media = _run(_wrapper(live_server, method, ASK_TRUE, fmt, conneg_only=conneg_only))
    assert media == SOLUTION_FORMATS[fmt]
    if fmt == JSON:
        assert converted["boolean"] is True
    elif fmt == XML:
        assert parse_boolean(converted.toxml("utf-8"), media) is True
    else:
        assert parse_boolean(converted, media) is True


@pytest.mark.parametrize("conneg_only", [False, True], ids=["with-format-params", "accept-only"])
@pytest.mark.parametrize("fmt", list(GRAPH_FORMATS))
@pytest.mark.parametrize("method", list(METHODS))
def test_sparqlwrapper_construct(live_server, expected_links, method, fmt, conneg_only):
    wrapper_format, accept, expected_media = GRAPH_FORMATS[fmt]
    if accept:
        conneg_only = True  # a format= parameter would win over the custom Accept header
    client = _wrapper(live_server, method, CONSTRUCT_LINKS, wrapper_format, conneg_only=conneg_only, accept=accept)
    converted, media = _run(client)
    assert media == expected_media
    assert isomorphic(_as_graph(converted), expected_links)


@pytest.mark.parametrize("fmt", list(GRAPH_FORMATS))
@pytest.mark.parametrize("method", list(METHODS))
def test_sparqlwrapper_describe(live_server, seed_graph, concept, method, fmt):
    wrapper_format, accept, expected_media = GRAPH_FORMATS[fmt]
    client = _wrapper(live_server, method, f"DESCRIBE <{concept}>", wrapper_format, conneg_only=bool(accept),
                      accept=accept)
    converted, media = _run(client)
    assert media == expected_media
    about = set(seed_graph.triples((concept, None, None)))
    assert about and about <= set(_as_graph(converted))


@pytest.mark.parametrize("method", list(METHODS))
def test_sparqlwrapper_sees_refusals_as_errors(live_server, method):
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    client = _wrapper(live_server, method, "SELECT * WHERE { ?s ?p }", JSON, conneg_only=False)
    with pytest.raises(QueryBadFormed):
        client.query()


# --- rdflib's SPARQLStore ------------------------------------------------------------------------------


@pytest.fixture(params=["GET", "POST", "POST_FORM"])
def remote(request, live_server):
    store = SPARQLStore(query_endpoint=live_server + "/sparql", method=request.param)
    yield Graph(store)
    store.close()


def test_sparqlstore_select(remote, expected_labels):
    assert {(row.concept, row.label) for row in remote.query(SELECT_LABELS)} == expected_labels


def test_sparqlstore_ask(remote):
    assert remote.query(ASK_TRUE).askAnswer is True
    assert remote.query("ASK { ?s <urn:example:none> ?o }").askAnswer is False


def test_sparqlstore_construct_and_describe(remote, expected_links, seed_graph, concept):
    assert isomorphic(remote.query(CONSTRUCT_LINKS).graph, expected_links)
    described = remote.query(f"DESCRIBE <{concept}>").graph
    assert set(seed_graph.triples((concept, None, None))) <= set(described)


@pytest.mark.parametrize("return_format", ["xml", "json"])
def test_sparqlstore_runs_every_query_form_whatever_results_format_it_asks_for(
        live_server, expected_labels, expected_links, seed_graph, concept, return_format):
    """SPARQLStore sends its results format's Accept for graph queries too: those get Turtle, as from Fuseki."""
    store = SPARQLStore(query_endpoint=live_server + "/sparql", returnFormat=return_format)
    graph = Graph(store)
    try:
        assert {(row.concept, row.label) for row in graph.query(SELECT_LABELS)} == expected_labels
        assert graph.query(ASK_TRUE).askAnswer is True
        assert isomorphic(graph.query(CONSTRUCT_LINKS).graph, expected_links)
        assert set(seed_graph.triples((concept, None, None))) <= set(graph.query(f"DESCRIBE <{concept}>").graph)
    finally:
        store.close()


def test_sparqlstore_graph_api(remote, seed_graph, concept):
    assert len(remote) == len(seed_graph)
    assert set(remote.triples((concept, None, None))) == set(seed_graph.triples((concept, None, None)))
    assert set(remote.objects(concept, MKG.linksTo)) == set(seed_graph.objects(concept, MKG.linksTo))
    assert set(remote.subjects(MKG.linksTo, None)) == set(seed_graph.subjects(MKG.linksTo, None))
    label = seed_graph.value(concept, SKOS.prefLabel, any=True)
    assert (concept, SKOS.prefLabel, label) in remote
    assert (concept, SKOS.prefLabel, Literal("not a label")) not in remote


def test_sparqlstore_query_with_init_bindings(remote, seed_graph, concept):
    query = PREFIXES + "SELECT ?label WHERE { ?concept skos:prefLabel ?label }"
    got = {row.label for row in remote.query(query, initBindings={"concept": concept})}
    assert got == set(seed_graph.objects(concept, SKOS.prefLabel))


# --- the same answers through plain HTTP, as curl would see them ---------------------------------------


def test_plain_http_get_and_gzip(live_server, expected_labels):
    response = requests.get(live_server + "/sparql", params={"query": SELECT_LABELS},
                            headers={"Accept": "text/tab-separated-values", "Accept-Encoding": "gzip"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    assert response.headers.get("Content-Encoding") == "gzip"  # requests decodes it transparently
    rows = parse_solutions(response.content, response.headers["Content-Type"])
    assert {(row["concept"], row["label"]) for row in rows} == expected_labels


def test_plain_http_construct_by_format_parameter(live_server, expected_links):
    response = requests.post(live_server + "/sparql", data={"query": CONSTRUCT_LINKS, "format": "ntriples"},
                             timeout=30)
    assert response.status_code == 200
    assert isomorphic(parse_graph(response.content, response.headers["Content-Type"]), expected_links)
