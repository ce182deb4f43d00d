"""Reading articles: front matter, blocks, links, and every kind of bad input."""

from __future__ import annotations

from graph.parse.content import parse_article
from graph.pipeline.corpus import read_content
from tests.conftest import article_text


def codes(problems, severity=None):
    return [p.code for p in problems if severity is None or p.severity == severity]


def test_seed_front_matter(seed_articles):
    articles, _ = seed_articles
    viral = articles["viral-marketing"]
    assert viral.title == "التسويق الفيروسي"
    assert viral.keywords == ("Business", "Marketing Essentials")
    assert viral.description.startswith("يسعى التسويق الفيروسي إلى نشر المعلومات")
    smm = articles["social-media-marketing-smm"]
    assert smm.title == "التسويق عبر وسائل التواصل الاجتماعي (SMM)"
    assert len(smm.sha256) == 64


def test_seed_links_with_anchor_and_line(seed_articles):
    articles, _ = seed_articles
    viral = [(link.target, link.anchor, link.line) for link in articles["viral-marketing"].links]
    assert viral == [
        ("marketing", "تسويقية", 10),
        ("word-of-mouth-marketing", "التسويق التقليدي الشفهي", 14),
        ("btoc", "الأعمال إلى المستهلك", 16),
        ("social-media", "وسائل التواصل الاجتماعي", 22),
        ("marketing-campaign", "حملات التسويق التقليدية", 40),
        ("sales-lead", "العميل المحتمل", 50),
    ]
    smm = {link.target: link for link in articles["social-media-marketing-smm"].links}
    assert smm["customer-relation-management"].written == "customer_relation_management"
    assert smm["word-of-mouth-marketing"].anchor == "توصيات eWOM"
    assert smm["viral-marketing"].line == 54


def test_raw_html_is_noise_reported_with_line(seed_articles):
    articles, problems = seed_articles
    html = [p for p in problems if p.code == "raw-html"]
    assert [(p.path, p.line) for p in html] == [("viral-marketing.md", 54)]
    text = " ".join(b.text for b in articles["viral-marketing"].blocks)
    assert "TTT" not in text and "7viEV" not in text


def test_sections_are_counted(seed_articles):
    articles, _ = seed_articles
    sections = [s.text for s in articles["viral-marketing"].outline]
    assert sections[0] == "ما هو التسويق الفيروسي؟"
    assert sections[-1] == "يسلط الضوء"
    assert len(sections) == 8  # the seven `###` of its FAQ section are questions, not sections


def test_links_with_fragment_query_and_external(write_article, tmp_path):
    path = write_article("a.md", article_text(body="[x](/Brand_Equity#history) [y](/b?x=1) [z](https://e.org/c)"))
    article, problems = parse_article(path, tmp_path / "content")
    assert [(link.target, link.written) for link in article.links] == [
        ("brand-equity", "Brand_Equity"),
        ("b", "b"),
    ]
    assert problems == []


def test_relative_link_is_reported(write_article, tmp_path):
    path = write_article("a.md", article_text(body="see [x](other-page)"))
    article, problems = parse_article(path, tmp_path / "content")
    assert article.links == ()
    assert codes(problems) == ["relative-link"]


def test_invalid_yaml_names_the_line(write_article, tmp_path):
    write_article("bad.md", "---\nkeywords: a\ntitle: [unclosed\ndescription: d\n---\nbody\n")
    _, problems = read_content(tmp_path / "content")
    (problem,) = problems
    assert problem.code == "yaml" and problem.path == "bad.md" and problem.line in (3, 4, 5)
    assert "fix the syntax" in problem.message


def test_no_front_matter(write_article, tmp_path):
    write_article("plain.md", "# عنوان\n\nنص\n")
    _, problems = read_content(tmp_path / "content")
    assert codes(problems, "error") == ["no-front-matter"]
    assert str(problems[0]).startswith("plain.md:1: error:")


def test_missing_title(write_article, tmp_path):
    write_article("untitled.md", "---\nkeywords: A\ndescription: d\n---\nbody\n")
    _, problems = read_content(tmp_path / "content")
    assert codes(problems, "error") == ["missing-title"]


def test_empty_file(write_article, tmp_path):
    write_article("empty.md", "")
    _, problems = read_content(tmp_path / "content")
    assert codes(problems, "error") == ["empty"]


def test_bytes_that_are_not_utf8(write_article, tmp_path):
    write_article("latin1.md", article_text().encode() + b"\n\xff\xfe bad\n")
    _, problems = read_content(tmp_path / "content")
    (problem,) = problems
    assert problem.code == "encoding" and problem.line == 11


def test_duplicate_slugs_keep_the_first_and_reject_the_second(write_article, tmp_path):
    write_article("brand-equity.md", article_text(title="أ"))
    write_article("sub/Brand_Equity.md", article_text(title="ب"))
    articles, problems = read_content(tmp_path / "content")
    assert [a.path for a in articles] == ["brand-equity.md"]
    errors = [p for p in problems if p.severity == "error"]
    assert [(p.path, p.code) for p in errors] == [("sub/Brand_Equity.md", "duplicate-slug")]
    assert "brand-equity.md" in errors[0].message


def test_slug_with_space_uppercase_and_non_ascii_is_normalised(write_article, tmp_path):
    write_article("Brand Equity.md", article_text())
    write_article("x.md", article_text(body="[a](</Big Data>) [b](/تسويق_المحتوى) [c](/big%20data)").replace(
        "keywords: Business", "keywords: Business\nslug: التسويق الرقمي"))
    articles, _ = read_content(tmp_path / "content")
    by_path = {a.path: a for a in articles}
    assert by_path["Brand Equity.md"].slug == "brand-equity"
    assert by_path["Brand Equity.md"].slug_written == "Brand Equity"
    assert by_path["x.md"].slug == "التسويق-الرقمي"
    assert [link.target for link in by_path["x.md"].links] == ["big-data", "تسويق-المحتوى", "big-data"]


def test_file_over_the_size_limit(write_article, tmp_path):
    write_article("huge.md", article_text(body="نص " * 1000))
    _, problems = read_content(tmp_path / "content", max_bytes=1000)
    assert codes(problems, "error") == ["too-large"]


def test_non_markdown_files_are_ignored_and_listed(write_article, tmp_path):
    write_article("ok.md", article_text())
    write_article("notes.txt", "hello")
    write_article("image.png", b"\x89PNG")
    articles, problems = read_content(tmp_path / "content")
    assert len(articles) == 1
    assert sorted(p.path for p in problems if p.code == "ignored") == ["image.png", "notes.txt"]


def test_other_files_are_processed_when_one_is_bad(write_article, tmp_path):
    write_article("a.md", article_text(title="أ"))
    write_article("b.md", "no front matter")
    articles, problems = read_content(tmp_path / "content")
    assert [a.slug for a in articles] == ["a"]
    assert codes(problems, "error") == ["no-front-matter"]


def test_parallel_parse_gives_the_same_articles(write_article, tmp_path):
    for n in range(220):
        write_article(f"c-{n:03}.md", article_text(title=f"مفهوم {n}", body=f"[x](/c-{(n + 1) % 220:03})"))
    serial, _ = read_content(tmp_path / "content", jobs=1)
    parallel, _ = read_content(tmp_path / "content", jobs=2)
    assert serial == parallel
