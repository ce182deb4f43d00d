"""Take-aways: the bullet list under the highlights heading as an rdf:List of @ar literals."""

from __future__ import annotations

from rdflib import BNode, Literal
from rdflib.collection import Collection
from rdflib.namespace import RDF

from graph.vocab import Vocabulary
from tests.conftest import article_text

V = Vocabulary()
MKG = V.MKG

VIRAL = [
    "بمجرد أن ينتشر شيء ما ، تصبح طريقة سهلة ورخيصة لاكتساب الرسالة شعبية.",
    "لقد أدى الإنترنت وظهور وسائل التواصل الاجتماعي إلى زيادة كبيرة في عدد الرسائل الفيروسية في شكل ميمات "
    "ومشاركات وإعجابات وإعادة توجيه.",
    "تحاول بعض الحملات التسويقية إثارة الانتشار ، ولكن في كثير من الأحيان يظل ما ينتشر فيروسيًا لغزا.",
    "التسويق الفيروسي هو أسلوب مبيعات يتضمن معلومات عضوية أو شفهية حول منتج أو خدمة لنشرها بمعدل متزايد باستمرار.",
    "يمكن للتسويق الفيروسي أن يزيد من وصول الشركة وقاعدة عملائها في نهاية المطاف.",
]
SMM = [
    "تأتي قوة التسويق عبر وسائل التواصل الاجتماعي من قدرة لا مثيل لها لوسائل التواصل الاجتماعي في ثلاثة مجالات "
    "تسويق أساسية: الاتصال والتفاعل وبيانات العملاء.",
    "يستخدم التسويق عبر وسائل التواصل الاجتماعي (SMM) وسائل التواصل الاجتماعي والشبكات الاجتماعية - مثل Facebook "
    "و Twitter و Instagram - لتسويق المنتجات والخدمات والتفاعل مع العملاء الحاليين والوصول إلى عملاء جدد.",
    "غيّر التسويق عبر وسائل التواصل الاجتماعي الطريقة التي تستطيع بها الشركات التأثير على سلوك المستهلك - من "
    "الترويج للمحتوى الذي يدفع المشاركة إلى استخراج البيانات الشخصية التي تجعل الرسائل تلقى صدى لدى المستخدمين.",
]


def takeaways(graph, slug):
    head = graph.value(V.concept(slug), MKG.takeaway)
    return None if head is None else list(Collection(graph, head))


def test_seed_takeaways_in_order(seed_graph):
    assert takeaways(seed_graph, "viral-marketing") == [Literal(t, lang="ar") for t in VIRAL]
    assert takeaways(seed_graph, "social-media-marketing-smm") == [Literal(t, lang="ar") for t in SMM]


def test_seed_list_nodes_are_iris_ending_in_nil(seed_graph):
    nodes = [V.part("viral-marketing", "takeaways", n) for n in range(1, 6)]
    assert seed_graph.value(V.concept("viral-marketing"), MKG.takeaway) == nodes[0]
    for node, after in zip(nodes, [*nodes[1:], RDF.nil], strict=True):
        assert seed_graph.value(node, RDF.rest) == after
    assert not any(isinstance(term, BNode) for triple in seed_graph for term in triple)


def test_key_takeaways_heading_variants(write_article, extract_graph):
    write_article("a.md", article_text(title="أ", body="## Key Takeaways\n\n- أولى\n- ثانية\n\n## بعد\n\n- ليست\n"))
    write_article("b.md", article_text(title="ب", body="## النقاط الرئيسيّة:\n\n- واحدة\n"))
    write_article("c.md", article_text(title="ج", body="## أهم النقاط\n\nفقرة فقط.\n"))
    graph, _, _ = extract_graph()
    assert takeaways(graph, "a") == [Literal("أولى", lang="ar"), Literal("ثانية", lang="ar")]
    assert takeaways(graph, "b") == [Literal("واحدة", lang="ar")]
    assert takeaways(graph, "c") is None  # no list: no empty take-away list


def test_nested_heading_does_not_end_the_list_but_a_sibling_does(write_article, extract_graph):
    body = "## Highlights\n\n- a1\n\n### sub\n\n- a2\n\n## Other\n\n- no\n"
    write_article("a.md", article_text(title="أ", body=body))
    graph, _, _ = extract_graph()
    assert [str(t) for t in takeaways(graph, "a")] == ["a1", "a2"]
