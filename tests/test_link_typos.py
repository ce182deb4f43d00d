"""Link typos: a red link one edit away from an article's slug, or Arabic-equal to it, is a warning at file:line."""

from __future__ import annotations

import re

import pytest

from graph.cli import main
from graph.pipeline.corpus import read_content
from graph.pipeline.link_typos import SlugNeighbours, link_typos, one_edit_apart
from graph.pipeline.resolve import ConceptIndex
from tests.conftest import article_text


@pytest.mark.parametrize(("typed", "meant"), [
    ("viral-marketting", "viral-marketing"),    # a letter too many
    ("viral-markting", "viral-marketing"),      # a letter missing
    ("viral-marketinq", "viral-marketing"),     # a letter replaced
    ("virla-marketing", "viral-marketing"),     # two neighbours swapped
    ("viralmarketing", "viral-marketing"),      # the separator missing
])
def test_one_edit_is_close(typed, meant):
    assert one_edit_apart(typed, meant) and one_edit_apart(meant, typed)
    assert SlugNeighbours(["viral-marketing", "marketing", "virtual-meeting"]).near(typed) == [meant]


@pytest.mark.parametrize(("a", "b"), [("viral-marketing", "viral-marketing"), ("marketing", "market"),
                                      ("abcdef", "badcfe"), ("seo", "")])
def test_more_than_one_edit_or_none_is_not_close(a, b):
    assert not one_edit_apart(a, b)


def test_short_slugs_are_different_concepts_not_typos():
    assert SlugNeighbours(["b2c", "sem", "seo-x"]).near("b2b") == []
    assert SlugNeighbours(["b2c", "sem"]).near("seo") == []


def test_arabic_slugs_equal_once_normalised_are_close():
    neighbours = SlugNeighbours(["التسويق-الفيروسي", "التسويق-بالمحتوى"])
    assert neighbours.near("تسويق-فيروسي") == ["التسويق-الفيروسي"]        # the definite article
    assert neighbours.near("التسويق-الفيروسى") == ["التسويق-الفيروسي"]    # alef maqsura for yeh
    assert neighbours.near("الاعلان-الرقمي") == []


def test_every_link_to_a_typo_is_a_warning_at_its_line(write_article, tmp_path):
    write_article("viral-marketing.md", article_text(title="التسويق الفيروسي"))
    write_article("التسويق-بالمحتوى.md", article_text(title="التسويق بالمحتوى"))
    write_article("a.md", article_text(title="مقالة", body=(
        "[التسويق الفيروسي](/viral-marketting) نص.\n\n"
        "[تسويق](/big-data) و[مرة أخرى](/viral-marketting).\n\n"
        "[بالمحتوى](/تسويق-بالمحتوى).\n")))
    articles, _ = read_content(tmp_path / "content")
    problems = list(link_typos(ConceptIndex.build(articles)))
    where = [(p.path, p.line, p.severity, p.code) for p in problems]
    assert where == [("a.md", 9, "warning", "link-typo"), ("a.md", 11, "warning", "link-typo"),
                     ("a.md", 13, "warning", "link-typo")]  # the body starts at line 9
    assert "did you mean /viral-marketing (التسويق الفيروسي)?" in problems[0].message
    assert "/viral-marketting" in problems[0].message
    assert "did you mean /التسويق-بالمحتوى" in problems[2].message


def test_build_prints_warnings_quiet_hides_them_and_strict_explains_its_failure(write_article, tmp_path, capsys):
    write_article("viral-marketing.md", article_text(title="التسويق الفيروسي", body="[الاعلان](/advertising)."))
    write_article("advertising.md", article_text(title="الإعلان", body="[التسويق الفيروسي](/viral-marketting)."))
    args = ["build", "--content", str(tmp_path / "content"), "--out", str(tmp_path / "b")]
    warning = "advertising.md:9: warning: link to /viral-marketting: no article has that slug; did you mean " \
              "/viral-marketing (التسويق الفيروسي)?"
    assert main(args) == 0
    assert warning in capsys.readouterr().err
    assert main([*args, "--quiet"]) == 0
    assert "warning" not in capsys.readouterr().err
    for extra in ([], ["--quiet"]):
        assert main([*args, "--strict", *extra]) == 1
        err = capsys.readouterr().err
        assert warning in err and re.search(r"FAILED \(--strict given and \d+ warning\(s\) found", err)
