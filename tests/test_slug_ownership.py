"""Which file keeps a slug claimed twice does not depend on file order (issue 17)."""

from __future__ import annotations

import pytest

from graph.pipeline.corpus import read_content
from tests.conftest import article_text, front_matter_article


@pytest.mark.parametrize("stray", ["a-first.md", "z-last.md", "sub/00.md"])
def test_the_file_named_after_the_slug_keeps_it(write_article, tmp_path, stray):
    write_article("viral-marketing.md", article_text(title="التسويق الفيروسي"))
    write_article(stray, front_matter_article("keywords: A\nslug: viral-marketing", title="دخيل"))
    articles, problems = read_content(tmp_path / "content")
    assert [(a.path, a.title) for a in articles] == [("viral-marketing.md", "التسويق الفيروسي")]
    (error,) = [p for p in problems if p.severity == "error"]
    assert (error.path, error.line, error.code) == (stray, 5, "duplicate-slug")
    assert "viral-marketing.md" in error.message and "slug: viral-marketing" in error.message
    assert "set another `slug:`" in error.message


def test_without_a_file_named_after_it_the_first_in_path_order_keeps_it(write_article, tmp_path):
    write_article("b.md", front_matter_article("keywords: A\nslug: topic", title="ب"))
    write_article("a.md", front_matter_article("keywords: A\nslug: Topic", title="أ"))
    articles, problems = read_content(tmp_path / "content")
    assert [a.path for a in articles] == ["a.md"]
    (error,) = [p for p in problems if p.severity == "error"]
    assert error.path == "b.md" and "a.md" in error.message and error.line == 5


def test_two_spellings_of_a_file_name_keep_path_order(write_article, tmp_path):
    write_article("viral_marketing.md", article_text(title="أ"))
    write_article("viral-marketing.md", article_text(title="ب"))
    articles, problems = read_content(tmp_path / "content")
    assert [a.path for a in articles] == ["viral-marketing.md"]  # "-" sorts before "_"
    (error,) = [p for p in problems if p.severity == "error"]
    assert error.path == "viral_marketing.md" and "viral-marketing.md" in error.message
