"""FAQ extraction: `###` question headings and their answers as schema:Question / schema:Answer."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from graph.extract.article.faq import questions
from graph.vocab import SCHEMA, Vocabulary
from tests.conftest import article_text

V = Vocabulary()
MKG = V.MKG

VIRAL_FAQ = [
    ("كيف أجعل علامتي التجارية تنتشر بسرعة؟",
     "فيما يلي بعض النصائح لمساعدتك في جعل علامتك التجارية تنتشر بسرعة كبيرة."),
    ("كيف يمكنك كسب المال إذا انتشر الفيديو الخاص بك بسرعة كبيرة؟",
     "لكسب المال من مقطع فيديو فيروسي ، يجب عليك تحقيق الدخل منه"),
    ("لماذا الشفافية مهمة جدًا في التسويق الفيروسي؟", "الشفافية تعني الصدق والانفتاح بشأن العمليات والدوافع."),
    ('ماذا يعني "البذر" فيما يتعلق بحملة التسويق الفيروسي؟', "البذر هو أسلوب تسويقي تقوم فيه الشركات"),
    ("ما هي خطوات بدء حملة تسويق فيروسية؟", "أولاً ، حدد الغرض من الانتشار الفيروسي."),
    ("ما هي الأدوات الجيدة لحملات التسويق الفيروسي؟",
     "هناك العديد من الأدوات التي يمكن للشركات استخدامها في حملات التسويق الفيروسي."),
    ("ما تكلفة حملة التسويق الفيروسي؟",
     "بشكل عام ، قد تكلف حملة التسويق الفيروسي ما بين 100000 إلى عدة ملايين من الدولارات."),
]
SMM_FAQ = [
    ("ما هو المحتوى الثابت في التسويق عبر وسائل التواصل الاجتماعي (SMM)؟",
     "المحتوى اللاصق هو مصطلح تسويقي للمحتوى الجذاب"),
    ("ما هي وسائل الإعلام المكتسبة في التسويق عبر وسائل التواصل الاجتماعي (SMM)؟",
     "الوسائط المكتسبة هي مصطلح تسويقي لعرض العلامة التجارية"),
    ("ما هو التسويق الفيروسي في التسويق عبر وسائل التواصل الاجتماعي (SMM)؟",
     "التسويق الفيروسي هو إحدى استراتيجيات SMM"),
]


def faq(graph, slug):
    """Return [(question, answer)] of an article's FAQ page, by mkg:position."""
    page = V.article(slug)
    rows = []
    for node in graph.objects(page, SCHEMA.mainEntity):
        answer = graph.value(node, SCHEMA.acceptedAnswer)
        rows.append((int(graph.value(node, MKG.position)), graph.value(node, SCHEMA.name),
                     graph.value(answer, SCHEMA.text)))
    return [(q, a) for _, q, a in sorted(rows)]


def test_seed_viral_faq_questions_answers_and_order(seed_graph):
    found = faq(seed_graph, "viral-marketing")
    assert [str(q) for q, _ in found] == [q for q, _ in VIRAL_FAQ]
    for (question, answer), (_, start) in zip(found, VIRAL_FAQ, strict=True):
        assert question.language == "ar" and answer.language == "ar"
        assert str(answer).startswith(start), (question, answer)
    assert str(found[6][1]) == VIRAL_FAQ[6][1]


def test_seed_multi_paragraph_answer_is_joined_by_a_blank_line(seed_graph):
    _, answer = faq(seed_graph, "viral-marketing")[1]
    first, second = str(answer).split("\n\n")
    assert first.endswith("قبل مقاطع الفيديو أو أثناءها أو بعدها.")
    assert second.startswith("هناك طرق أخرى لكسب المال من مقطع فيديو فيروسي")


def test_seed_smm_faq_under_a_differently_named_section(seed_graph):
    found = faq(seed_graph, "social-media-marketing-smm")
    assert [str(q) for q, _ in found] == [q for q, _ in SMM_FAQ]
    for (_, answer), (_, start) in zip(found, SMM_FAQ, strict=True):
        assert str(answer).startswith(start)


def test_seed_faq_nodes_are_typed_and_named_by_position(seed_graph):
    page = V.article("viral-marketing")
    assert (page, RDF.type, SCHEMA.FAQPage) in seed_graph
    node = V.part("viral-marketing", "faq", 3)
    answer = URIRef(f"{node}-answer")
    assert (page, SCHEMA.mainEntity, node) in seed_graph
    assert (node, RDF.type, SCHEMA.Question) in seed_graph
    assert (node, SCHEMA.acceptedAnswer, answer) in seed_graph
    assert (answer, RDF.type, SCHEMA.Answer) in seed_graph
    assert seed_graph.value(node, MKG.position) == Literal(3)


def test_seed_non_questions_are_not_faq(seed_graph):
    names = {str(n) for n in seed_graph.subjects(RDF.type, SCHEMA.Question)}
    assert len(names) == 10
    texts = {str(seed_graph.value(URIRef(n), SCHEMA.name)) for n in names}
    assert "مقاييس التتبع" not in texts  # a ### heading that is not a question
    assert "ما هو التسويق الفيروسي؟" not in texts  # a ## section heading, not an FAQ entry


def test_seed_what_is_questions_are_about_the_named_concept(seed_graph):
    about = {int(seed_graph.value(q, MKG.position)): seed_graph.value(q, SCHEMA.about)
             for q in seed_graph.objects(V.article("social-media-marketing-smm"), SCHEMA.mainEntity)}
    assert about == {1: None, 2: V.concept("وسائل-الإعلام-المكتسبة"), 3: V.concept("viral-marketing")}


def test_latin_question_list_answer_and_subheadings(write_article, extract_graph):
    body = (
        "## FAQ\n\n### What is growth hacking?\n\nIt is fast growth.\n\n#### Detail\n\n- one\n- two\n\n"
        "Closing words.\n\n### ليس سؤالا\n\nنص.\n\n### سؤال بلا جواب؟\n\n## التالي\n\nنص.\n"
    )
    write_article("growth.md", article_text(title="النمو", body=body))
    graph, _, problems = extract_graph()
    found = faq(graph, "growth")
    assert found == [(Literal("What is growth hacking?", lang="en"),
                      Literal("It is fast growth.\n\n- one\n- two\n\nClosing words.", lang="en"))]
    assert [p.code for p in problems if p.code == "faq-no-answer"] == ["faq-no-answer"]


def test_questions_inside_block_quotes_are_not_faq(seed_articles):
    articles, _ = seed_articles
    assert all(not q.text.startswith("115") for q in questions(articles["viral-marketing"]))


def test_question_about_a_term_defined_in_another_article(write_article, extract_graph):
    write_article("a.md", article_text(title="أ", body="** الاتصال: ** تبادل الرسائل مع العملاء.\n"))
    write_article("b.md", article_text(title="ب", body="## أسئلة\n\n### ما هو الاتِّصال في التسويق؟\n\nجواب.\n"))
    graph, _, _ = extract_graph()
    node = V.part("b", "faq", 1)
    assert graph.value(node, SCHEMA.about) == V.concept("الاتصال")
