"""The lexical guard reads SPARQL as pyoxigraph does: every SERVICE the parser would evaluate is refused.

The oracle is pyoxigraph itself. A query holding one SERVICE is read by the parser as the keyword when the
query parses, and the same text with those seven letters replaced by others (`QZXJKWV`) does not: the
letters were not swallowed by a variable, name, string or comment. Parsing happens on an empty store and
nothing is iterated, so no SERVICE is evaluated here (its targets are `urn:` IRIs besides).
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.store.guard import MAX_NESTING, MAX_OPERATORS, inspect_query
from graph.vocab import Vocabulary

PREFIXES = Vocabulary().prefixes()
PROLOGUE = "PREFIX : <urn:x:> PREFIX ex: <http://example.org/> PREFIX port: <http://host:>\n"
_EMPTY = ox.Store()
SERVICE = "SERVICE"


def parses(query: str) -> bool:
    """Return whether pyoxigraph parses `query` (with the endpoint's predeclared prefixes)."""
    try:
        _EMPTY.query(query, prefixes=PREFIXES)
    except SyntaxError:
        return False
    return True


def reads_service(query: str, at: int) -> bool:
    """Return whether pyoxigraph reads the seven letters at `at` as the SERVICE keyword."""
    assert query[at:at + 7].upper() == SERVICE
    return parses(query) and not parses(query[:at] + "QZXJKWV" + query[at + 7:])


# --- the findings: a keyword glued to the token before it -------------------------------------------

GLUED = {
    "true": "SELECT * {{ ?s ?p true{kw} <urn:x:svc> {{ }} }}",
    "false": "SELECT * {{ ?s ?p false{kw} <urn:x:svc> {{ }} }}",
    "double": "SELECT * {{ ?s ?p 1e0{kw} <urn:x:svc> {{ }} }}",
    "decimal": "SELECT * {{ ?s ?p 1.5{kw} <urn:x:svc> {{ }} }}",
    "integer": "SELECT * {{ ?s ?p 7{kw} <urn:x:svc> {{ }} }}",
    "string": 'SELECT * {{ ?s ?p "x"{kw} <urn:x:svc> {{ }} }}',
    "long-string": "SELECT * {{ ?s ?p '''x'''{kw} <urn:x:svc> {{ }} }}",
    "iri": "SELECT * {{ ?s ?p <urn:x:o>{kw} <urn:x:svc> {{ }} }}",
    "typed": 'SELECT * {{ ?s ?p "1"^^<urn:x:t>{kw} <urn:x:svc> {{ }} }}',
    "bnode": "SELECT * {{ ?s ?p []{kw} <urn:x:svc> {{ }} }}",
    "nil": "SELECT * {{ ?s ?p (){kw} <urn:x:svc> {{ }} }}",
    "keyword-then-prefixed-name": PROLOGUE + "SELECT * {{ ?s ?p 1 {kw}:svc {{ }} }}",
    "boolean-then-prefixed-name": PROLOGUE + "SELECT * {{ ?s ?p true{kw}:svc {{ }} }}",
    "local-name-split": PROLOGUE + "SELECT * {{ ?s ?p port:{kw}<urn:x:svc> {{ }} }}",
    "lowercase": "SELECT * {{ ?s ?p true{kw} <urn:x:svc> {{ }} }}",
}


@pytest.mark.parametrize("name", list(GLUED))
def test_glued_service_is_read_by_the_parser_and_refused(name):
    keyword = "service" if name == "lowercase" else SERVICE
    query = GLUED[name].format(kw=keyword)
    assert reads_service(query, query.upper().index(SERVICE)), "the oracle says pyoxigraph does not read it"
    refusal = inspect_query(query, PREFIXES).refusal
    assert refusal and "SERVICE is not allowed" in refusal


HARMLESS = {
    "variable": "SELECT ?service {{ ?service ?p ?o }}",
    "schema class": "SELECT * {{ ?s a schema:Service }}",
    "local name": "SELECT * {{ ?s ex:webService ?o }}",
    "string": 'SELECT * {{ BIND("SERVICE <http://x/> {{ }}" AS ?x) }}',
    "long string": "SELECT * {{ BIND('''a\nSERVICE <http://x/> {{ }}''' AS ?x) }}",
    "comment": "SELECT * {{ ?s ?p ?o }} # SERVICE <http://x/> {{ }}",
    "iri": "SELECT * {{ ?s <http://example.org/SERVICE> ?o }}",
    "language tag": 'SELECT * {{ BIND("x"@en-service AS ?x) }}',
    "blank node": "SELECT * {{ _:service ?p ?o }}",
}


@pytest.mark.parametrize("name", list(HARMLESS))
def test_service_inside_a_token_is_not_refused(name):
    query = PROLOGUE + HARMLESS[name].format()
    assert parses(query)
    assert not reads_service(query, query.upper().rindex(SERVICE))
    assert inspect_query(query, PREFIXES).refusal is None


# --- generated: SERVICE after every kind of token, with no whitespace -------------------------------

TOKENS = st.one_of(
    st.sampled_from(["true", "false", "TRUE", "a", "UNDEF", "()", "[]", "[ ]", "( )"]),
    st.integers(0, 10**6).map(str),
    st.builds(lambda i, f, e, s: f"{s}{i}.{f}" + (f"e{e}" if e is not None else ""),
              st.integers(0, 99), st.integers(0, 99), st.none() | st.integers(-9, 9), st.sampled_from(["", "+", "-"])),
    st.builds(lambda i, e: f".{i}E{e}", st.integers(0, 99), st.integers(-9, 9)),
    st.builds(lambda q, t: f"{q}{t}{q}", st.sampled_from(['"', "'", '"""', "'''"]),
              st.text(alphabet="ab #{}<>\\t'\"", max_size=6).map(lambda t: t.replace("\\", "\\\\")
                                                                   .replace("'", "\\'").replace('"', '\\"'))),
    st.builds(lambda t, tag: f'"{t}"@{tag}', st.sampled_from(["x", "y"]), st.sampled_from(["en", "ar", "en-US", "en-x"])),
    st.builds(lambda d: f'"1"^^{d}', st.sampled_from(["xsd:integer", "<http://www.w3.org/2001/XMLSchema#integer>"])),
    st.sampled_from(["<urn:x:o>", "<http://example.org/a#b>", "<rel>", ":o", ":", "ex:", "ex:o", "ex:o.x",
                     "ex:a\\-b", "port:", "port:o", "schema:Thing", "mkg:x", "?o", "$o", "?o1", "_:b", "_:b.c"]),
)
BEFORE = st.sampled_from([
    "SELECT * {{ ?s ?p {t}{kw}{sep}{target} {{ }} }}",
    "SELECT * {{ ?s ?p ?o . ?s ?q {t}{kw}{sep}{target} {{ }} }}",
    "SELECT * {{ ?s ?p ?o ; ?q {t}{kw}{sep}{target} {{ }} }}",
    "SELECT * {{ ?s ?p ?o , {t}{kw}{sep}{target} {{ }} }}",
    "SELECT * {{ FILTER(?x = {t}){kw}{sep}{target} {{ }} }}",
    "SELECT * {{ BIND({t} AS ?z){kw}{sep}{target} {{ }} }}",
    "SELECT * {{ VALUES ?z {{ {t} }}{kw}{sep}{target} {{ }} }}",
    "ASK {{ ?s ?p {t}{kw}{sep}{target} {{ }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p {t}{kw}{sep}{target} {{ }} }}",
    "SELECT * {{ {{ ?s ?p {t} }} UNION {{ ?s ?p {t}{kw}{sep}{target} {{ }} }} }}",
    "SELECT * {{ OPTIONAL {{ ?s ?p {t} }}{kw}{sep}{target} {{ }} }}",
    "SELECT * {{ ?s ?p {t}{kw}{sep}SILENT {target} {{ }} }}",
])
KEYWORD = st.sampled_from(["SERVICE", "service", "Service", "sErViCe"])
SEPARATOR = st.sampled_from(["", " ", "\t", "#c\n", "\r"])
TARGET = st.sampled_from(["<urn:x:svc>", ":svc", "ex:svc", "?t", "$t"])


@given(token=TOKENS, template=BEFORE, keyword=KEYWORD, separator=SEPARATOR, target=TARGET)
@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_service_the_parser_reads_is_refused(token, template, keyword, separator, target):
    left, right = template.split("{kw}")
    head = PROLOGUE + left.format(t=token)
    query = head + keyword + right.format(sep=separator, target=target)
    if reads_service(query, len(head)):
        refusal = inspect_query(query, PREFIXES).refusal
        assert refusal and "SERVICE" in refusal, query


# --- updates, datasets, size ------------------------------------------------------------------------


@pytest.mark.parametrize("query", [
    "LOAD <http://x/>", "load<http://x/>", "INSERT DATA { <a:b> <a:c> <a:d> }", "INSERTDATA{<a:b> <a:c> <a:d>}",
    "PREFIX : <urn:x:> DELETE WHERE { ?s ?p ?o }", "CLEAR ALL", "DROP DEFAULT", "WITH <a:g> DELETE { } WHERE { }",
])
def test_updates_are_refused(query):
    info = inspect_query(query, PREFIXES)
    assert info.is_update and "read-only" in info.refusal


@pytest.mark.parametrize("query", [
    "SELECT * FROM <http://x/g> { ?s ?p ?o }", "SELECT * FROM<http://x/g>{ ?s ?p ?o }",
    "SELECT * FROM NAMED <http://x/g> { }", "SELECT * FROMNAMED<http://x/g> { }",
    "PREFIX r: <http://x/> SELECT * FROM r:g { }", "ASK FROM # a comment\n <http://x/g> { }",
])
def test_datasets_are_refused(query):
    assert parses(query)
    assert "FROM" in inspect_query(query, PREFIXES).refusal


def test_virtuoso_pragmas_are_refused():
    assert "DEFINE" in inspect_query('DEFINE input:grab-all "yes" SELECT * { ?s ?p ?o }').refusal


@pytest.mark.parametrize("query", [
    "SELECT ((" + "+".join(["1"] * 7000) + ") AS ?x) {}",
    "SELECT * { ?s ?p ?o " + "MINUS { ?s ?p ?o } " * 3000 + "}",
    "SELECT * { FILTER(" + "||".join(["true"] * (MAX_OPERATORS + 1)) + ") }",
    "SELECT * { " + " UNION ".join(["{ ?s ?p ?o }"] * MAX_OPERATORS) + " }",
    "SELECT * { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(MAX_OPERATORS + 1)) + " }",
    "SELECT * { ?s " + "/".join(["<urn:p>"] * (MAX_OPERATORS + 1)) + " ?o }",
    # a chain inside what looks like an IRI but is less-than to the parser (no base IRI)
    "SELECT * { FILTER(?a<?b" + "+1" * (MAX_OPERATORS + 1) + ">0) }",
])
def test_operator_chains_are_refused_before_evaluation(query):
    assert "operators" in inspect_query(query).refusal


@pytest.mark.parametrize("opening", ["(", "{", "["])
def test_nesting_is_capped(opening):
    closing = {"(": ")", "{": "}", "[": "]"}[opening]
    query = "SELECT * WHERE { FILTER(" + opening * MAX_NESTING + closing * MAX_NESTING + ") }"
    assert "nests" in inspect_query(query).refusal


def test_queries_under_the_caps_are_accepted():
    query = "SELECT * { FILTER(" + "||".join(["true"] * 300) + ") VALUES ?x { " + "1 " * 10_000 + "} }"
    info = inspect_query(query)
    assert info.refusal is None and info.form == "SELECT"
