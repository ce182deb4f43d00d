"""The ontology (ontology/marketing.ttl) and the SHACL shapes (ontology/shapes.ttl).

Every structural rule gets a small graph that breaks exactly that rule; the qSKOS-style
quality checks must report sh:Warning / sh:Info, never sh:Violation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Node, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS

from graph.vocab import ONTOLOGY_CLASSES, ONTOLOGY_PROPERTIES, SCHEMA, Vocabulary

ONTOLOGY_DIR = Path(__file__).parents[1] / "ontology"
VOCAB = Vocabulary()
MKG = VOCAB.MKG

PREFIXES = """\
@prefix rdf:     <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd:     <http://www.w3.org/2001/XMLSchema#> .
@prefix dct:     <http://purl.org/dc/terms/> .
@prefix skos:    <http://www.w3.org/2004/02/skos/core#> .
@prefix schema:  <https://schema.org/> .
@prefix mkg:     <https://marketing-kg.example/ontology#> .
@prefix concept: <https://marketing-kg.example/concept/> .
@prefix keyword: <https://marketing-kg.example/keyword/> .
@prefix article: <https://marketing-kg.example/article/> .
@prefix org:     <https://marketing-kg.example/organization/> .
"""


def ttl(text: str) -> Graph:
    """Parse an inline Turtle fixture written with the PREFIXES above."""
    return Graph().parse(data=PREFIXES + text, format="turtle")


# A small graph that follows every structural rule: a concept with an article (keyword,
# link, section, FAQ, key figure, take-aways, organisation, defined term) and a red link.
# The red link links back so that viral-marketing is not an orphan.
VALID = """
<https://marketing-kg.example/concepts> a skos:ConceptScheme ;
    skos:prefLabel "Marketing concepts"@en , "مفاهيم التسويق"@ar .
<https://marketing-kg.example/keywords> a skos:ConceptScheme ;
    skos:prefLabel "Keywords"@en , "الكلمات المفتاحية"@ar .

concept:viral-marketing a mkg:Concept , skos:Concept ;
    skos:inScheme <https://marketing-kg.example/concepts> ;
    skos:prefLabel "التسويق الفيروسي"@ar , "Viral Marketing"@en ;
    skos:altLabel "VM"@en ;
    mkg:abbreviation "VM" ;
    skos:hiddenLabel "تسويق فيروسي"@ar ;
    skos:definition "يسعى التسويق الفيروسي إلى نشر المعلومات حول منتج أو خدمة."@ar ;
    schema:abstract "التسويق الفيروسي ينشر الرسالة من شخص لآخر."@ar ;
    mkg:slug "viral-marketing" ;
    mkg:slugAlias "viral_marketing" ;
    mkg:hasArticle true ;
    schema:subjectOf article:viral-marketing ;
    mkg:hasKeyword keyword:business ;
    mkg:linksTo concept:marketing ;
    mkg:takeaway ( "الخلاصة الأولى"@ar "الخلاصة الثانية"@ar ) ;
    mkg:keyFigure <https://marketing-kg.example/article/viral-marketing#figure-1> ;
    mkg:definesTerm concept:الرسالة ;
    schema:mentions org:facebook .

article:viral-marketing a schema:Article , schema:FAQPage ;
    schema:about concept:viral-marketing ;
    schema:headline "التسويق الفيروسي"@ar ;
    schema:inLanguage "ar" ;
    mkg:sourcePath "viral-marketing.md" ;
    mkg:contentHash "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" ;
    dct:created "2023-05-01"^^xsd:date ;
    dct:modified "2024-01-02T10:00:00+03:00"^^xsd:dateTime ;
    dct:creator "Jane Doe" ;
    mkg:link <https://marketing-kg.example/article/viral-marketing#link-1> ;
    mkg:section <https://marketing-kg.example/article/viral-marketing#section-1> ,
        <https://marketing-kg.example/article/viral-marketing#section-2> ;
    schema:mainEntity <https://marketing-kg.example/article/viral-marketing#faq-1> .

<https://marketing-kg.example/article/viral-marketing#link-1> a mkg:Link ;
    mkg:linkSource concept:viral-marketing ;
    mkg:linkTarget concept:marketing ;
    mkg:anchorText "تسويقية"@ar ;
    mkg:sourceLine 10 ;
    mkg:position 1 ;
    mkg:inSection <https://marketing-kg.example/article/viral-marketing#section-1> .

<https://marketing-kg.example/article/viral-marketing#section-1> a mkg:Section ;
    schema:name "ما هو التسويق الفيروسي؟"@ar ;
    mkg:position 1 ;
    mkg:headingLevel 2 ;
    mkg:sourceLine 8 ;
    schema:hasPart <https://marketing-kg.example/article/viral-marketing#section-2> .

<https://marketing-kg.example/article/viral-marketing#section-2> a mkg:Section ;
    schema:name "مقاييس التتبع"@ar ;
    mkg:position 2 ;
    mkg:headingLevel 3 ;
    mkg:sourceLine 12 ;
    mkg:subSectionOf <https://marketing-kg.example/article/viral-marketing#section-1> .

<https://marketing-kg.example/article/viral-marketing#definition-1> a mkg:TermDefinition ;
    mkg:definitionOf concept:الرسالة ;
    mkg:definitionText "ما تريد الحملة أن ينشره الناس."@ar ;
    schema:name "الرسالة"@ar ;
    schema:isPartOf article:viral-marketing ;
    mkg:sourceLine 14 ;
    mkg:position 1 .

<https://marketing-kg.example/article/viral-marketing#faq-1> a schema:Question ;
    schema:name "كيف أجعل علامتي التجارية تنتشر بسرعة؟"@ar ;
    mkg:position 1 ;
    schema:acceptedAnswer <https://marketing-kg.example/article/viral-marketing#faq-1-answer> .

<https://marketing-kg.example/article/viral-marketing#faq-1-answer> a schema:Answer ;
    schema:text "أنشئ محتوى يرغب الناس في مشاركته."@ar .

<https://marketing-kg.example/article/viral-marketing#figure-1> a mkg:KeyFigure ;
    mkg:figureValue "115 مليون دولار"@ar ;
    mkg:figureCaption "مقدار التبرعات التي تم جمعها."@ar ;
    mkg:position 1 .

keyword:business a mkg:Keyword , skos:Concept ;
    skos:inScheme <https://marketing-kg.example/keywords> ;
    skos:prefLabel "Business"@en ;
    mkg:slug "business" .

concept:marketing a mkg:Concept , skos:Concept ;
    skos:inScheme <https://marketing-kg.example/concepts> ;
    skos:prefLabel "Marketing"@en , "تسويق"@ar ;
    skos:hiddenLabel "تسويقية"@ar ;
    mkg:hasArticle false ;
    mkg:slug "marketing" ;
    mkg:linksTo concept:viral-marketing .

concept:الرسالة a mkg:Concept , skos:Concept , mkg:DefinedTerm ;
    skos:inScheme <https://marketing-kg.example/concepts> ;
    skos:prefLabel "الرسالة"@ar ;
    skos:definition "ما تريد الحملة أن ينشره الناس."@ar ;
    mkg:hasArticle false ;
    mkg:definedIn concept:viral-marketing ;
    mkg:hasTermDefinition <https://marketing-kg.example/article/viral-marketing#definition-1> ;
    mkg:slug "الرسالة" .

org:facebook a schema:Organization ;
    schema:name "Facebook" ;
    mkg:slug "facebook" .
"""

VM = VOCAB.concept("viral-marketing")
MARKETING = VOCAB.concept("marketing")
TERM = VOCAB.concept("الرسالة")
ARTICLE = VOCAB.article("viral-marketing")
LINK = VOCAB.part("viral-marketing", "link", 1)
SECTION = VOCAB.part("viral-marketing", "section", 1)
SUBSECTION = VOCAB.part("viral-marketing", "section", 2)
DEFINITION = VOCAB.part("viral-marketing", "definition", 1)
DCT = "http://purl.org/dc/terms/"
FAQ = VOCAB.part("viral-marketing", "faq", 1)
ANSWER = URIRef(f"{FAQ}-answer")
FIGURE = VOCAB.part("viral-marketing", "figure", 1)
KEYWORD = VOCAB.keyword("business")
ORG = VOCAB.organization("facebook")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(ONTOLOGY_DIR / "shapes.ttl")


@pytest.fixture(scope="module")
def core_shapes(shapes: Graph) -> Graph:
    """The shapes without their SPARQL-based constraints, for the many violation cases.

    The only sh:sparql constraint (overlapping labels) has severity sh:Warning, so it cannot
    add or hide a violation; rdflib re-parses its query on every validation, which would
    double the run time of the tests below.
    """
    core = Graph()
    for triple in shapes:
        if triple[1] != SH.sparql:
            core.add(triple)
    assert not set(core.objects(None, SH.sparql))
    return core


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_DIR / "marketing.ttl")


class Result(NamedTuple):
    severity: Node
    focus: Node
    path: object  # an IRI, "^IRI" for an inverse path, or a tuple for a sequence path
    value: Node | None
    message: str


def _path(report: Graph, path: Node | None) -> object:
    """Render a result path: IRIs as is, other paths as strings / tuples ("|" for alternatives)."""
    if path is None or isinstance(path, URIRef):
        return path
    if (alternatives := report.value(path, SH.alternativePath)) is not None:
        return "|".join(str(_path(report, step)) for step in Collection(report, alternatives))
    if (inverse := report.value(path, SH.inversePath)) is not None:
        return f"^{inverse}"
    if (repeated := report.value(path, SH.zeroOrMorePath)) is not None:
        return f"{repeated}*"
    return tuple(str(_path(report, step)) for step in Collection(report, path))


def validate(data: Graph, shapes: Graph) -> list[Result]:
    """Validate with the settings the pipeline uses and return every result."""
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True)
    return [
        Result(
            report.value(r, SH.resultSeverity),
            report.value(r, SH.focusNode),
            _path(report, report.value(r, SH.resultPath)),
            report.value(r, SH.value),
            str(report.value(r, SH.resultMessage)),
        )
        for r in report.objects(None, SH.result)
    ]


def violations(data: Graph, shapes: Graph) -> set[tuple[Node, object]]:
    return {(r.focus, r.path) for r in validate(data, shapes) if r.severity == SH.Violation}


_VALID_GRAPH = ttl(VALID)


def valid() -> Graph:
    """A fresh copy of the VALID graph (parsed once)."""
    graph = Graph()
    for triple in _VALID_GRAPH:
        graph.add(triple)
    return graph


Edit = Callable[[Graph], object]


# --- ontology --------------------------------------------------------------------------


def test_ontology_header(ontology: Graph) -> None:
    onto = VOCAB.ontology
    assert (onto, RDF.type, OWL.Ontology) in ontology
    assert str(ontology.value(onto, OWL.versionInfo)) == "1.0"
    langs = {lbl.language for lbl in ontology.objects(onto, RDFS.label)}
    assert {"en", "ar"} <= langs


@pytest.mark.parametrize(
    ("name", "kinds"),
    [(n, {OWL.Class}) for n in ONTOLOGY_CLASSES]
    + [(n, {OWL.ObjectProperty, OWL.DatatypeProperty}) for n in ONTOLOGY_PROPERTIES],
)
def test_every_vocab_term_is_declared(ontology: Graph, name: str, kinds: set[URIRef]) -> None:
    term = MKG[name]
    assert set(ontology.objects(term, RDF.type)) & kinds, f"mkg:{name} is not declared"
    langs = {lbl.language for lbl in ontology.objects(term, RDFS.label)}
    assert {"en", "ar"} <= langs, f"mkg:{name} lacks an @en or @ar label"
    assert any(c.language == "en" for c in ontology.objects(term, RDFS.comment))


def test_key_axioms(ontology: Graph) -> None:
    dct_subject = URIRef("http://purl.org/dc/terms/subject")
    for triple in [
        (MKG.Concept, RDFS.subClassOf, SKOS.Concept),
        (MKG.Keyword, RDFS.subClassOf, SKOS.Concept),
        (MKG.DefinedTerm, RDFS.subClassOf, MKG.Concept),
        (MKG.hasKeyword, RDFS.subPropertyOf, dct_subject),
        (MKG.hasKeyword, RDFS.range, MKG.Keyword),
        (MKG.linksTo, RDFS.domain, MKG.Concept),
        (MKG.linksTo, RDFS.range, MKG.Concept),
        (MKG.linkedFrom, OWL.inverseOf, MKG.linksTo),
        (MKG.abbreviation, RDFS.subPropertyOf, SKOS.altLabel),
        (MKG.definesTerm, OWL.inverseOf, MKG.definedIn),
        (MKG.takeaway, RDFS.range, RDF.List),
    ]:
        assert triple in ontology, triple


def test_every_shape_is_named_and_explains_itself(shapes: Graph) -> None:
    named = {s for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}
    named |= {s for s in shapes.subjects(RDF.type, SH.PropertyShape) if isinstance(s, URIRef)}
    assert len(named) > 50
    for shape in named:
        assert shapes.value(shape, SH.name) or shapes.value(shape, RDFS.label), shape
        messages = list(shapes.objects(shape, SH.message))
        messages += [m for c in shapes.objects(shape, SH.sparql) for m in shapes.objects(c, SH.message)]
        assert messages, f"{shape} has no sh:message"


# --- structural rules ------------------------------------------------------------------


def test_valid_graph_has_no_violation(shapes: Graph) -> None:
    results = validate(valid(), shapes)
    assert [r for r in results if r.severity == SH.Violation] == []
    # Only the expected quality notes: the red link, which has no definition either.
    assert sorted((r.severity, r.focus, r.path) for r in results) == sorted(
        [(SH.Info, MARKETING, MKG.hasArticle), (SH.Info, MARKETING, SKOS.definition)]
    )
    conforms, _, _ = pyshacl.validate(
        valid(), shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    assert conforms


# Each case: a small edit of VALID that breaks exactly one rule, and the one
# (focus node, result path) the violation must name (or None and the set of them). Paths through the take-away list are
# written as tuples: mkg:takeaway / rdf:rest* (/ rdf:first).


def drop(s, p, o=None) -> Edit:
    return lambda g: g.remove((s, p, o))


def add(turtle: str) -> Edit:
    def edit(g: Graph) -> None:
        g += ttl(turtle)

    return edit


def put(s, p, o) -> Edit:
    return lambda g: g.set((s, p, o))


def _takeaway_head(g: Graph) -> Node:
    head = g.value(VM, MKG.takeaway)
    assert head is not None
    return head


def _english_takeaway(g: Graph) -> None:
    g.set((_takeaway_head(g), RDF.first, Literal("first take-away", lang="en")))


def _second_list(g: Graph) -> None:
    head = BNode()
    Collection(g, head, [Literal("خلاصة", lang="ar")])
    g.add((VM, MKG.takeaway, head))


def _empty_list(g: Graph) -> None:
    g.set((VM, MKG.takeaway, RDF.nil))


LIST_MEMBERS = (str(MKG.takeaway), f"{RDF.rest}*", str(RDF.first))
BAD_IRI = URIRef(VOCAB.base + "concept/bad slug")
BLANK = BNode("blank-concept")
ANSWER_TEXT = Literal("أنشئ محتوى يرغب الناس في مشاركته.", lang="ar")

VIOLATION_CASES = {
    # concept with an article
    "article-concept: no @ar prefLabel": (
        drop(VM, SKOS.prefLabel, Literal("التسويق الفيروسي", lang="ar")),
        VM,
        SKOS.prefLabel,
    ),
    "article-concept: no definition": (drop(VM, SKOS.definition), VM, SKOS.definition),
    "article-concept: two definitions": (
        add('concept:viral-marketing skos:definition "Spreading a message person to person."@en .'),
        VM,
        SKOS.definition,
    ),
    "article-concept: no keyword": (drop(VM, MKG.hasKeyword), VM, MKG.hasKeyword),
    "article-concept: subjectOf not an Article": (  # the term definition written in it is hit too
        drop(ARTICLE, RDF.type, SCHEMA.Article),
        None,
        {(VM, SCHEMA.subjectOf), (DEFINITION, SCHEMA.isPartOf)},
    ),
    "article-concept: two articles": (
        add(
            "concept:viral-marketing schema:subjectOf article:copy . article:copy a schema:Article ;"
            ' schema:about concept:viral-marketing ; mkg:sourcePath "copy.md" ;'
            f' mkg:contentHash "{"a" * 64}" .'
        ),
        VM,
        SCHEMA.subjectOf,
    ),
    "article-concept: hasArticle false": (put(VM, MKG.hasArticle, Literal(False)), VM, MKG.hasArticle),
    # article
    "article: no sourcePath": (drop(ARTICLE, MKG.sourcePath), ARTICLE, MKG.sourcePath),
    "article: two sourcePaths": (
        add('article:viral-marketing mkg:sourcePath "copy.md" .'),
        ARTICLE,
        MKG.sourcePath,
    ),
    "article: no contentHash": (drop(ARTICLE, MKG.contentHash), ARTICLE, MKG.contentHash),
    "article: upper-case contentHash": (
        put(ARTICLE, MKG.contentHash, Literal("0123456789ABCDEF" * 4)),
        ARTICLE,
        MKG.contentHash,
    ),
    "article: short contentHash": (
        put(ARTICLE, MKG.contentHash, Literal("0123abcd")),
        ARTICLE,
        MKG.contentHash,
    ),
    "article: no schema:about": (drop(ARTICLE, SCHEMA.about), ARTICLE, SCHEMA.about),
    # every concept
    "concept: blank node": (lambda g: [g.add(t) for t in _minimal_concept(BLANK)], BLANK, None),
    "concept: IRI with a space": (lambda g: [g.add(t) for t in _minimal_concept(BAD_IRI)], BAD_IRI, None),
    "concept: no prefLabel": (drop(TERM, SKOS.prefLabel), TERM, SKOS.prefLabel),
    "concept: two prefLabels in one language": (
        add('concept:marketing skos:prefLabel "التسويق"@ar .'),
        MARKETING,
        SKOS.prefLabel,
    ),
    "concept: untagged prefLabel": (
        add('concept:marketing skos:prefLabel "marketing" .'),
        MARKETING,
        SKOS.prefLabel,
    ),
    "concept: untagged altLabel": (add('concept:marketing skos:altLabel "MKT" .'), MARKETING, SKOS.altLabel),
    "concept: untagged hiddenLabel": (
        add('concept:marketing skos:hiddenLabel "mkt" .'),
        MARKETING,
        SKOS.hiddenLabel,
    ),
    "concept: prefLabel also altLabel": (
        add('concept:marketing skos:altLabel "Marketing"@en .'),
        MARKETING,
        SKOS.prefLabel,
    ),
    "concept: prefLabel also hiddenLabel": (
        add('concept:marketing skos:hiddenLabel "Marketing"@en .'),
        MARKETING,
        SKOS.prefLabel,
    ),
    "concept: altLabel also hiddenLabel": (
        add('concept:marketing skos:altLabel "تسويقية"@ar .'),
        MARKETING,
        SKOS.altLabel,
    ),
    "concept: linksTo a non-concept": (
        add("concept:marketing mkg:linksTo keyword:business ."),
        MARKETING,
        MKG.linksTo,
    ),
    "concept: hasKeyword not a Keyword": (
        add("concept:viral-marketing mkg:hasKeyword concept:marketing ."),
        VM,
        MKG.hasKeyword,
    ),
    "concept: no hasArticle": (drop(TERM, MKG.hasArticle), TERM, MKG.hasArticle),
    "concept: hasArticle not boolean": (put(TERM, MKG.hasArticle, Literal("false")), TERM, MKG.hasArticle),
    "concept: no slug": (drop(MARKETING, MKG.slug), MARKETING, MKG.slug),
    "concept: two slugs": (add('concept:marketing mkg:slug "marketing-2" .'), MARKETING, MKG.slug),
    # defined term
    "defined-term: no definition": (drop(TERM, SKOS.definition), TERM, SKOS.definition),
    "defined-term: no definedIn": (drop(TERM, MKG.definedIn), TERM, MKG.definedIn),
    # link
    "link: no linkSource": (drop(LINK, MKG.linkSource), LINK, MKG.linkSource),
    "link: linkTarget not a Concept": (put(LINK, MKG.linkTarget, KEYWORD), LINK, MKG.linkTarget),
    "link: two linkTargets": (lambda g: g.add((LINK, MKG.linkTarget, VM)), LINK, MKG.linkTarget),
    "link: no anchorText": (drop(LINK, MKG.anchorText), LINK, MKG.anchorText),
    "link: untagged anchorText": (put(LINK, MKG.anchorText, Literal("x")), LINK, MKG.anchorText),
    "link: no sourceLine": (drop(LINK, MKG.sourceLine), LINK, MKG.sourceLine),
    "link: sourceLine 0": (put(LINK, MKG.sourceLine, Literal(0)), LINK, MKG.sourceLine),
    "link: sourceLine a string": (put(LINK, MKG.sourceLine, Literal("12")), LINK, MKG.sourceLine),
    # keyword
    "keyword: no @en prefLabel": (
        put(KEYWORD, SKOS.prefLabel, Literal("أعمال", lang="ar")),
        KEYWORD,
        SKOS.prefLabel,
    ),
    "keyword: two @en prefLabels": (
        add('keyword:business skos:prefLabel "Business and finance"@en .'),
        KEYWORD,
        SKOS.prefLabel,
    ),
    "keyword: no inScheme": (drop(KEYWORD, SKOS.inScheme), KEYWORD, SKOS.inScheme),
    "keyword: wrong scheme": (put(KEYWORD, SKOS.inScheme, VOCAB.concept_scheme), KEYWORD, SKOS.inScheme),
    # FAQ
    "question: no name": (drop(FAQ, SCHEMA.name), FAQ, SCHEMA.name),
    "question: no acceptedAnswer": (drop(FAQ, SCHEMA.acceptedAnswer), FAQ, SCHEMA.acceptedAnswer),
    "question: answer not a schema:Answer": (
        drop(ANSWER, RDF.type, SCHEMA.Answer),
        FAQ,
        SCHEMA.acceptedAnswer,
    ),
    "question: no position": (drop(FAQ, MKG.position), FAQ, MKG.position),
    "answer: blank text": (put(ANSWER, SCHEMA.text, Literal(" ", lang="ar")), ANSWER, SCHEMA.text),
    "answer: no text": (drop(ANSWER, SCHEMA.text), ANSWER, SCHEMA.text),
    # key figure, section, organisation
    "figure: no value": (drop(FIGURE, MKG.figureValue), FIGURE, MKG.figureValue),
    "figure: two captions": (
        lambda g: g.add((FIGURE, MKG.figureCaption, Literal("تعليق آخر", lang="ar"))),
        FIGURE,
        MKG.figureCaption,
    ),
    "figure: no position": (drop(FIGURE, MKG.position), FIGURE, MKG.position),
    "section: no name": (drop(SECTION, SCHEMA.name), SECTION, SCHEMA.name),
    "section: two positions": (lambda g: g.add((SECTION, MKG.position, Literal(2))), SECTION, MKG.position),
    "section: no heading level": (drop(SUBSECTION, MKG.headingLevel), SUBSECTION, MKG.headingLevel),
    "section: heading level 7": (put(SUBSECTION, MKG.headingLevel, Literal(7)), SUBSECTION, MKG.headingLevel),
    "section: nested under a deeper heading": (
        put(SECTION, MKG.headingLevel, Literal(4)),
        SUBSECTION,
        (str(MKG.subSectionOf), str(MKG.headingLevel)),
    ),
    "section: nested in a non-section": (put(SUBSECTION, MKG.subSectionOf, LINK), SUBSECTION, MKG.subSectionOf),
    "section: part of two sections": (
        add('<https://marketing-kg.example/article/viral-marketing#section-3> a mkg:Section ; schema:name "ثالث"@ar ;'
            " mkg:position 3 ; mkg:headingLevel 2 ;"
            " schema:hasPart <https://marketing-kg.example/article/viral-marketing#section-2> ."),
        SUBSECTION,
        f"^{SCHEMA.hasPart}",
    ),
    "section: part is not a section": (lambda g: g.add((SECTION, SCHEMA.hasPart, FIGURE)), SECTION, SCHEMA.hasPart),
    # term definition, article dates
    "definition: no text": (drop(DEFINITION, MKG.definitionText), DEFINITION, MKG.definitionText),
    "definition: untagged text": (put(DEFINITION, MKG.definitionText, Literal("x")), DEFINITION, MKG.definitionText),
    "definition: no concept": (drop(DEFINITION, MKG.definitionOf), DEFINITION, MKG.definitionOf),
    "definition: not in an article": (put(DEFINITION, SCHEMA.isPartOf, VM), DEFINITION, SCHEMA.isPartOf),
    "definition: no source line": (drop(DEFINITION, MKG.sourceLine), DEFINITION, MKG.sourceLine),
    "concept: hasTermDefinition not a TermDefinition": (
        lambda g: g.add((TERM, MKG.hasTermDefinition, SECTION)), TERM, MKG.hasTermDefinition),
    "article: two creation dates": (
        add('article:viral-marketing dct:created "2023-06-01"^^xsd:date .'), ARTICLE, URIRef(DCT + "created")),
    "article: modified not a date": (
        put(ARTICLE, URIRef(DCT + "modified"), Literal("last week")), ARTICLE, URIRef(DCT + "modified")),
    "article: empty author": (add('article:viral-marketing dct:creator "" .'), ARTICLE, URIRef(DCT + "creator")),
    "organization: no name": (drop(ORG, SCHEMA.name), ORG, SCHEMA.name),
    "organization: no slug": (drop(ORG, MKG.slug), ORG, MKG.slug),
    # take-aways
    "takeaways: two lists": (_second_list, VM, MKG.takeaway),
    "takeaways: member not @ar": (_english_takeaway, VM, LIST_MEMBERS),
    "takeaways: empty list": (_empty_list, VM, LIST_MEMBERS),
}


def _minimal_concept(iri: URIRef) -> list[tuple[Node, Node, Node]]:
    return [
        (iri, RDF.type, MKG.Concept),
        (iri, SKOS.prefLabel, Literal("bad slug", lang="en")),
        (iri, MKG.hasArticle, Literal(False)),
        (iri, MKG.slug, Literal("bad slug")),
    ]


@pytest.mark.parametrize("case", list(VIOLATION_CASES))
def test_violation(core_shapes: Graph, case: str) -> None:
    edit, focus, path = VIOLATION_CASES[case]
    data = valid()
    edit(data)
    assert violations(data, core_shapes) == (path if focus is None else {(focus, path)})


def test_violation_broken_list_node(core_shapes: Graph) -> None:
    data = valid()
    head = _takeaway_head(data)
    data.remove((head, RDF.first, None))
    assert violations(data, core_shapes) == {(head, RDF.first)}


def test_answer_text_is_the_valid_one() -> None:
    # Guards the fixture the "answer:" cases edit.
    assert (ANSWER, SCHEMA.text, ANSWER_TEXT) in valid()


def test_subject_of_an_article_must_be_a_concept(shapes: Graph) -> None:
    data = valid()
    data += ttl("org:facebook schema:subjectOf article:viral-marketing .")
    found = violations(data, shapes)
    assert (ORG, None) in found  # sh:class mkg:Concept on the focus node
    assert {focus for focus, _ in found} == {ORG}


# --- quality checks (qSKOS style) ------------------------------------------------------


def _quality(data: Graph, shapes: Graph) -> list[Result]:
    results = validate(data, shapes)
    assert not [r for r in results if r.severity == SH.Violation]
    return results


def test_orphan_concept_is_a_warning(shapes: Graph) -> None:
    data = valid()
    data.remove((MARKETING, MKG.linksTo, VM))
    results = _quality(data, shapes)
    assert (SH.Warning, VM, f"^{MKG.linksTo}") in {(r.severity, r.focus, r.path) for r in results}


def test_red_link_is_info(shapes: Graph) -> None:
    results = _quality(valid(), shapes)
    assert (SH.Info, MARKETING, MKG.hasArticle) in {(r.severity, r.focus, r.path) for r in results}
    # A defined term without an article is not a red link (nothing links to it).
    assert not [r for r in results if r.focus == TERM]


def test_missing_definition_is_info(shapes: Graph) -> None:
    data = valid()
    # A concept without definition that nothing links to (e.g. known only from a slug alias).
    data += ttl(
        'concept:brand a mkg:Concept ; skos:prefLabel "Brand"@en ; mkg:hasArticle false ; mkg:slug "brand" .'
    )
    results = _quality(data, shapes)
    brand = VOCAB.concept("brand")
    assert [(r.severity, r.path) for r in results if r.focus == brand] == [(SH.Info, SKOS.definition)]
    # The red link has no definition either.
    assert (SH.Info, SKOS.definition) in {(r.severity, r.path) for r in results if r.focus == MARKETING}


def test_overlapping_labels_is_a_warning(shapes: Graph) -> None:
    data = valid()
    # A defined term with the same Arabic label as the article concept.
    data += ttl(
        """
        concept:التسويق-الفيروسي a mkg:Concept , skos:Concept , mkg:DefinedTerm ;
            skos:prefLabel "التسويق الفيروسي"@ar ; skos:definition "..."@ar ;
            mkg:definedIn concept:viral-marketing ; mkg:hasArticle false ; mkg:slug "التسويق-الفيروسي" .
        """
    )
    other = VOCAB.concept("التسويق-الفيروسي")
    results = _quality(data, shapes)
    overlap = [r for r in results if r.severity == SH.Warning]
    # One result per concept involved; the focus node is the concept scheme (one query).
    assert {(r.focus, r.path, r.value) for r in overlap} == {
        (VOCAB.concept_scheme, SKOS.prefLabel, VM),
        (VOCAB.concept_scheme, SKOS.prefLabel, other),
    }
    assert all(str(VM) in r.message and str(other) in r.message for r in overlap)
    assert all("التسويق الفيروسي" in r.message for r in overlap)


def test_labels_in_other_languages_of_keywords_or_alt_labels_do_not_overlap(shapes: Graph) -> None:
    data = valid()
    data += ttl(
        """
        concept:marketing-de a mkg:Concept ; skos:prefLabel "Marketing"@de ;
            mkg:hasArticle false ; mkg:slug "marketing-de" .
        concept:business a mkg:Concept ; skos:prefLabel "Business"@en ;
            mkg:hasArticle false ; mkg:slug "business" .
        concept:viral-marketing-alt a mkg:Concept ; skos:altLabel "Viral Marketing"@en ;
            skos:prefLabel "Viral marketing (alt)"@en ; mkg:hasArticle false ; mkg:slug "viral-marketing-alt" .
        """
    )
    assert not [r for r in _quality(data, shapes) if r.severity == SH.Warning]
