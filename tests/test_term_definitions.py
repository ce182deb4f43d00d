"""One definition node per article and bold-labelled term; the concept keeps one definition (issue 17)."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF, SKOS

from graph.vocab import SCHEMA, Vocabulary
from tests.conftest import article_text

V = Vocabulary()
MKG = V.MKG


def definitions(graph, slug):
    """Return [(article slug, line, label, text)] of the term definitions of a concept, sorted."""
    found = []
    for node in graph.objects(V.concept(slug), MKG.hasTermDefinition):
        assert (node, RDF.type, MKG.TermDefinition) in graph
        assert graph.value(node, MKG.definitionOf) == V.concept(slug)
        article = str(graph.value(node, SCHEMA.isPartOf)).rsplit("/", 1)[-1]
        found.append((article, int(graph.value(node, MKG.sourceLine)), str(graph.value(node, SCHEMA.name)),
                      str(graph.value(node, MKG.definitionText))))
    return sorted(found)


def test_seed_smm_definition_of_viral_marketing_is_kept(seed_graph):
    (found,) = definitions(seed_graph, "viral-marketing")
    article, line, label, text = found
    assert (article, line, label) == ("social-media-marketing-smm", 54, "التسويق الفيروسي")
    assert text.startswith("استراتيجية SMM أخرى تعتمد على الجمهور لتوليد الرسالة هي التسويق الفيروسي")
    assert text.endswith("وهي طريقة بسيطة للغاية وغير مكلفة للترويج للمبيعات.")
    node = V.part("social-media-marketing-smm", "definition", 8)  # the 8th bold-labelled paragraph
    assert seed_graph.value(node, MKG.definitionText) == Literal(text, lang="ar")
    # the concept keeps one definition, its own article's
    (own,) = seed_graph.objects(V.concept("viral-marketing"), SKOS.definition)
    assert str(own).startswith("يسعى التسويق الفيروسي إلى نشر المعلومات")


def _corpus(write_article):
    write_article("content-marketing.md", article_text(title="التسويق بالمحتوى", description="تعريف المقالة نفسها."))
    write_article("b.md", article_text(title="ب", body="** التسويق بالمحتوى: ** نص التعريف في ب.\n"))
    write_article("c.md", article_text(title="ج", body="**التسويق بالمحتوى:** نص التعريف في ج.\n\n"
                                                        "**الرسالة:** ما ينشره الناس، كما في ج.\n"))
    write_article("d.md", article_text(title="د", body="**الرسالة:** ما تريد الحملة نشره، كما في د.\n"))


def test_every_article_keeps_its_definition_and_the_concept_one(write_article, extract_graph):
    _corpus(write_article)
    graph, _, _ = extract_graph()
    assert definitions(graph, "content-marketing") == [
        ("b", 9, "التسويق بالمحتوى", "نص التعريف في ب."), ("c", 9, "التسويق بالمحتوى", "نص التعريف في ج.")]
    assert list(graph.objects(V.concept("content-marketing"), SKOS.definition)) == [
        Literal("تعريف المقالة نفسها.", lang="ar")]
    # a term without an article: every text kept, the first by path is its definition
    assert [(a, t) for a, _, _, t in definitions(graph, "الرسالة")] == [
        ("c", "ما ينشره الناس، كما في ج."), ("d", "ما تريد الحملة نشره، كما في د.")]
    assert list(graph.objects(V.concept("الرسالة"), SKOS.definition)) == [Literal("ما ينشره الناس، كما في ج.", lang="ar")]


def test_a_definition_of_the_articles_own_concept_is_kept(write_article, extract_graph):
    write_article("x.md", article_text(title="س", body="**س:** شرح س في مقالته.\n"))
    graph, _, _ = extract_graph()
    assert definitions(graph, "x") == [("x", 9, "س", "شرح س في مقالته.")]
    assert (V.concept("x"), MKG.definesTerm, V.concept("x")) not in graph


def test_also_defined_in_the_api_and_on_the_page(write_article, built_client):
    _corpus(write_article)
    client, report = built_client()
    assert report.conforms and report.counts["term_definitions"] == 4
    body = client.get("/api/concepts/content-marketing").get_json()
    assert body["definition"] == {"value": "تعريف المقالة نفسها.", "lang": "ar"}
    assert [(d["article"]["slug"], d["source"], d["line"], d["label"]["value"], d["text"]["value"])
            for d in body["also_defined_in"]] == [
        ("b", "b.md", 9, "التسويق بالمحتوى", "نص التعريف في ب."), ("c", "c.md", 9, "التسويق بالمحتوى", "نص التعريف في ج.")]
    term = client.get("/api/concepts/الرسالة").get_json()
    assert [d["text"]["value"] for d in term["also_defined_in"]] == ["ما ينشره الناس، كما في ج.", "ما تريد الحملة نشره، كما في د."]
    assert client.get("/api/concepts/b").get_json()["also_defined_in"] == []
    page = client.get("/concept/content-marketing", headers={"Accept": "text/html"}).get_data(as_text=True)
    section = page[page.index('id="also-defined"'):]
    assert "Also defined in" in section and "نص التعريف في ب." in section and "نص التعريف في ج." in section
    assert "b.md:9" in section and 'href="/concept/c"' in section
