"""The build's SHACL engine (PyPI `shacl`, in Rust, through graph.pipeline.validate.validate_file) gives pyshacl's results.

The SHACL-SPARQL shape (overlapping labels) runs apart, on pyoxigraph over the triples it names
(graph.pipeline.shacl_engine._run_apart); its results are compared here as the engine's are.

For the real seed build, a generated corpus (also with several rules broken at once), every
one-rule-broken graph of test_ontology and more broken cases, the multiset of (severity, focus,
path, value, source shape) of pyshacl, run the way the pipeline runs it, equals the engine's,
and so do the concepts named by the SPARQL-based constraint's messages.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import SH, SKOS, XSD

from graph.pipeline.build import build
from graph.pipeline.shacl_engine import run_engine
from graph.pipeline.validate import _nt, load_shapes, validate_file, validate_graph
from graph.vocab import Vocabulary
from tests.test_ontology import MARKETING, VIOLATION_CASES, VM, ttl, valid

VOCAB = Vocabulary()
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(VOCAB)


# --- comparison ---------------------------------------------------------------------------


def _norm(term):
    """xsd:string literals and plain literals are the same term."""
    if isinstance(term, Literal) and term.datatype == XSD.string and not term.language:
        return Literal(str(term))
    return term


def _sparql_shapes(shapes: Graph) -> set:
    return set(shapes.subjects(SH.sparql, None))


def _key(shapes: Graph, severity: str, focus, path, value, shape) -> tuple:
    # The value of a SHACL-SPARQL result is whatever the query selects; the project's query
    # uses SAMPLE(), which two engines may resolve to different labels of the same group.
    if shape in _sparql_shapes(shapes):
        value = "<sampled>"
    return (severity, _norm(focus), path if isinstance(path, URIRef) else None, _norm(value), shape)


def reference(data: Graph, shapes: Graph) -> tuple[Counter, list[str]]:
    """pyshacl's results (as the pipeline runs it) and its SPARQL-constraint messages."""
    _, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True, allow_infos=True
    )
    keys, messages = Counter(), []
    # The results of the report; not the sh:detail results nested under an sh:node result.
    for r in report.objects(None, SH.result):
        shape = report.value(r, SH.sourceShape)
        severity = str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1]
        keys[_key(shapes, severity, report.value(r, SH.focusNode), report.value(r, SH.resultPath),
                  report.value(r, SH.value), shape)] += 1
        if shape in _sparql_shapes(shapes):
            messages.append(str(report.value(r, SH.resultMessage)))
    return keys, messages


def _term(text: str | None):
    """The rdflib term of an N-Triples term (the engine reports terms in N-Triples syntax)."""
    if text is None:
        return None
    if text.startswith("_:"):
        return BNode(text[2:])
    if text.startswith("<") and text.endswith(">") and " " in text:  # rdflib refuses such an IRI
        return URIRef(text[1:-1])
    (_, _, term), = Graph().parse(data=f"<x:s> <x:p> {text} .", format="nt")
    return term


def ours(data: Graph | Path, shapes: Graph) -> tuple[Counter, list[str]]:
    """The engine's results on `data` (written as N-Triples, as the build writes graph.nt) and its SPARQL messages."""
    source = data if isinstance(data, Path) else "".join(
        f"{_nt(s)} {_nt(p)} {_nt(o)} .\n" for s, p, o in data).encode("utf-8")
    report, renamed = run_engine(source, VOCAB)
    keys, messages = Counter(), []
    for r in report.results:
        path = URIRef(r.path[1:-1]) if r.path and r.path.startswith("<") and r.path.endswith(">") else None
        shape = _term(r.source_shape)
        focus, value = renamed.get(r.focus_node, r.focus_node), renamed.get(r.value, r.value)
        keys[_key(shapes, r.severity, _term(focus), path, _term(value), shape)] += 1
        if shape in _sparql_shapes(shapes):
            messages.append(r.message)
    return keys, messages


def _iri_sets(messages: list[str]) -> Counter:
    return Counter(frozenset(re.findall(r"https?://\S+", m)) for m in messages)


def _blank(keys: Counter) -> Counter:
    return Counter(tuple("_:" if isinstance(t, BNode) else t for t in key) for key in keys.elements())


def assert_same(data: Graph, shapes: Graph) -> Counter:
    expected, expected_messages = reference(data, shapes)
    found, found_messages = ours(data, shapes)
    expected, found = _blank(expected), _blank(found)  # each engine labels blank nodes its own way
    assert set(found) == set(expected), (
        f"missing {set(expected) - set(found)}\nextra {set(found) - set(expected)}"
    )
    assert found == expected  # the same number of results per key, too
    # SHACL-SPARQL: the same groups of concepts named in the messages.
    assert _iri_sets(found_messages) == _iri_sets(expected_messages)
    return expected


# --- (a) the seed build, (b) a generated corpus ------------------------------------------


def test_sparql_shape_apart_equals_the_engine_on_the_whole_graph(corpus_graph) -> None:
    """The overlapping-labels shape run apart gives what the engine gives with it inside, on the whole graph."""
    import shacl

    from graph.pipeline.shacl_engine import _read

    data = valid() + ttl(MORE_CASES["three concepts share a label, two of them twice"])
    data += Graph().parse(corpus_graph, format="nt")
    body = "".join(f"{_nt(s)} {_nt(p)} {_nt(o)} .\n" for s, p, o in data)
    whole = shacl.Shapes.from_turtle(VOCAB.rebase(_read(ROOT / "ontology" / "shapes.ttl")))
    expected = whole.validate_text(body, format="ntriples", allow_warnings=True).results
    found, _ = run_engine(body.encode(), VOCAB)
    as_key = lambda r: (r.severity, r.focus_node, r.path, r.value, r.message, r.source_shape)  # noqa: E731
    assert sorted(map(as_key, found.results)) == sorted(map(as_key, expected))
    assert sum("Overlapping" in (r.message or "") for r in expected) >= 8


def test_seed_build_matches_pyshacl(seed_build, shapes) -> None:
    _, out = seed_build
    data = Graph().parse(out / "graph.nt", format="nt")
    expected, _ = reference(data, shapes)
    found, _ = ours(out / "graph.nt", shapes)  # the file itself, as the build validates it
    assert _blank(found) == _blank(expected)
    assert_same(data, shapes)


def test_validate_file_equals_validate_graph(seed_build) -> None:
    """The engine switch: same ValidationResult records (source files included)."""
    _, out = seed_build
    data = Graph().parse(out / "graph.nt", format="nt")
    reference_report = validate_graph(data, VOCAB)
    for report in (validate_file(out / "graph.nt", VOCAB), validate_file((out / "graph.nt").read_bytes(), VOCAB),
                   validate_graph(data, VOCAB, engine="shacl")):
        strip = lambda rep: sorted((r.severity, r.focus, r.path, r.value, r.shape, r.source, r.message)  # noqa: E731
                                   for r in rep.results if not r.focus.startswith("_:"))
        assert strip(report) == strip(reference_report)
        assert report.counts() == reference_report.counts()
        assert report.conforms == reference_report.conforms
        graph = report.report_graph
        assert graph is not None
        assert len(set(graph.subjects(None, SH.ValidationResult))) == len(report.results)
        (conforms,) = graph.objects(None, SH.conforms)
        assert conforms.value is report.conforms
    with pytest.raises(ValueError, match="engine"):
        validate_graph(data, VOCAB, engine="nope")


@pytest.fixture(scope="module")
def corpus_graph(tmp_path_factory) -> Path:
    from bench.corpus import generate

    where = tmp_path_factory.mktemp("shacl-engine-corpus")
    generate(150, where / "content", seed=0)
    report = build(where / "content", where / "build")
    assert report.written, report.failure
    return where / "build" / "graph.nt"


def test_generated_corpus_matches_pyshacl(corpus_graph, shapes) -> None:
    data = Graph().parse(corpus_graph, format="nt")
    expected = assert_same(data, shapes)
    assert sum(expected.values()) > 0  # the corpus does produce warnings / infos


def test_broken_generated_corpus_matches_pyshacl(corpus_graph, shapes) -> None:
    """The same corpus with several rules broken at once, at scale."""
    data = Graph().parse(corpus_graph, format="nt")
    mkg = VOCAB.MKG
    links = sorted(data.subjects(mkg.linkTarget, None))[:5]
    for link in links:
        data.remove((link, mkg.sourceLine, None))
        data.add((link, mkg.position, Literal(0)))
    concepts = sorted(set(data.subjects(mkg.slug, None)))[:6]
    data.add((concepts[0], mkg.slug, Literal("second-slug")))
    data.add((concepts[1], mkg.hasArticle, Literal("no")))
    data.add((concepts[2], mkg.linksTo, Literal("not a concept")))
    data.add((concepts[3], SKOS.prefLabel, Literal("untagged")))
    data.add((concepts[4], SKOS.definition, Literal("x", lang="AR")))
    expected = assert_same(data, shapes)
    assert any(key[0] == "Violation" for key in expected)


# --- (c) one broken rule per graph ----------------------------------------------------------


@pytest.mark.parametrize("case", list(VIOLATION_CASES))
def test_violation_case_matches_pyshacl(shapes, case: str) -> None:
    edit, _, _ = VIOLATION_CASES[case]
    data = valid()
    edit(data)
    expected = assert_same(data, shapes)
    assert any(key[0] == "Violation" for key in expected), case


MORE_CASES = {
    "valid graph": "",
    "literal link target": 'concept:marketing mkg:linksTo "viral-marketing" .',
    "orphan and overlapping labels": """
        concept:viral-marketing-2 a mkg:Concept , skos:Concept ;
            skos:prefLabel "ألتسويق  الفيروسـيّ"@ar , "Marketing"@en ; mkg:hasArticle false ;
            mkg:slug "viral-marketing-2" .""",
    "three concepts share a label, two of them twice": """
        concept:marketing skos:prefLabel "مشترك"@ar , "shared"@en .
        concept:viral-marketing skos:prefLabel "مشترك"@ar , "shared"@en .
        keyword:business skos:prefLabel "مشترك"@ar .
        <https://marketing-kg.example/concept/%D8%A7> a mkg:Concept ; skos:prefLabel "مشترك"@ar .""",
    "ill-typed integer and boolean": """
        <https://marketing-kg.example/article/viral-marketing#section-1>
            mkg:sourceLine "twelve"^^xsd:integer .
        concept:marketing mkg:hasArticle "maybe"^^xsd:boolean .""",
    "empty source path and upper-case language": """
        article:viral-marketing mkg:sourcePath "" .
        concept:marketing skos:prefLabel "MARKETING"@EN .""",
    "two FAQ answers, one untyped": """
        <https://marketing-kg.example/article/viral-marketing#faq-1>
            schema:acceptedAnswer <https://marketing-kg.example/article/viral-marketing#faq-2> .""",
    "keyword with two English labels": 'keyword:business skos:prefLabel "Biz"@en-GB .',
    "blank node as link target": "concept:marketing mkg:linksTo [ a mkg:Concept ] .",
    # sh:lessThan: a level that is not less, one that is not comparable, a sub-section without a level
    "outline nesting broken": """
        <https://marketing-kg.example/article/viral-marketing#section-1> mkg:headingLevel 3 , "two" .
        <https://marketing-kg.example/article/viral-marketing#section-4> a mkg:Section ; schema:name "x"@ar ;
            mkg:position 4 ; mkg:subSectionOf <https://marketing-kg.example/article/viral-marketing#section-1> .
        <https://marketing-kg.example/article/viral-marketing#section-5> a mkg:Section ; schema:name "y"@ar ;
            mkg:position 5 ; mkg:headingLevel 6 ;
            mkg:subSectionOf <https://marketing-kg.example/article/viral-marketing#section-2> .""",
    "term definition and dates broken": """
        <https://marketing-kg.example/article/viral-marketing#definition-1> mkg:definitionText " "@ar , "x" ;
            mkg:definitionOf keyword:business ; mkg:sourceLine 0 .
        article:viral-marketing dct:created "2023-05-01"^^xsd:date , "01/05/2023" ; dct:creator 7 .""",
    # several count groups of one focus broken at once: they share one merged query
    "link and section broken on every path": """
        <https://marketing-kg.example/article/viral-marketing#link-1>
            mkg:anchorText "second"@ar , "untagged" ; mkg:linkTarget keyword:business ;
            mkg:sourceLine 0 , "x"^^xsd:integer ; mkg:position 2 ;
            mkg:inSection <https://marketing-kg.example/article/viral-marketing#nowhere> .
        <https://marketing-kg.example/article/viral-marketing#section-1>
            schema:name "ثان"@ar ; mkg:position -1 .""",
}


@pytest.mark.parametrize("case", list(MORE_CASES))
def test_more_cases_match_pyshacl(shapes, case: str) -> None:
    data = valid()
    if MORE_CASES[case]:
        data += ttl(MORE_CASES[case])
    assert_same(data, shapes)


def test_quality_checks_match(shapes) -> None:
    data = valid()
    data.remove((MARKETING, VOCAB.MKG.linksTo, VM))
    expected = assert_same(data, shapes)
    assert {key[0] for key in expected} == {"Warning", "Info"}
