"""Abbreviations: Latin acronyms after titles, links, terms and labels as altLabel + mkg:abbreviation."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import SKOS

from graph.pipeline.build import build
from graph.vocab import Vocabulary
from tests.conftest import article_text

V = Vocabulary()
MKG = V.MKG


def abbreviations(graph):
    return {(V.slug_of(str(s))[1], str(o)) for s, o in graph.subject_objects(MKG.abbreviation)}


def test_seed_abbreviations(seed_graph):
    assert abbreviations(seed_graph) == {
        ("social-media-marketing-smm", "SMM"),  # title
        ("customer-relation-management", "CRM"),  # link and term
        ("btoc", "B-to-C"),  # link
    }
    for slug, acronym in abbreviations(seed_graph):
        label = Literal(acronym, lang="en")
        if slug == "btoc":  # the slug spells the acronym: it is the English prefLabel (SKOS: not also an altLabel)
            assert (V.concept(slug), SKOS.prefLabel, label) in seed_graph
        else:
            assert (V.concept(slug), SKOS.altLabel, label) in seed_graph


@pytest.mark.parametrize(("slug", "acronyms", "written", "english"), [
    ("btoc", {"B-to-C"}, [], "B-to-C"),                                      # not "Btoc"
    ("b-to-c", {"B-to-C"}, [], "B-to-C"),
    ("social-media-marketing-smm", {"SMM"}, [], "Social Media Marketing (SMM)"),
    ("smm-tools", {"SMM"}, [], "SMM Tools"),
    ("customer-relation-management", {"CRM"}, [], "Customer Relation Management"),
    ("seo-basics", set(), ["SEO_Basics"], "SEO Basics"),                       # from the slug as written
    ("b2b-marketing", set(), ["B2B-Marketing"], "B2B Marketing"),
    ("viral-marketing", set(), ["Viral_Marketing"], "Viral Marketing"),
])
def test_english_labels_keep_acronyms_from_titles_anchors_and_slugs(slug, acronyms, written, english):
    from graph.pipeline.resolve import ConceptIndex, LinkTarget

    index = ConceptIndex(targets={slug: LinkTarget(spellings=set(written))}, abbreviations={slug: acronyms})
    assert index.english_label(slug) == english


def test_seed_other_acronyms_are_not_abbreviations(seed_graph):
    acronyms = {o for _, o in abbreviations(seed_graph)}
    assert not acronyms & {"ROI", "eWOM", "3Vs", "ALS"}


def test_seed_alt_labels_are_disjoint_from_pref_and_hidden_labels(seed_graph):
    for concept, alt in seed_graph.subject_objects(SKOS.altLabel):
        assert (concept, SKOS.prefLabel, alt) not in seed_graph
        assert (concept, SKOS.hiddenLabel, alt) not in seed_graph
    smm = V.concept("social-media-marketing-smm")
    assert (smm, SKOS.prefLabel, Literal("Social Media Marketing (SMM)", lang="en")) in seed_graph


def test_label_and_reverse_forms_in_running_text(write_article, extract_graph):
    write_article("a.md", article_text(title="التسويق بالمحتوى", body=(
        "يعتمد التسويق بالمحتوى (CM) على القصص.\n\n** عائد الاستثمار: ** الربح مقسوما على التكلفة.\n\n"
        "يقاس ROI (عائد الاستثمار) بعد الحملة.\n")))
    graph, index, _ = extract_graph()
    assert abbreviations(graph) == {("a", "CM"), ("عائد-الاستثمار", "ROI")}
    assert index.resolve_name("ROI") == "عائد-الاستثمار"


def test_an_acronym_belongs_to_the_first_concept_that_claims_it(write_article, extract_graph):
    write_article("a.md", article_text(title="تكلفة النقرة (CPC)", body="[التكلفة لكل تحويل](/cost-per-conversion) (CPC)"))
    graph, _, _ = extract_graph()
    assert abbreviations(graph) == {("a", "CPC")}


def test_alt_label_left_out_when_it_is_already_a_pref_or_hidden_label(write_article, tmp_path):
    write_article("a.md", article_text(title="أ", body=(
        "انظر [إدارة العملاء](/crm) (CRM) و[المبيعات](/sales-team) (SALES) و[SALES](/sales-team).")))
    report = build(tmp_path / "content", tmp_path / "build")
    assert report.written and report.conforms
    graph = Graph().parse(tmp_path / "build" / "graph.nt")
    crm, sales = V.concept("crm"), V.concept("sales-team")
    assert (crm, MKG.abbreviation, Literal("CRM")) in graph
    assert (crm, SKOS.prefLabel, Literal("CRM", lang="en")) in graph  # English label derived from the slug
    assert (crm, SKOS.altLabel, Literal("CRM", lang="en")) not in graph
    assert (sales, MKG.abbreviation, Literal("SALES")) in graph
    assert (sales, SKOS.hiddenLabel, Literal("SALES", lang="en")) in graph  # the anchor
    assert (sales, SKOS.altLabel, Literal("SALES", lang="en")) not in graph
