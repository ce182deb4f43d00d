"""The outline: every `##`-`######` heading is a section, nested, and FAQ questions stay questions (issue 17)."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF

from graph.parse.outline import faq_questions
from graph.vocab import SCHEMA, Vocabulary
from tests.conftest import article_text

V = Vocabulary()
MKG = V.MKG

NESTED = """\
[قبل](/before)

## أ

### ب

#### ج

نص مع [رابط](/deep).

##### د

###### هـ

## و

#### ز

[بعد](/after)
"""


def outline(graph, slug):
    """Return {position: (name, level, line, parent position or None)} of an article's sections."""
    found = {}
    for node in graph.objects(V.article(slug), MKG.section):
        parent = graph.value(node, MKG.subSectionOf)
        found[int(graph.value(node, MKG.position))] = (
            str(graph.value(node, SCHEMA.name)), int(graph.value(node, MKG.headingLevel)),
            int(graph.value(node, MKG.sourceLine)), int(graph.value(parent, MKG.position)) if parent else None)
    return found


def test_seed_tracking_metrics_is_a_sub_section_of_its_section(seed_graph):
    smm = outline(seed_graph, "social-media-marketing-smm")
    assert smm[4] == ("مقاييس التتبع", 3, 58, 3)
    assert smm[3] == ("كيف يعمل التسويق عبر وسائل التواصل الاجتماعي", 2, 28, None)
    parent, child = (V.part("social-media-marketing-smm", "section", n) for n in (3, 4))
    assert (parent, SCHEMA.hasPart, child) in seed_graph
    assert [smm[n][0] for n in sorted(smm)][-1] == "التعليمات"  # its three `###` questions are not sections
    assert len(outline(seed_graph, "viral-marketing")) == 8


def test_every_heading_level_nests_under_the_closest_lower_level(write_article, extract_graph):
    write_article("n.md", article_text(title="ن", body=NESTED))
    graph, _, _ = extract_graph()
    assert outline(graph, "n") == {
        1: ("أ", 2, 11, None), 2: ("ب", 3, 13, 1), 3: ("ج", 4, 15, 2), 4: ("د", 5, 19, 3),
        5: ("هـ", 6, 21, 4), 6: ("و", 2, 23, None), 7: ("ز", 4, 25, 6),  # `####` straight under a `##`
    }
    assert graph.value(V.part("n", "section", 6), SCHEMA.hasPart) == V.part("n", "section", 7)


def test_a_link_is_in_its_innermost_section(write_article, extract_graph):
    write_article("n.md", article_text(title="ن", body=NESTED))
    graph, _, _ = extract_graph()
    sections = {}
    for link in graph.objects(V.article("n"), MKG.link):
        section = graph.value(link, MKG.inSection)
        sections[str(graph.value(link, MKG.linkTarget)).rsplit("/", 1)[-1]] = (
            str(graph.value(section, SCHEMA.name)) if section else None)
    assert sections == {"before": None, "deep": "ج", "after": "ز"}


def test_faq_questions_are_told_apart_from_sub_sections(write_article, extract_graph):
    body = """\
## أمثلة

### لماذا ينجح؟

نص.

### حالة شركة

نص.

## أسئلة شائعة

### ما هو س؟

جواب س.

#### تفصيل

تفصيل الجواب.

## أسئلة القراء أيضا

### كيف أبدأ؟

جواب.

> ### 115 مليون دولار

> تعليق.
"""
    write_article("f.md", article_text(title="ف", body=body))
    graph, _, _ = extract_graph()
    names = [name for name, *_ in (outline(graph, "f")[n] for n in sorted(outline(graph, "f")))]
    # a question-like `###` outside an FAQ section is a sub-section; `####` under a question is one too;
    # a quoted heading (a key figure) is neither
    assert names == ["أمثلة", "لماذا ينجح؟", "حالة شركة", "أسئلة شائعة", "تفصيل", "أسئلة القراء أيضا"]
    questions = {str(graph.value(q, SCHEMA.name)): str(graph.value(graph.value(q, SCHEMA.acceptedAnswer), SCHEMA.text))
                 for q in graph.objects(V.article("f"), SCHEMA.mainEntity)}
    assert questions == {"ما هو س؟": "جواب س.\n\nتفصيل الجواب.", "كيف أبدأ؟": "جواب."}
    assert graph.value(V.part("f", "section", 5), MKG.subSectionOf) == V.part("f", "section", 4)


def test_the_faq_rule():
    # a `##` whose title names an FAQ, or whose two or more `###` all ask; before the first `##` only the second
    assert faq_questions([(2, "Frequently Asked Questions"), (3, "Why?"), (3, "Notes")]) == {1}
    assert faq_questions([(2, "Overview"), (3, "Why?"), (3, "How?"), (4, "Detail?")]) == {1, 2}
    assert faq_questions([(2, "Overview"), (3, "Why?"), (3, "Notes")]) == set()
    assert faq_questions([(2, "Overview"), (3, "Why?"), (4, "Detail")]) == set()  # one lone question-like `###`
    assert faq_questions([(3, "لماذا؟"), (3, "كيف؟"), (2, "التعليمات"), (3, "ملاحظة")]) == {0, 1}


def test_the_outline_in_the_api_and_on_the_page(write_article, built_client):
    write_article("n.md", article_text(title="ن", body=NESTED))
    client, report = built_client()
    assert report.conforms and report.counts["sections"] == 7
    body = client.get("/api/concepts/n").get_json()
    assert [(s["position"], s["level"], s["parent"]) for s in body["sections"]] == [
        (1, 2, None), (2, 3, 1), (3, 4, 2), (4, 5, 3), (5, 6, 4), (6, 2, None), (7, 4, 6)]
    first, second = body["outline"]
    assert first["name"] == {"value": "أ", "lang": "ar"} and first["line"] == 11
    assert first["sections"][0]["sections"][0]["sections"][0]["sections"][0]["name"]["value"] == "هـ"
    assert [s["name"]["value"] for s in second["sections"]] == ["ز"]
    page = client.get("/concept/n", headers={"Accept": "text/html"}).get_data(as_text=True)
    outline_html = page[page.index('<ol class="outline">'):]
    assert "<li>أ<ol><li>ب<ol><li>ج" in outline_html and "<li>و<ol><li>ز</li></ol></li>" in outline_html


def test_section_literals_are_language_tagged(seed_graph):
    node = V.part("social-media-marketing-smm", "section", 4)
    assert seed_graph.value(node, SCHEMA.name) == Literal("مقاييس التتبع", lang="ar")
    assert (node, RDF.type, MKG.Section) in seed_graph
