"""Concept resolution: names, bold-label detection, term slugs and abbreviations, decided once."""

from __future__ import annotations

import pytest

from graph.parse.content import Block
from graph.pipeline.corpus import read_content
from graph.pipeline.resolve import ConceptIndex, bold_label, split_acronym, unmarked
from tests.conftest import article_text


def paragraph(source: str, text: str) -> Block:
    return Block(kind="paragraph", line=1, text=text, source=source)


@pytest.mark.parametrize(
    ("source", "text", "expected"),
    [
        ("**الاتصال:** نص", "الاتصال: نص", ("الاتصال", None, "نص")),
        ("** الاتصال: ** نص", "** الاتصال: ** نص", ("الاتصال", None, "نص")),
        ("**Reach**: how many", "Reach: how many", ("Reach", None, "how many")),
        ("** إدارة علاقات العملاء (CRM): ** نص", "** إدارة علاقات العملاء (CRM): ** نص",
         ("إدارة علاقات العملاء", "CRM", "نص")),
        ("> **رقم:** في اقتباس", "رقم: في اقتباس", ("رقم", None, "في اقتباس")),
        ("**حملة (2020):** نص", "حملة (2020): نص", ("حملة (2020)", None, "نص")),
    ],
)
def test_bold_label_forms(source, text, expected):
    found = bold_label(paragraph(source, text))
    assert (found.label, found.acronym, found.explanation) == expected


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("قوة التسويق: الاتصال والتفاعل", "قوة التسويق: الاتصال والتفاعل"),  # not bold
        ("**مهم** أن نتذكر: شيئا", "مهم أن نتذكر: شيئا"),  # bold word, colon later
        ("**الاتصال:**", "الاتصال:"),  # no explanation
        ("**" + "كلمة " * 12 + ":** نص", "كلمة " * 12 + ": نص"),  # a sentence, not a label
    ],
)
def test_not_bold_labels(source, text):
    assert bold_label(paragraph(source, text)) is None


def test_list_items_and_headings_are_not_terms():
    assert bold_label(Block(kind="list_item", line=1, text="أ: ب", source="- **أ:** ب")) is None


def test_split_acronym_and_unmarked():
    assert split_acronym("التسويق عبر وسائل التواصل الاجتماعي (SMM)") == ("التسويق عبر وسائل التواصل الاجتماعي", "SMM")
    assert split_acronym("(SMM)") == ("(SMM)", None)
    assert unmarked("الاتِّصـال\u200f") == "الاتصال"
    assert unmarked("إدارة") == "إدارة"  # letters are kept as written: only marks go


def test_seed_names(seed_articles):
    articles, _ = seed_articles
    index = ConceptIndex.build(list(articles.values()))
    assert index.resolve_name("التَّسويق الفيروسيّ") == "viral-marketing"
    assert index.resolve_name("تسويق فيروسي") == "viral-marketing"
    assert index.resolve_name("التسويق عبر وسائل التواصل الاجتماعي") == "social-media-marketing-smm"
    assert index.resolve_name("SMM") == "social-media-marketing-smm"
    assert index.resolve_name("CRM") == "customer-relation-management"
    assert index.resolve_name("B-to-C") == "btoc"
    assert index.resolve_name("إدارة علاقات العملاء") == "customer-relation-management"  # the term
    assert index.resolve_name("إدارة علاقات العملاء المستهدفة") == "customer-relation-management"  # anchor
    assert index.resolve_name("توصيات eWOM") == "word-of-mouth-marketing"  # a non-first anchor
    assert index.resolve_name("وسائل الاعلام المكتسبه") == "وسائل-الإعلام-المكتسبة"  # a minted term
    assert index.resolve_name("الشيء المجهول") is None


def test_seed_labels(seed_articles):
    articles, _ = seed_articles
    index = ConceptIndex.build(list(articles.values()))
    assert index.arabic_label("social-media-marketing-smm") == "التسويق عبر وسائل التواصل الاجتماعي"
    assert index.arabic_label("customer-relation-management") == "إدارة علاقات العملاء المستهدفة"
    assert index.arabic_label("الاتصال") == "الاتصال"
    assert index.is_minted("الاتصال") and not index.is_minted("customer-relation-management")


def test_resolution_does_not_depend_on_input_order(write_article, tmp_path):
    write_article("b.md", article_text(title="ب", body="** الحملة: ** الثانية.\n"))
    write_article("a.md", article_text(title="أ", body="** الحمله: ** الأولى.\n\n** الحملة (CPX): ** ثالثة.\n"))
    articles, _ = read_content(tmp_path / "content")
    first = ConceptIndex.build(articles)
    second = ConceptIndex.build(list(reversed(articles)))
    assert first.terms == second.terms and first.abbreviations == second.abbreviations
    assert [(t.slug, t.minted) for t in first.terms_of("a")] == [("الحمله", True), ("الحمله", False)]
    assert first.term_of["الحمله"].explanation == "الأولى."
    assert first.abbreviations == {"الحمله": {"CPX"}}


def test_one_word_term_is_not_resolved_by_a_longer_anchor(write_article, tmp_path):
    write_article("a.md", article_text(title="أ", body="** التسويق: ** نص عن [التسويق التقليدي](/tm).\n"))
    articles, _ = read_content(tmp_path / "content")
    index = ConceptIndex.build(articles)
    assert [(t.slug, t.minted) for t in index.terms_of("a")] == [("التسويق", True)]
