"""Drafts are not published; `mkg build --include-drafts` previews them (issue 17)."""

from __future__ import annotations

import json

import pytest

from graph.cli import main
from graph.config import load_settings
from graph.pipeline.build import build, is_up_to_date
from graph.pipeline.corpus import read_content
from graph.vocab import Vocabulary
from tests.conftest import article_text, front_matter_article

V = Vocabulary()


def _corpus(write_article, flag="draft: true"):
    write_article("live.md", article_text(title="منشور", body="[رابط](/shared)"))
    write_article("wip.md", front_matter_article(f"keywords: Business\n{flag}", "[سر](/only-in-the-draft) [رابط](/shared)",
                                                 title="مسودة"))


@pytest.mark.parametrize("flag", ["draft: true", "published: false", "draft: 'yes'", "published: 'false'"])
def test_a_draft_is_left_out_and_its_links_create_nothing(write_article, tmp_path, flag):
    _corpus(write_article, flag)
    report = build(tmp_path / "content", tmp_path / "build")
    assert report.written and report.articles == 1
    text = (tmp_path / "build" / "graph.nt").read_text(encoding="utf-8")
    assert str(V.concept("wip")) not in text and "only-in-the-draft" not in text and "مسودة" not in text
    assert str(V.concept("shared")) in text  # still linked from the published article
    (info,) = [p for p in report.problems if p.code == "draft"]
    assert (info.severity, info.path) == ("info", "wip.md") and "--include-drafts" in info.message


def test_include_drafts_previews_them(write_article, tmp_path, capsys):
    _corpus(write_article)
    args = ["build", "--content", str(tmp_path / "content"), "--out", str(tmp_path / "build")]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "wip.md: info: draft" in captured.err and "1 articles" in captured.out
    assert main([*args, "--include-drafts"]) == 0
    assert "2 articles" in capsys.readouterr().out
    assert "only-in-the-draft" in (tmp_path / "build" / "graph.nt").read_text(encoding="utf-8")
    # a preview build is not taken for the published one, and the other way round
    assert is_up_to_date(tmp_path / "content", tmp_path / "build", V, include_drafts=True)
    assert not is_up_to_date(tmp_path / "content", tmp_path / "build", V)
    articles, _ = read_content(tmp_path / "content", include_drafts=True)
    assert sorted(a.slug for a in articles) == ["live", "wip"]


def test_the_setting_flows_from_defaults_file_environment_and_flag(tmp_path):
    assert load_settings(environ={}).include_drafts is False
    config = tmp_path / "mkg.toml"
    config.write_text("include_drafts = true\n", encoding="utf-8")
    assert load_settings(config, environ={}).include_drafts is True
    assert load_settings(config, environ={"MKG_INCLUDE_DRAFTS": "0"}).include_drafts is False
    assert load_settings(environ={"MKG_INCLUDE_DRAFTS": "0"}, cli={"include_drafts": True}).include_drafts is True


def test_a_draft_does_not_claim_a_slug(write_article, tmp_path):
    write_article("a.md", front_matter_article("keywords: A\nslug: topic\ndraft: true"))
    write_article("b.md", front_matter_article("keywords: A\nslug: topic"))
    report = build(tmp_path / "content", tmp_path / "build")
    assert report.written and not [p for p in report.problems if p.severity == "error"]
    saved = json.loads((tmp_path / "build" / "report.json").read_text(encoding="utf-8"))
    assert "b.md" in (tmp_path / "build" / "graph.nt").read_text(encoding="utf-8") and saved["articles"] == 1


def test_an_unclear_draft_flag_is_an_error_at_its_line(write_article, tmp_path):
    write_article("a.md", front_matter_article("keywords: A\ndraft: maybe"))
    _, problems = read_content(tmp_path / "content")
    (problem,) = problems
    assert (problem.severity, problem.path, problem.line, problem.code) == ("error", "a.md", 5, "front-matter-type")
    assert "draft: true" in problem.message


def test_only_drafts_fails_with_a_hint(write_article, tmp_path):
    write_article("a.md", front_matter_article("keywords: A\ndraft: true"))
    report = build(tmp_path / "content", tmp_path / "build")
    assert not report.written and "--include-drafts" in report.failure


def test_a_hugo_publish_date_is_not_a_draft_flag(write_article, tmp_path):
    write_article("a.md", front_matter_article("keywords: A\npublished: 2023-01-01"))
    write_article("b.md", front_matter_article('keywords: A\npublished: "2023-01-01T10:00:00Z"'))
    articles, problems = read_content(tmp_path / "content")
    assert [a.slug for a in articles] == ["a", "b"] and not [p for p in problems if p.severity != "info"]
