"""graph.shacl_sparql (SHACL compiled to SPARQL on pyoxigraph) gives pyshacl's results.

For the real seed build, a generated corpus, every one-rule-broken graph of test_ontology and
small inline shapes graphs covering the constructs ontology/shapes.ttl does not (or no longer)
use, the set of (severity, focus, path, value, source shape) of pyshacl, run the way the
pipeline runs it, equals the set of the SPARQL engine.

The 1,000-article timing comparison is opt-in: MKG_SHACL_BENCH=1 pytest -s -k bench.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import SH, SKOS, XSD

from graph.build import build
from graph.shacl_sparql import _to_ox, compile_shapes, validate_with_sparql
from graph.validate import load_shapes, validate_graph, validate_ntriples
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


def store_of(data: Graph) -> tuple[ox.Store, bool]:
    """A pyoxigraph copy of `data`, and whether its blank nodes kept rdflib's labels.

    Labels are kept when the triples can be added one by one; a graph with an IRI that
    pyoxigraph refuses (e.g. with a space) goes through N-Triples and a lenient load, like
    graph.validate.validate_ntriples does, and blank nodes get new labels.
    """
    store = ox.Store()
    try:
        quads = [ox.Quad(_to_ox(s), _to_ox(p), _to_ox(o)) for s, p, o in data]
    except ValueError:
        n3 = lambda t: f"<{t}>" if isinstance(t, URIRef) else t.n3()  # noqa: E731 (rdflib refuses bad IRIs)
        lines = "".join(f"{n3(s)} {n3(p)} {n3(o)} .\n" for s, p, o in data)
        store.bulk_load(input=lines.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES, lenient=True)
        return store, False
    store.extend(quads)
    return store, True


def ours(store: ox.Store, shapes: Graph) -> tuple[Counter, list[str]]:
    keys, messages = Counter(), []
    for r in validate_with_sparql(store, shapes):
        keys[_key(shapes, r.severity, r.focus, r.path, r.value, r.shape)] += 1
        if r.shape in _sparql_shapes(shapes):
            messages.append(r.message)
    return keys, messages


def _iri_sets(messages: list[str]) -> Counter:
    return Counter(frozenset(re.findall(r"https?://\S+", m)) for m in messages)


def _blank(keys: Counter) -> Counter:
    return Counter(tuple("_:" if isinstance(t, BNode) else t for t in key) for key in keys.elements())


def assert_same(data: Graph, shapes: Graph) -> Counter:
    expected, expected_messages = reference(data, shapes)
    store, same_labels = store_of(data)
    found, found_messages = ours(store, shapes)
    if not same_labels:
        expected, found = _blank(expected), _blank(found)
    assert set(found) == set(expected), (
        f"missing {set(expected) - set(found)}\nextra {set(found) - set(expected)}"
    )
    assert found == expected  # the same number of results per key, too
    # SHACL-SPARQL: the same groups of concepts named in the messages.
    assert _iri_sets(found_messages) == _iri_sets(expected_messages)
    return expected


# --- (a) the seed build, (b) a generated corpus ------------------------------------------


def test_seed_build_matches_pyshacl(seed_build, shapes) -> None:
    _, out = seed_build
    data = Graph().parse(out / "graph.nt", format="nt")
    store = ox.Store()
    store.bulk_load(path=str(out / "graph.nt"), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    # Loaded from the file (as validate_ntriples does), blank nodes get other labels than
    # rdflib's: compare with blank nodes blurred, then exactly with shared labels.
    expected, _ = reference(data, shapes)
    found, _ = ours(store, shapes)
    assert _blank(found) == _blank(expected)
    assert_same(data, shapes)


def test_validate_ntriples_equals_validate_graph(seed_build) -> None:
    """The engine switch: same ValidationResult records (source files included)."""
    _, out = seed_build
    data = Graph().parse(out / "graph.nt", format="nt")
    reference_report = validate_graph(data, VOCAB)
    for report in (validate_ntriples(out / "graph.nt", VOCAB),
                   validate_ntriples((out / "graph.nt").read_bytes().splitlines(keepends=True), VOCAB),
                   validate_graph(data, VOCAB, engine="sparql")):
        strip = lambda rep: sorted((r.severity, r.focus, r.path, r.value, r.shape, r.source)  # noqa: E731
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

    where = tmp_path_factory.mktemp("shacl-sparql-corpus")
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


# --- constructs the project's shapes do not use (any more) ---------------------------------

FEATURE_PREFIXES = """\
@prefix rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix ex:   <http://example.org/> .
"""

FEATURE_SHAPES = FEATURE_PREFIXES + """
<http://example.org/shapes> sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .

ex:ThingShape a sh:NodeShape ;
    sh:targetClass ex:Thing ;
    sh:nodeKind sh:IRI ;
    sh:pattern "^http://example.org/[a-z0-9]+$" ;
    sh:property ex:Thing-list , ex:Thing-label , ex:Thing-size , ex:Thing-code , ex:Thing-off , [
        sh:path ex:tag ;
        sh:qualifiedValueShape [ sh:languageIn ( "en" "fr-ca" ) ] ;
        sh:qualifiedMinCount 1 ; sh:qualifiedMaxCount 2 ;
        sh:severity sh:Info
    ] , [
        sh:path ex:flag ; sh:datatype xsd:boolean ; sh:maxCount 1 ; sh:hasValue true
    ] , [
        sh:path ex:kind ; sh:in ( ex:a ex:b "c" ) ; sh:nodeKind sh:IRIOrLiteral
    ] , [
        sh:path ( ex:parent ex:parent ) ; sh:class ex:Thing ; sh:minCount 2
    ] , [
        sh:path [ sh:inversePath ex:parent ] ; sh:maxCount 2 ; sh:severity sh:Warning
    ] , [
        sh:path ex:label ; sh:disjoint ex:alias ; sh:uniqueLang true
    ] .

ex:Thing-list a sh:PropertyShape ;
    sh:path ( ex:items [ sh:zeroOrMorePath rdf:rest ] ) ;
    sh:node ex:ListNode ;
    sh:message "bad list" .

ex:ListNode a sh:NodeShape ;
    sh:or (
        [ sh:in ( rdf:nil ) ]
        [ sh:property [ sh:path rdf:first ; sh:minCount 1 ; sh:maxCount 1 ] ,
                      [ sh:path rdf:rest ; sh:minCount 1 ; sh:maxCount 1 ] ]
    ) .

ex:Thing-label a sh:PropertyShape ; sh:path ex:label ; sh:datatype rdf:langString ; sh:minLength 2 .
ex:Thing-size a sh:PropertyShape ; sh:path ex:size ; sh:datatype xsd:integer ; sh:minInclusive 3 .
ex:Thing-code a sh:PropertyShape ; sh:path ex:code ; sh:pattern "^ab" ; sh:flags "i" ; sh:datatype xsd:string .
ex:Thing-off a sh:PropertyShape ; sh:path ex:code ; sh:minCount 5 ; sh:deactivated true .

ex:Gadget a rdfs:Class , sh:NodeShape ;           # implicit class target
    sh:property [ sh:path ex:owner ; sh:minCount 1 ; sh:node ex:OwnerShape ] .
ex:OwnerShape a sh:NodeShape ; sh:class ex:Person ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .

ex:ObjectsShape a sh:NodeShape ;
    sh:targetObjectsOf ex:owner ; sh:targetSubjectsOf ex:name ; sh:targetNode ex:nobody ;
    sh:hasValue ex:alice ; sh:severity sh:Warning .

ex:SparqlShape a sh:NodeShape ;
    sh:targetClass ex:Thing ;
    sh:sparql [
        a sh:SPARQLConstraint ;
        sh:message "{$this} has the big size {?value}" ;
        sh:prefixes <http://example.org/shapes> ;
        sh:select "SELECT $this ?value WHERE { $this ex:size ?value . FILTER(isNumeric(?value) && ?value > 10) }" ;
    ] .
"""

FEATURE_DATA = FEATURE_PREFIXES + """
ex:one a ex:Thing ; ex:items ( "a" "b" ) ; ex:label "one"@en , "x"@en , "un"@fr , "one"@EN-gb ;
    ex:alias "one"@en ; ex:size 2 , 30 , "4" ; ex:code "AB-1" , "zz" , ex:iri ;
    ex:tag "t"@en , "t"@fr-CA , "t"@fr-FR , "t"@en-GB , "t"@de ; ex:flag false , "1"^^xsd:boolean ;
    ex:kind ex:a , ex:z , "c" , "c"@en , [ ] ; ex:parent ex:two .
ex:two a ex:Thing ; ex:items ex:broken ; ex:parent ex:three , ex:four ; ex:tag "t"@de ; ex:flag true .
ex:broken rdf:first "a" , "b" ; rdf:rest rdf:nil .
ex:three a ex:Thing ; ex:parent ex:one ; ex:flag true ; ex:tag "e"@en .
ex:four ex:parent ex:five , ex:three .
ex:BAD a ex:Thing ; ex:parent ex:two , ex:three ; ex:flag true ; ex:tag "e"@en .
_:blank a ex:Thing ; ex:flag true ; ex:tag "e"@en .
ex:g1 a ex:Gadget ; ex:owner ex:alice .
ex:g2 a ex:Gadget ; ex:owner ex:bob , "carol" .
ex:g3 a ex:Gadget .
ex:alice a ex:Person ; ex:name "Alice" .
ex:bob ex:name "Bob" .
"""


def test_features_match_pyshacl() -> None:
    shapes = Graph().parse(data=FEATURE_SHAPES, format="turtle")
    data = Graph().parse(data=FEATURE_DATA, format="turtle")
    expected = assert_same(data, shapes)
    kinds = {key[4] for key in expected}
    # Every family fired at least once, so the comparison is not vacuous.
    for shape in ("ThingShape", "Thing-list", "Thing-label", "Thing-size", "Thing-code", "ObjectsShape",
                  "SparqlShape"):
        assert URIRef(f"http://example.org/{shape}") in kinds, shape
    assert URIRef("http://example.org/Thing-off") not in kinds
    assert len(kinds) >= 14  # incl. the anonymous property shapes (inverse and sequence paths, ...)


def test_features_with_subclasses_in_the_data() -> None:
    """rdfs:subClassOf triples in the data switch targets and sh:class to rdf:type/rdfs:subClassOf*."""
    shapes = Graph().parse(data=FEATURE_SHAPES, format="turtle")
    data = Graph().parse(data=FEATURE_DATA + """
        ex:SubThing rdfs:subClassOf ex:Thing . ex:SubSub rdfs:subClassOf ex:SubThing .
        ex:Admin rdfs:subClassOf ex:Person . ex:bob a ex:Admin .
        ex:six a ex:SubSub ; ex:flag true ; ex:size 1 ; ex:tag "s"@en .
        """, format="turtle")
    assert_same(data, shapes)


def test_sparql_constraint_with_prebound_this(shapes) -> None:
    """The project's sh:targetNode SPARQL constraint: $this is substituted, GROUP BY $this works."""
    data = valid()
    data += ttl('concept:copy a mkg:Concept ; skos:prefLabel "Viral Marketing"@en ; mkg:slug "copy" .')
    expected = assert_same(data, shapes)
    assert any(key[4] in _sparql_shapes(shapes) and key[1] == VOCAB.concept_scheme for key in expected)


# --- unsupported constructs fail loudly ----------------------------------------------------

UNSUPPORTED = {
    "sh:alternativePath": "ex:S sh:targetClass ex:T ; sh:property [ sh:path [ sh:alternativePath ( ex:a ex:b ) ] ; sh:minCount 1 ] .",
    "sh:maxLength": "ex:S sh:targetClass ex:T ; sh:property [ sh:path ex:a ; sh:maxLength 3 ] .",
    "sh:closed": "ex:S sh:targetClass ex:T ; sh:closed true .",
    "sh:xone": "ex:S sh:targetClass ex:T ; sh:xone ( [ sh:class ex:A ] [ sh:class ex:B ] ) .",
    "sh:datatype": "ex:S sh:targetClass ex:T ; sh:property [ sh:path ex:a ; sh:datatype xsd:date ] .",
    "sh:sparql on the property": ('ex:S sh:targetClass ex:T ; sh:property [ sh:path ex:a ; sh:sparql '
                                  '[ sh:select "SELECT $this WHERE { }" ] ] .'),
    "sh:target|sh:SPARQLTarget": 'ex:S sh:target [ a sh:SPARQLTarget ; sh:select "SELECT ?this WHERE { }" ] .',
    "sh:flags": 'ex:S sh:targetClass ex:T ; sh:pattern "a" ; sh:flags "q" .',
    "recursive shape": "ex:S sh:targetClass ex:T ; sh:property [ sh:path ex:a ; sh:node ex:S ] .",
    "sh:minCount on the node shape": "ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:minCount 1 .",
    "sh:severity on the SPARQL constraint": (
        'ex:S sh:targetNode ex:x ; sh:sparql [ sh:severity sh:Warning ; sh:select "SELECT $this WHERE { }" ] .'
    ),
}


@pytest.mark.parametrize("construct", list(UNSUPPORTED))
def test_unsupported_construct_raises(construct: str) -> None:
    shapes = Graph().parse(data=FEATURE_PREFIXES + UNSUPPORTED[construct], format="turtle")
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://example.org/x"), ox.NamedNode(str(URIRef(
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"))), ox.NamedNode("http://example.org/T")))
    with pytest.raises(NotImplementedError, match=construct.split()[0]):
        validate_with_sparql(store, shapes)


def test_unsafe_iri_in_shapes_is_refused() -> None:
    shapes = Graph()
    shapes.add((URIRef("http://example.org/S"), SH.targetClass, URIRef("http://example.org/T> } #")))
    with pytest.raises(ValueError, match="not safe"):
        compile_shapes(shapes)


def test_project_shapes_compile(shapes) -> None:
    queries = compile_shapes(shapes)
    assert queries
    # Data never reaches the query text; only the shapes' own namespaces do.
    for query in queries:
        without_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)
        for iri in re.findall(r"<([^<>\s\"{}|^`\\]*)>", without_strings):
            assert iri.startswith(("http://www.w3.org/", "https://schema.org/", "http://purl.org/dc/terms/",
                                   VOCAB.base)), iri
