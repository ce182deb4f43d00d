"""/sparql through the Flask test client: SPARQL 1.1 Protocol methods, negotiation, limits, caching, CORS."""

from __future__ import annotations

import gzip
import json
from urllib.parse import urlencode

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from api.examples import EXAMPLES
from graph.store.guard import inspect_query
from graph.store.results import RESULT_FORMATS
from graph.vocab import SD, SH, Vocabulary
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
ASK_TRUE = PREFIXES + "ASK { ?concept a mkg:Concept }"
ASK_FALSE = "ASK { ?x a <urn:example:nothing-is-this> }"
CONSTRUCT_LINKS = PREFIXES + """CONSTRUCT { ?a mkg:linksTo ?b . ?a skos:prefLabel ?label }
WHERE { ?a mkg:linksTo ?b . OPTIONAL { ?a skos:prefLabel ?label } }"""
EVERYTHING = "SELECT * WHERE { ?s ?p ?o }"
QUERIES = {"select": SELECT_LABELS, "ask": ASK_TRUE, "construct": CONSTRUCT_LINKS}

SOLUTION_MEDIA = [m for m, kind in RESULT_FORMATS.values() if kind == "solutions"]
GRAPH_MEDIA = [m for m, kind in RESULT_FORMATS.values() if kind == "graph"]
FORMAT_NAMES = {media: name for name, (media, _) in RESULT_FORMATS.items()}


@pytest.fixture(scope="module")
def app(store_settings, make_app):
    return make_app(query_workers=1, **store_settings)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def limited(store_settings, make_client):
    """An app with small limits and one allowed CORS origin."""
    return make_client(query_workers=1, max_rows=5, max_query_bytes=512, cors_origins=("https://analyst.example",),
                       **store_settings)


@pytest.fixture(scope="module")
def expected_labels(seed_graph):
    return {tuple(row) for row in seed_graph.query(SELECT_LABELS)}


def _rows(solutions: list[dict]) -> set[tuple]:
    return {(row.get("concept"), row.get("label")) for row in solutions}


def _send(client, method: str, query: str, headers: dict | None = None, **params):
    """Send `query` by GET, form POST or direct POST, with extra protocol parameters."""
    if method == "get":
        return client.get("/sparql", query_string={"query": query, **params}, headers=headers)
    if method == "form":
        return client.post("/sparql", data={"query": query, **params}, headers=headers)
    return client.post("/sparql" + ("?" + urlencode(params) if params else ""), data=query.encode(),
                       content_type="application/sparql-query", headers=headers)


def _assert_problem(response, status: int, slug: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["detail"]
    if slug:
        assert body["type"].endswith("/" + slug), body
    return body


# --- the three protocol methods ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "form", "direct"])
def test_every_method_answers_select(client, expected_labels, method):
    response = _send(client, method, SELECT_LABELS, {"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _rows(parse_solutions(response.data, response.content_type)) == expected_labels
    assert expected_labels


def test_predeclared_prefixes_need_no_prologue(client, expected_labels):
    response = client.get("/sparql", query_string={"query": SELECT_LABELS.replace(PREFIXES, "")})
    assert _rows(parse_solutions(response.data, response.content_type)) == expected_labels


def test_post_in_another_media_type_is_415(client):
    response = client.post("/sparql", data=ASK_TRUE, content_type="text/plain")
    _assert_problem(response, 415)


def test_missing_or_repeated_query_is_400(client):
    _assert_problem(client.get("/sparql?format=json"), 400, "missing-query")
    _assert_problem(client.get("/sparql", query_string=[("query", ASK_TRUE), ("query", ASK_FALSE)]), 400)


def test_other_methods_are_405(client):
    response = client.put("/sparql", data=ASK_TRUE, content_type="application/sparql-query")
    _assert_problem(response, 405)
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]


# --- result formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize("media", SOLUTION_MEDIA)
def test_select_in_every_result_format(client, expected_labels, media):
    response = client.get("/sparql", query_string={"query": SELECT_LABELS}, headers={"Accept": media})
    assert response.status_code == 200
    assert response.content_type == f"{media}; charset=utf-8"
    rows = parse_solutions(response.data, response.content_type)
    if media == "text/csv":
        assert {tuple(lossy_csv(r).values()) for r in rows} == {
            tuple(lossy_csv({"c": c, "l": lab}).values()) for c, lab in expected_labels}
    else:
        assert _rows(rows) == expected_labels
    assert any(isinstance(lab, Literal) and lab.language == "ar" for _, lab in expected_labels)


@pytest.mark.parametrize("media", SOLUTION_MEDIA)
@pytest.mark.parametrize(("query", "answer"), [(ASK_TRUE, True), (ASK_FALSE, False)], ids=["true", "false"])
def test_ask_in_every_result_format(client, media, query, answer):
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": media})
    assert response.status_code == 200
    assert response.content_type == f"{media}; charset=utf-8"
    assert parse_boolean(response.data, response.content_type) is answer


@pytest.mark.parametrize("media", GRAPH_MEDIA)
def test_construct_in_every_rdf_format(client, seed_graph, media):
    response = client.post("/sparql", data={"query": CONSTRUCT_LINKS}, headers={"Accept": media})
    assert response.status_code == 200
    assert response.content_type == f"{media}; charset=utf-8"
    expected = seed_graph.query(CONSTRUCT_LINKS).graph
    assert len(expected) > 0
    assert isomorphic(parse_graph(response.data, response.content_type), expected)


@pytest.mark.parametrize("media", GRAPH_MEDIA)
def test_describe_in_every_rdf_format(client, seed_graph, media):
    concept = next(iter(seed_graph.subjects(MKG.hasArticle, Literal(True))))
    response = client.get("/sparql", query_string={"query": f"DESCRIBE <{concept}>"}, headers={"Accept": media})
    assert response.status_code == 200
    assert response.content_type == f"{media}; charset=utf-8"
    described = parse_graph(response.data, response.content_type)
    about = set(seed_graph.triples((concept, None, None)))
    assert about and about <= set(described)


@pytest.mark.parametrize(
    ("accept", "query", "expected"),
    [
        ("text/csv;q=0.9, application/sparql-results+json;q=0.5", "select", "text/csv"),
        ("application/sparql-results+json;q=0.1, text/tab-separated-values", "select",
         "text/tab-separated-values"),
        ("text/csv;q=0, application/sparql-results+xml;q=0.3", "ask", "application/sparql-results+xml"),
        ("text/html, image/png;q=0.9, */*;q=0.1", "select", "application/sparql-results+json"),
        ("application/rdf+xml;q=0.2, application/n-triples;q=0.8", "construct", "application/n-triples"),
        ("text/turtle;q=0.5, application/ld+json", "construct", "application/ld+json"),
        ("*/*", "construct", "text/turtle"),
        (None, "select", "application/sparql-results+json"),
        (None, "construct", "text/turtle"),
    ],
)
def test_accept_header_with_q_values(client, accept, query, expected):
    response = client.get("/sparql", query_string={"query": QUERIES[query]}, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert media_type(response.content_type) == expected
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize(
    ("fmt", "query", "expected"),
    [(name, "select", media) for name, (media, kind) in RESULT_FORMATS.items() if kind == "solutions"]
    + [(name, "construct", media) for name, (media, kind) in RESULT_FORMATS.items() if kind == "graph"]
    + [
        ("text/csv", "select", "text/csv"),
        ("application/rdf+xml", "construct", "application/rdf+xml"),
        ("xml", "construct", "application/rdf+xml"),  # SPARQLWrapper's name for RDF/XML
        ("rdf+xml", "construct", "application/rdf+xml"),
        ("json", "construct", "application/ld+json"),
    ],
)
@pytest.mark.parametrize("method", ["get", "form", "direct"])
def test_format_parameter_wins_over_accept(client, method, fmt, query, expected):
    response = _send(client, method, QUERIES[query], {"Accept": "application/sparql-results+xml, text/turtle"}, format=fmt)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == f"{expected}; charset=utf-8"
    if expected in SOLUTION_MEDIA:
        assert parse_solutions(response.data, response.content_type)
    else:
        assert len(parse_graph(response.data, response.content_type)) > 0


def test_format_parameter_first_usable_value_wins(client):
    response = client.get("/sparql", query_string=[("query", CONSTRUCT_LINKS), ("format", "rdf+xml"),
                                                   ("format", "application/rdf+xml")])
    assert media_type(response.content_type) == "application/rdf+xml"


@pytest.mark.parametrize(
    ("headers", "params", "query"),
    [
        ({"Accept": "image/png"}, {}, "select"),
        ({"Accept": "text/turtle"}, {}, "select"),
        ({"Accept": "application/sparql-results+json;q=0"}, {}, "ask"),
        ({"Accept": "image/png"}, {}, "construct"),
        ({}, {"format": "turtle"}, "select"),
        ({}, {"format": "csv"}, "construct"),
        ({}, {"format": "yaml"}, "select"),
    ],
)
def test_406_when_no_format_fits(client, headers, params, query):
    response = client.get("/sparql", query_string={"query": QUERIES[query], **params}, headers=headers)
    _assert_problem(response, 406, "not-acceptable")
    assert "Accept" in response.headers["Vary"]  # a cache must not give this answer to another Accept


@pytest.mark.parametrize("accept", ["application/sparql-results+xml", "application/sparql-results+json",
                                    "text/csv, application/sparql-results+json", "text/tab-separated-values"])
@pytest.mark.parametrize("query", ["construct", "describe"])
def test_graph_query_asked_in_a_results_format_gets_turtle(client, seed_graph, accept, query):
    text = CONSTRUCT_LINKS if query == "construct" else f"DESCRIBE <{sorted(seed_graph.subjects())[0]}>"
    response = client.get("/sparql", query_string={"query": text}, headers={"Accept": accept})
    assert response.status_code == 200
    assert media_type(response.content_type) == "text/turtle"
    assert len(Graph().parse(data=response.data, format="turtle")) > 0


@pytest.mark.parametrize(("accept", "expected"), [
    ("text/*", "text/csv"),
    ("text/*;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    ("*/*", "application/sparql-results+json"),
])
def test_wildcards_pick_a_results_format(client, expected_labels, accept, expected):
    response = client.get("/sparql", query_string={"query": SELECT_LABELS}, headers={"Accept": accept})
    assert media_type(response.content_type) == expected
    rows = {(r["concept"], r["label"]) for r in parse_solutions(response.data, response.content_type)}
    if expected == "text/csv":  # CSV drops language tags
        expected_labels = {(c, Literal(str(label))) for c, label in expected_labels}
    assert rows == expected_labels


# --- service description ---------------------------------------------------------------------------


def test_service_description_in_turtle(client):
    response = client.get("/sparql", headers={"Host": "attacker.example"})
    assert response.status_code == 200
    assert response.content_type == "text/turtle; charset=utf-8"
    assert b"attacker.example" not in response.data  # relative to where it was fetched from, never the Host
    assert "max-age" in response.headers["Cache-Control"] and "Accept" in response.headers["Vary"]
    assert client.get("/sparql", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    graph = Graph().parse(data=response.data, format="turtle", publicID="https://kg.example/sparql")
    service = next(iter(graph.subjects(RDF.type, SD.Service)))
    assert service == URIRef("https://kg.example/sparql")
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    formats = {str(o).rsplit("/media-types/", 1)[-1] for o in graph.objects(service, SD.resultFormat)}
    assert formats == {media for media, _ in RESULT_FORMATS.values()}
    texts = {str(o) for p in (SH.select, SH.construct) for o in graph.objects(None, p)}
    assert texts == {text for _, _, text in EXAMPLES}


@pytest.mark.parametrize("media", ["text/turtle", "application/n-triples", "application/ld+json"])
def test_service_description_names_the_configured_public_url(store_settings, media, make_app):
    application = make_app(query_workers=1, public_url="https://kg.example.org/", **store_settings)
    response = application.test_client().get("/sparql", headers={"Accept": media, "Host": "attacker.example"})
    assert media_type(response.content_type) == media
    graph = parse_graph(response.data, response.content_type)
    endpoint = URIRef("https://kg.example.org/sparql")
    assert (endpoint, SD.endpoint, endpoint) in graph
    assert b"attacker.example" not in response.data


def test_browsers_get_the_query_editor_and_rdf_clients_the_description(client):
    response = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    page = response.get_data(as_text=True)
    assert "<h1>SPARQL query editor</h1>" in page and "/static/vendor/yasr/yasr.min.js" in page
    for _, title, _ in EXAMPLES:  # the service description's examples
        assert title in page
    for media, _ in RESULT_FORMATS.values():
        assert media in page
    for accept in ("text/turtle", "application/ld+json", "text/turtle, text/html;q=0.9"):
        described = client.get("/sparql", headers={"Accept": accept})
        assert described.status_code == 200 and described.mimetype == accept.split(",")[0], accept
        assert b"SPARQLExecutable" in described.data


@pytest.mark.parametrize(("slug", "text"), [(slug, text) for slug, _, text in EXAMPLES], ids=[e[0] for e in EXAMPLES])
def test_every_example_query_runs(client, slug, text):
    response = client.get("/sparql", query_string={"query": text})
    assert response.status_code == 200, (slug, response.get_data(as_text=True))
    assert int(response.headers["X-Result-Rows"]) > 0, slug


# --- limits and errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "form", "direct"])
def test_query_over_the_size_limit_is_413(limited, method):
    query = "# " + "x" * 600 + "\n" + ASK_TRUE
    body = _assert_problem(_send(limited, method, query), 413, "query-too-large")
    assert body["limit"] == 512


def test_request_body_far_over_the_limit_is_413(limited):
    query = "# " + "x" * 20_000 + "\n" + ASK_TRUE
    _assert_problem(_send(limited, "direct", query), 413)


def test_query_just_under_the_size_limit_runs(limited):
    query = ASK_TRUE + "\n# " + "x" * (500 - len(ASK_TRUE.encode()))
    assert len(query.encode()) <= 512
    assert _send(limited, "direct", query).status_code == 200


@pytest.mark.parametrize("method", ["get", "form", "direct"])
def test_invalid_utf8_is_400_not_replaced(client, method):
    raw = 'SELECT ?x { BIND("caf\xe9" AS ?x) }'.encode("latin-1")
    quoted = urlencode({"query": raw}).encode()
    if method == "get":
        response = client.get("/sparql?" + quoted.decode())
    elif method == "form":
        response = client.post("/sparql", data=quoted, content_type="application/x-www-form-urlencoded")
    else:
        response = client.post("/sparql", data=raw, content_type="application/sparql-query")
    body = _assert_problem(response, 400, "invalid-encoding")
    assert "0xE9" in body["detail"]
    # the replacement character itself, sent as UTF-8, is a character like any other
    valid = _send(client, method, 'SELECT ?x { BIND("caf\ufffd" AS ?x) }')
    assert valid.status_code == 200 and "caf\ufffd" in valid.get_data(as_text=True)


def test_syntax_error_is_400_with_message_and_position(client, backend):
    query = "SELECT ?s\nWHERE {\n  ?s ?p ?o ]\n}"
    body = _assert_problem(client.get("/sparql", query_string={"query": query}), 400, "syntax-error")
    if backend == "virtuoso":  # named difference: Virtuoso's parser says what, not where ("line 0")
        assert "Parentheses are not balanced at ']'" in body["detail"] and "line" not in body
        line_three = "SELECT ?s\nWHERE {\n  ?s ?p ?o . FILTER(?s = ) }"  # here it names the line: ours
        body = _assert_problem(client.get("/sparql", query_string={"query": line_three}), 400, "syntax-error")
        assert (body["line"], body["column"]) == (3, line_three.split("\n")[2].index(")") + 1), body
        return
    line, column = body["line"], body["column"]
    assert isinstance(line, int) and isinstance(column, int)
    assert line >= 3  # Oxigraph's parser reports where it gave up: at or after the stray `]`
    assert f"{line}:{column}" in body["detail"] and "expected" in body["detail"]


def test_row_cap_truncates_and_says_so(limited, seed_graph):
    assert len(seed_graph) > 5
    response = limited.get("/sparql", query_string={"query": EVERYTHING})
    assert response.status_code == 200
    assert len(parse_solutions(response.data, response.content_type)) == 5
    assert response.headers["X-Result-Truncated"] == "true"
    assert response.headers["X-Result-Row-Cap"] == "5"
    graph = limited.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "nt"})
    assert len(parse_graph(graph.data, graph.content_type)) == 5
    assert graph.headers["X-Result-Truncated"] == "true"


def test_answers_under_the_row_cap_are_not_marked(limited):
    response = limited.get("/sparql", query_string={"query": EVERYTHING + " LIMIT 5"})
    assert len(parse_solutions(response.data, response.content_type)) == 5
    assert "X-Result-Truncated" not in response.headers
    assert response.headers["X-Result-Rows"] == "5"


# --- HTTP caching and compression -------------------------------------------------------------------


def test_etag_and_304_on_if_none_match(client):
    first = client.get("/sparql", query_string={"query": SELECT_LABELS})
    etag = first.headers["ETag"]
    assert etag and "max-age" in first.headers["Cache-Control"]
    again = client.get("/sparql", query_string={"query": SELECT_LABELS}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    spaced = " \n".join(SELECT_LABELS.split()) + " # a comment"  # the same query, laid out differently
    assert client.get("/sparql", query_string={"query": spaced}, headers={"If-None-Match": etag}).status_code == 304
    other = client.get("/sparql", query_string={"query": SELECT_LABELS}, headers={"Accept": "text/csv"})
    assert other.status_code == 200 and other.headers["ETag"] != etag
    changed = client.get("/sparql", query_string={"query": ASK_TRUE}, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


LITERAL_TWINS = [
    ('SELECT ?x { BIND("a  b" AS ?x) }', 'SELECT ?x { BIND("a b" AS ?x) }'),
    ("SELECT ?x { BIND('''a\n b''' AS ?x) }", "SELECT ?x { BIND('''a b''' AS ?x) }"),
    ('SELECT ?x { BIND("a\tb" AS ?x) }', 'SELECT ?x { BIND("a b" AS ?x) }'),
    ('SELECT ?x { BIND("#" AS ?x) }', 'SELECT ?x { BIND("# " AS ?x) }'),
    ("SELECT ?x { BIND(<urn:a#b> AS ?x) } # c", "SELECT ?x { BIND(<urn:a#b%20> AS ?x) }"),
]


@pytest.mark.parametrize(("first", "second"), LITERAL_TWINS)
def test_queries_that_differ_inside_a_literal_or_iri_never_share_an_etag(client, first, second):
    one = client.get("/sparql", query_string={"query": first})
    assert one.status_code == 200
    other = client.get("/sparql", query_string={"query": second}, headers={"If-None-Match": one.headers["ETag"]})
    assert other.status_code == 200 and other.headers["ETag"] != one.headers["ETag"]
    assert other.data != one.data


def test_gzip_for_large_results(client):
    plain = client.get("/sparql", query_string={"query": EVERYTHING})
    assert "Content-Encoding" not in plain.headers
    zipped = client.get("/sparql", query_string={"query": EVERYTHING}, headers={"Accept-Encoding": "gzip, br"})
    assert zipped.status_code == 200
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert len(zipped.data) < len(plain.data)
    assert json.loads(gzip.decompress(zipped.data)) == json.loads(plain.data)
    # one tag for both encodings, weak once compressed; either one revalidates
    assert zipped.headers["ETag"] == "W/" + plain.headers["ETag"]
    revalidated = client.get("/sparql", query_string={"query": EVERYTHING},
                             headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert revalidated.status_code == 304


def test_small_results_are_not_compressed(client):
    response = client.get("/sparql", query_string={"query": ASK_TRUE}, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers


# --- CORS -----------------------------------------------------------------------------------------


def test_cors_on_get_allows_any_origin_without_credentials(client):
    response = client.get("/sparql", query_string={"query": ASK_TRUE}, headers={"Origin": "https://yasgui.example"})
    assert response.status_code == 200
    allowed = response.headers["Access-Control-Allow-Origin"]
    vary = ", ".join(response.headers.getlist("Vary"))
    assert allowed == "*" or (allowed == "https://yasgui.example" and "Origin" in vary)
    assert "Access-Control-Allow-Credentials" not in response.headers
    exposed = response.headers["Access-Control-Expose-Headers"]
    for header in ("ETag", "X-Result-Truncated", "X-Result-Row-Cap"):
        assert header in exposed


def test_cors_preflight(client):
    response = client.options("/sparql", headers={
        "Origin": "https://yasgui.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type",
    })
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://yasgui.example")
    assert {"GET", "POST", "OPTIONS"} <= {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_cors_origins_are_configurable(limited):
    allowed = limited.get("/sparql", query_string={"query": ASK_TRUE}, headers={"Origin": "https://analyst.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://analyst.example"
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    other = limited.get("/sparql", query_string={"query": ASK_TRUE}, headers={"Origin": "https://elsewhere.example"})
    assert other.status_code == 200
    assert "Access-Control-Allow-Origin" not in other.headers


# --- health ---------------------------------------------------------------------------------------


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_ready_reports_version_and_triple_count(client, app, seed_graph):
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["triples"] == len(seed_graph)
    assert body["version"] == app.extensions["mkg"].graph.version


def test_ready_triple_count_matches_a_count_query(client):
    ready = client.get("/ready").get_json()
    response = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    (row,) = parse_solutions(response.data, response.content_type)
    assert int(row["n"]) == ready["triples"]



# --- the outer LIMIT, and SPARQL JSON written by pyoxigraph ---------------------------------------------


@pytest.mark.parametrize(("query", "limit"), [
    ("SELECT * WHERE { ?s ?p ?o } LIMIT 7", 7),
    ("SELECT * WHERE { ?s ?p ?o } ORDER BY ?s limit\n 12 OFFSET 3", 12),
    ("SELECT * WHERE { ?s ?p ?o } OFFSET 3 LIMIT 2 VALUES ?s { <urn:a> }", 2),
    ("SELECT * WHERE { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 3 } }", None),  # a subquery's LIMIT
    ("SELECT * WHERE { ?s ?p ?o } # LIMIT 3", None),  # in a comment
    ('SELECT * WHERE { ?s ?p "LIMIT 3" }', None),  # in a string
    ("SELECT * WHERE { ?s ?p ?o } LIMIT # a comment\n 3", None),  # not `LIMIT <digits>`: unknown
    ("SELECT * WHERE { ?s ?p ?o }", None),
])
def test_the_guard_reads_the_outer_limit_only(query, limit):
    assert inspect_query(query).limit == limit


@pytest.mark.parametrize("limit", [0, 3, 5])
def test_json_written_by_pyoxigraph_matches_the_python_writer(limited, limit):
    # LIMIT within the row cap (5): pyoxigraph writes the JSON; a LIMIT over it takes the capped Python path
    native = limited.get("/sparql", query_string={"query": f"{SELECT_LABELS} LIMIT {limit}"},
                         headers={"Accept": "application/sparql-results+json"})
    capped = limited.get("/sparql", query_string={"query": f"{SELECT_LABELS} LIMIT {limit + 100}"},
                         headers={"Accept": "application/sparql-results+json"})
    assert native.status_code == capped.status_code == 200
    assert native.headers["X-Result-Rows"] == str(limit) and "X-Result-Truncated" not in native.headers
    expected = json.loads(capped.data)
    expected["results"]["bindings"] = expected["results"]["bindings"][:limit]
    assert json.loads(native.data) == expected


# --- a plain GET (one `query`, one exact media type) is answered outside Flask: the same answer -------------


@pytest.mark.parametrize(("query", "accept"), [(SELECT_LABELS, "application/sparql-results+json"),
                                               (SELECT_LABELS, "text/csv"),
                                               (ASK_TRUE, "application/sparql-results+xml"),
                                               (CONSTRUCT_LINKS, "application/n-triples"),
                                               (CONSTRUCT_LINKS, "text/turtle"),
                                               (PREFIXES + "DESCRIBE <https://marketing-kg.example/concept/"
                                                "viral-marketing>", "application/ld+json")])
def test_a_plain_get_gets_the_negotiated_answer(client, query, accept):
    url = "/sparql?" + urlencode({"query": query})
    plain = [client.get(url, headers={"Accept": accept}) for _ in range(3)]  # the first one through Flask
    negotiated = client.get(url, headers={"Accept": f"{accept};q=0.9, application/x-unknown;q=0.1"})
    for answer in plain:
        assert answer.status_code == negotiated.status_code == 200
        assert answer.data == negotiated.data
        assert dict(answer.headers) == dict(negotiated.headers)


def test_a_plain_get_over_the_row_cap_says_so(limited):
    url = "/sparql?" + urlencode({"query": EVERYTHING})
    answers = [limited.get(url, headers={"Accept": "text/csv", "Origin": "https://analyst.example"})
               for _ in range(2)]
    for answer in answers:
        assert answer.headers["X-Result-Truncated"] == "true" and answer.headers["X-Result-Row-Cap"] == "5"
        assert answer.headers["X-Result-Rows"] == "5"
        assert answer.headers["Access-Control-Allow-Origin"] == "https://analyst.example"
    assert answers[0].data == answers[1].data


def test_a_plain_get_that_fails_gets_the_views_problem(client):
    bad = "SELECT ?s WHERE { ?s ?p }"
    for _ in range(2):
        answer = client.get("/sparql?" + urlencode({"query": bad}), headers={"Accept": "text/csv"})
        problem = _assert_problem(answer, 400, "syntax-error")
        assert problem["line"] == 1
    posted = _send(client, "POST", bad, {"Accept": "text/csv"})
    assert posted.status_code == 400
    assert {**posted.json, "instance": None} == {**answer.json, "instance": None}  # the instance is the URL
