"""Defined terms: bold-labelled paragraphs, resolved to known concepts or minted as new ones."""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF, SKOS, XSD

from graph.pipeline.build import build
from graph.vocab import Vocabulary
from tests.conftest import article_text

V = Vocabulary()
MKG = V.MKG
SMM = V.concept("social-media-marketing-smm")

# label -> (concept slug, start of the explanation); in reading order.
SEED_TERMS = {
    "الاتصال": ("الاتصال", "لا تتيح وسائل التواصل الاجتماعي للشركات التواصل مع العملاء"),
    "التفاعل": ("التفاعل", "تمكّن الطبيعة الديناميكية للتفاعل على وسائل التواصل الاجتماعي"),
    "بيانات العميل": ("بيانات-العميل", "توفر خطة التسويق عبر وسائل التواصل الاجتماعي المصممة جيدًا (SMM)"),
    "خطة عمل SMM": ("خطة-عمل-smm", "كلما كانت إستراتيجية التسويق عبر وسائل التواصل الاجتماعي (SMM)"),
    "إدارة علاقات العملاء": ("customer-relation-management", "مقارنةً بالتسويق التقليدي ،"),
    "المحتوى القابل للمشاركة": ("المحتوى-القابل-للمشاركة", "يمكن للشركات أيضًا تحويل الترابط المضخم لـ SMM"),
    "وسائل الإعلام المكتسبة": ("وسائل-الإعلام-المكتسبة", "يعد التسويق عبر وسائل التواصل الاجتماعي (SMM) أيضًا"),
    "التسويق الفيروسي": ("viral-marketing", "استراتيجية SMM أخرى تعتمد على الجمهور"),
    "تقسيم العملاء": ("تقسيم-العملاء", "نظرًا لأن تقسيم العملاء يتم تحسينه"),
}
RESOLVED = {"customer-relation-management", "viral-marketing"}


def test_seed_index_terms_and_resolution(seed_articles):
    from graph.pipeline.resolve import ConceptIndex

    articles, _ = seed_articles
    index = ConceptIndex.build(list(articles.values()))
    terms = index.terms_of("social-media-marketing-smm")
    assert [(t.label, t.slug) for t in terms] == [(label, slug) for label, (slug, _) in SEED_TERMS.items()]
    assert {t.slug for t in terms if not t.minted} == RESOLVED
    assert [t.acronym for t in terms if t.acronym] == ["CRM"]
    assert index.terms_of("viral-marketing") == []


def test_seed_defines_term_both_ways(seed_graph):
    defined = set(seed_graph.objects(SMM, MKG.definesTerm))
    assert defined == {V.concept(slug) for slug, _ in SEED_TERMS.values()}
    for term in defined:
        assert (term, MKG.definedIn, SMM) in seed_graph
        assert (term, RDF.type, MKG.DefinedTerm) in seed_graph


def test_seed_new_terms_are_full_concepts(seed_graph):
    for label, (slug, start) in SEED_TERMS.items():
        if slug in RESOLVED:
            continue
        term = V.concept(slug)
        assert (term, RDF.type, MKG.Concept) in seed_graph and (term, RDF.type, SKOS.Concept) in seed_graph
        assert (term, SKOS.inScheme, V.concept_scheme) in seed_graph
        assert list(seed_graph.objects(term, SKOS.prefLabel)) == [Literal(label, lang="ar")]
        assert seed_graph.value(term, MKG.slug) == Literal(slug)
        assert seed_graph.value(term, MKG.hasArticle) == Literal(False, datatype=XSD.boolean)
        definitions = list(seed_graph.objects(term, SKOS.definition))
        assert len(definitions) == 1 and definitions[0].language == "ar"
        assert str(definitions[0]).startswith(start), label


def test_seed_term_with_article_keeps_its_own_definition(seed_graph):
    viral = V.concept("viral-marketing")
    assert [str(d) for d in seed_graph.objects(viral, SKOS.definition)] == [
        "يسعى التسويق الفيروسي إلى نشر المعلومات حول منتج أو خدمة من شخص لآخر عن طريق الكلام الشفهي أو المشاركة "
        "عبر الإنترنت أو البريد الإلكتروني."]
    assert seed_graph.value(viral, SKOS.hiddenLabel) is None  # the term's label is its prefLabel


def test_seed_term_resolved_to_a_red_link_gets_definition_and_hidden_label(seed_graph):
    crm = V.concept("customer-relation-management")
    assert str(seed_graph.value(crm, SKOS.definition)).startswith("مقارنةً بالتسويق التقليدي ،")
    assert [p for p in seed_graph.objects(crm, SKOS.prefLabel) if p.language == "ar"] == [
        Literal("إدارة علاقات العملاء المستهدفة", lang="ar")]
    assert (crm, SKOS.hiddenLabel, Literal("إدارة علاقات العملاء", lang="ar")) in seed_graph


def test_seed_non_bold_paragraphs_with_colons_are_not_terms(seed_graph):
    labels = {str(seed_graph.value(t, SKOS.prefLabel)) for t in seed_graph.subjects(RDF.type, MKG.DefinedTerm)}
    assert not any("قوة التسويق" in label or "وفقًا" in label for label in labels)


def test_well_formed_bold_forms(write_article, extract_graph):
    body = "**الولاء:** تكرار الشراء.\n\n**Reach**: how many people see it.\n\n**ليس مصطلحا** بل جملة: لا.\n"
    write_article("a.md", article_text(title="أ", body=body))
    graph, _, _ = extract_graph()
    assert set(graph.objects(V.concept("a"), MKG.definesTerm)) == {V.concept("الولاء"), V.concept("reach")}
    assert graph.value(V.concept("الولاء"), SKOS.definition) == Literal("تكرار الشراء.", lang="ar")
    assert graph.value(V.concept("reach"), SKOS.prefLabel) == Literal("Reach", lang="en")


def test_term_slug_collision_gets_a_suffix(write_article, extract_graph):
    write_article("الاتصال.md", article_text(title="قنوات التواصل", body="نص."))
    write_article("b.md", article_text(title="ب", body="** الاتصال: ** نقل الرسالة.\n"))
    write_article("c.md", article_text(title="ج", body="**الإتصال:** تعريف لاحق.\n"))
    graph, index, _ = extract_graph()
    assert [t.slug for t in index.terms_of("b")] == ["الاتصال-2"]
    assert [t.slug for t in index.terms_of("c")] == ["الاتصال-2"]  # same name (alef forms unified)
    term = V.concept("الاتصال-2")
    assert graph.value(term, SKOS.definition) == Literal("نقل الرسالة.", lang="ar")  # first one wins
    assert set(graph.objects(term, MKG.definedIn)) == {V.concept("b"), V.concept("c")}
    assert graph.value(V.concept("الاتصال"), MKG.hasArticle) == Literal(True, datatype=XSD.boolean)


def test_diacritics_and_tatweel_resolve_to_the_article_concept(write_article, extract_graph):
    write_article("viral-marketing.md", article_text(title="التسويق الفيروسي", body="نص."))
    write_article("b.md", article_text(title="ب", body="** التَّسويـق الفيروسيّ: ** شرح.\n"))
    graph, index, _ = extract_graph()
    assert [(t.slug, t.minted) for t in index.terms_of("b")] == [("viral-marketing", False)]
    assert (V.concept("b"), MKG.definesTerm, V.concept("viral-marketing")) in graph
    assert len(list(graph.objects(V.concept("viral-marketing"), SKOS.definition))) == 1


def test_term_resolved_by_a_link_in_its_paragraph_and_by_acronym(write_article, extract_graph):
    write_article("a.md", article_text(title="أ", body=(
        "** إدارة علاقات العملاء (CRM): ** أدوات [إدارة علاقات العملاء المستهدفة](/crm-tools).\n\n"
        "** CRM: ** اختصار.\n")))
    graph, index, _ = extract_graph()
    assert [t.slug for t in index.terms_of("a")] == ["crm-tools", "crm-tools"]
    assert str(graph.value(V.concept("crm-tools"), SKOS.definition)).startswith("أدوات")


def test_red_link_definition_first_wins_across_articles(write_article, extract_graph):
    write_article("a.md", article_text(title="أ", body="** البيانات الضخمة: ** الأولى.\n"))
    write_article("b.md", article_text(title="ب", body="انظر [البيانات الضخمة](/big-data).\n\n"
                                                      "** البيانات الضخمة: ** الثانية.\n"))
    graph, _, _ = extract_graph()
    assert list(graph.objects(V.concept("big-data"), SKOS.definition)) == [Literal("الأولى.", lang="ar")]


def test_inline_corpus_with_terms_conforms(write_article, tmp_path):
    write_article("الاتصال.md", article_text(title="قنوات التواصل", body="[x](/b)"))
    write_article("b.md", article_text(title="ب", body=(
        "** الاتصال: ** نقل [الرسالة](/الاتصال).\n\n** إدارة علاقات العملاء (CRM): ** "
        "[إدارة علاقات العملاء](/crm) (CRM).\n\n** ب: ** تعريف المقالة نفسها.\n")))
    report = build(tmp_path / "content", tmp_path / "build")
    assert report.written and report.conforms, report.validation.to_text()
