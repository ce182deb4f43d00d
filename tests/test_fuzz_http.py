"""Fuzz the HTTP surface in-process (Flask test client): /sparql and every REST parameter.

Random bytes, unicode, huge and deeply nested queries, and any text in any parameter of the OpenAPI
contract: the answer is never a 5xx (a query timeout's 503 aside), every error is problem+json, and
nothing leaks. tests/test_rest_openapi.py fuzzes the contract with schemathesis (typed values); this
module sends what a schema does not describe: raw bytes, control characters, NUL, very long values.
"""

from __future__ import annotations

import string
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.limits import MAX_PARSED_HEADER_BYTES
from graph.store.guard import MAX_NESTING
from tests.leaks import CANARY_NAME, CANARY_VALUE, assert_nothing_leaked, assert_problem

pytestmark = pytest.mark.timeout(180)

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
QUERY_TIMEOUT = 2
SPARQL_STATUSES = {200, 400, 406, 413, 415}
SPARQL_WORDS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "(", ")", "[", "]", "?s", "?p", "?o",
                "mkg:Concept", "skos:prefLabel", "a", ".", ";", ",", "FILTER", "OPTIONAL", "UNION", "LIMIT 5",
                "ORDER BY", "GROUP BY", "COUNT(*)", "AS", "\"نص\"@ar", "<urn:x>", "#", "\n", "VALUES", "BIND",
                "REGEX(?o, \"a\")", "STR(?o)", "LANG(?o)", "EXISTS", "NOT", "MINUS", "*", "|", "/", "^", "+", "?"]


@pytest.fixture(scope="module")
def app(seed_build, make_app):
    """The app on the seed graph with one killable query process: a runaway fuzzed query is stopped."""
    _, out = seed_build
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CANARY_NAME, CANARY_VALUE)
        application = make_app(graph_file=out / "graph.nt", query_workers=1, query_timeout=QUERY_TIMEOUT)
        yield application


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def _answered(response, allowed: set[int]) -> dict | None:
    """Check status, problem+json for errors and leaks; return the problem for an error."""
    status, headers, body = response.status_code, response.headers, response.get_data()
    assert status < 500 or (status == 503 and b"query-timeout" in body), (status, body[:400])
    assert status in allowed or status in (301, 304, 308, 404, 503), (status, body[:400])
    assert_nothing_leaked(status, headers, body)
    return assert_problem(status, headers, body) if status >= 400 else None


# --- /sparql ---------------------------------------------------------------------------------------

@FUZZ
@given(data=st.binary(max_size=2000))
def test_sparql_random_bytes_as_a_direct_post(client, data):
    _answered(client.post("/sparql", data=data, content_type="application/sparql-query"), SPARQL_STATUSES)


@FUZZ
@given(text=st.text(max_size=500))
def test_sparql_random_unicode_by_get_and_form(client, text):
    _answered(client.get("/sparql", query_string={"query": text}), SPARQL_STATUSES)
    _answered(client.post("/sparql", data={"query": text}), SPARQL_STATUSES)


@FUZZ
@given(words=st.lists(st.sampled_from(SPARQL_WORDS), min_size=1, max_size=40))
def test_sparql_token_soup(client, words):
    """Queries built from SPARQL's own tokens reach the parser (and sometimes evaluation)."""
    _answered(client.get("/sparql", query_string={"query": " ".join(words)},
                         headers={"Accept": "application/sparql-results+json"}), SPARQL_STATUSES)


@FUZZ
@given(depth=st.integers(1, 20_000), brackets=st.sampled_from(["{}", "()", "[]"]))
def test_sparql_deep_nesting_is_refused_or_answered(client, depth, brackets):
    """Nesting beyond MAX_NESTING is a 400 before pyoxigraph parses it (its parser overflows its stack)."""
    inner = {"{}": "?s ?p ?o", "()": "1", "[]": "?p 1"}[brackets]
    body = {"{}": "SELECT * WHERE " + "{ " * depth + inner + " }" * depth,
            "()": "SELECT * WHERE { ?s ?p ?o FILTER" + "(" * depth + inner + ")" * depth + " } LIMIT 1",
            "[]": "SELECT * WHERE { ?s ?p " + "[ ?p " * depth + "1" + " ]" * depth + " } LIMIT 1"}[brackets]
    response = client.post("/sparql", data=body.encode(), content_type="application/sparql-query")
    problem = _answered(response, SPARQL_STATUSES)
    if depth + (1 if brackets != "{}" else 0) > MAX_NESTING and len(body.encode()) <= 65536:
        assert response.status_code == 400 and "nests" in problem["detail"], problem


@pytest.mark.parametrize("size", [65_537, 1_000_000, 10_000_000])
def test_sparql_huge_queries_are_413(client, size):
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * size
    for response in (client.post("/sparql", data=query.encode(), content_type="application/sparql-query"),
                     client.post("/sparql", data={"query": query})):
        problem = _answered(response, {413})
        assert response.status_code == 413, problem


# --- every REST parameter --------------------------------------------------------------------------

def _parameters(client) -> list[tuple[str, str, str]]:
    """(path template, parameter name, where) for every parameter of every operation in /openapi.json."""
    spec = client.get("/openapi.json").get_json()
    found = []
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            if isinstance(operation, dict):
                found += [(path, p["name"], p["in"]) for p in operation.get("parameters", [])]
    return sorted(set(found))


def test_the_contract_has_parameters_to_fuzz(client):
    names = {name for _, name, _ in _parameters(client)}
    assert {"slug", "q", "limit", "offset", "depth", "direction", "relation", "lang", "from", "to", "max"} <= names


HOSTILE_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=50),
    st.sampled_from(["", " ", "-1", "0", "1e309", "NaN", "99999999999999999999", "%00", "\x00", "../../etc/passwd",
                     "..%2f..%2f", "<script>alert(1)</script>", "' OR 1=1 --", "\"} } SERVICE <http://127.0.0.1/> {",
                     "التَّسويق", "ـــ", "\u202e", "a" * 5000, "linksTo,,,", "both\x00"]),
)


REQUIRED = {"/api/search": {"q": "تسويق"}, "/api/path": {"from": "viral-marketing", "to": "social-media"}}


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=HOSTILE_TEXT)
def test_every_rest_parameter_survives_hostile_values(client, value):
    """Each parameter of the contract in turn gets the value; the others keep valid defaults."""
    for path, name, where in _parameters(client):
        url = path.replace("{slug}", "viral-marketing" if "keywords" not in path else "business")
        headers, query = {}, {}
        if where == "path":
            url = path.replace("{slug}", urllib.parse.quote(value, safe="") or "%20")
        elif where == "header":
            if any(ch in value for ch in "\r\n\x00") or not value.isascii():
                continue  # not a valid header value: the HTTP client refuses to send it
            headers[name] = value
        else:
            query = {**REQUIRED.get(path, {}), name: value}
        response = client.get(url, query_string=query, headers=headers)
        oversized = where == "header" and len(value) > MAX_PARSED_HEADER_BYTES  # 431, as the contract says
        problem = _answered(response, {200, 301, 400, 404} | ({431} if oversized else set()))
        if problem and response.status_code == 400 and "parameter" in problem and where == "query":
            assert problem["parameter"] == name, (name, problem)


@FUZZ
@given(slug=st.text(alphabet=string.printable + "ءابتثالفيروسي٠١", min_size=1, max_size=80))
def test_random_slugs_on_every_concept_route(client, slug):
    quoted = urllib.parse.quote(slug, safe="")
    for url in (f"/api/concepts/{quoted}", f"/api/concepts/{quoted}/neighbours", f"/api/concepts/{quoted}/related",
                f"/api/keywords/{quoted}"):
        _answered(client.get(url), {200, 301, 400, 404})
