"""Summary: the bottom-line section as the concept's schema:abstract."""

from __future__ import annotations

from rdflib import Literal

from graph.vocab import SCHEMA, Vocabulary
from tests.conftest import article_text

V = Vocabulary()

VIRAL_SUMMARY = (
    "التسويق الفيروسي هو أسلوب غير مكلف وفعال لزيادة الوعي والترويج لعلامة تجارية أو منتج. تعتمد الشركات على "
    "جمهورها أو المستخدمين المستهدفين لمشاركة الحملات الإعلانية وتجاربهم الإيجابية مع الآخرين. يمكن أن تساعد "
    "الحملات الناجحة الشركة على النمو ودخول أسواق جديدة وزيادة الإيرادات. يجب على الشركات اختيار الأنظمة الأساسية "
    "المناسبة للإعلان عن محتواها وتنسيقه بحيث يمكن مشاركته بسهولة. إذا تم القيام به بشكل سيئ ، فقد يؤدي إلى نتائج "
    "غير مواتية يمكن أن تؤدي إلى تآكل الأرباح وتشويه سمعة الشركة."
)


def test_seed_bottom_line_is_the_abstract(seed_graph):
    assert list(seed_graph.objects(V.concept("viral-marketing"), SCHEMA.abstract)) == [
        Literal(VIRAL_SUMMARY, lang="ar")]


def test_seed_article_without_bottom_line_has_no_abstract(seed_graph):
    assert seed_graph.value(V.concept("social-media-marketing-smm"), SCHEMA.abstract) is None


def test_heading_variants_and_paragraph_joining(write_article, extract_graph):
    write_article("a.md", article_text(title="أ", body="## الخُلاصـة\n\nأولا.\n\nثانيا.\n\n## بعد\n\nلا.\n"))
    write_article("b.md", article_text(title="ب", body="## The Bottom Line\n\nShort summary.\n"))
    write_article("c.md", article_text(title="ج", body="## الخط السفلي\n\n## فارغ\n\nلا.\n"))
    graph, _, _ = extract_graph()
    assert graph.value(V.concept("a"), SCHEMA.abstract) == Literal("أولا.\n\nثانيا.", lang="ar")
    assert graph.value(V.concept("b"), SCHEMA.abstract) == Literal("Short summary.", lang="en")
    assert graph.value(V.concept("c"), SCHEMA.abstract) is None
