"""The front-matter fields real sites write: dates, authors, aliases, tags and categories (issue 17)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from rdflib import Literal
from rdflib.namespace import DCTERMS, XSD

from graph.cli import main
from graph.pipeline.build import build
from graph.pipeline.corpus import read_content
from graph.vocab import Vocabulary
from tests.conftest import article_text, front_matter_article

V = Vocabulary()
MKG = V.MKG


def test_dates_authors_tags_and_categories(write_article, extract_graph):
    write_article("a.md", front_matter_article(
        "tags: [Growth, SEO]\ncategories: Business, Growth\ndate: 2023-05-01\nlastmod: 2024-01-02T10:30:00+03:00\n"
        "author: أحمد علي"))
    write_article("b.md", front_matter_article(
        'keywords: [Sales]\ndate: "2023-06-01"\nlastmod: "2024-02-03T08:00:00Z"\nauthors: [Jane Doe, {name: Sam}]'))
    graph, _, problems = extract_graph()
    a, b = V.article("a"), V.article("b")
    assert graph.value(a, DCTERMS.created) == Literal(date(2023, 5, 1))
    assert graph.value(a, DCTERMS.created).datatype == XSD.date
    modified = graph.value(a, DCTERMS.modified)
    assert modified.datatype == XSD.dateTime
    assert modified.value == datetime(2024, 1, 2, 10, 30, tzinfo=timezone(timedelta(hours=3)))
    assert graph.value(b, DCTERMS.created) == Literal(date(2023, 6, 1))
    assert str(graph.value(b, DCTERMS.modified)) == "2024-02-03T08:00:00+00:00"
    assert set(graph.objects(a, DCTERMS.creator)) == {Literal("أحمد علي")}
    assert set(graph.objects(b, DCTERMS.creator)) == {Literal("Jane Doe"), Literal("Sam")}
    keywords = {str(k).rsplit("/", 1)[-1] for k in graph.objects(V.concept("a"), MKG.hasKeyword)}
    assert keywords == {"business", "growth", "seo"}  # categories and tags, as a string or a list
    assert {str(k).rsplit("/", 1)[-1] for k in graph.objects(V.concept("b"), MKG.hasKeyword)} == {"sales"}
    assert [p for p in problems if p.severity != "info"] == []


def test_an_impossible_date_is_reported_at_its_line_not_a_crash(write_article, tmp_path):
    write_article("a.md", front_matter_article("keywords: A\ndate: 2023-02-30\nlastmod: next week"))
    articles, problems = read_content(tmp_path / "content")
    assert [a.slug for a in articles] == ["a"] and articles[0].created is None and articles[0].modified is None
    assert [(p.severity, p.path, p.line, p.code) for p in problems] == [
        ("warning", "a.md", 5, "bad-date"), ("warning", "a.md", 6, "bad-date")]
    assert "'2023-02-30' is not a date" in problems[0].message and "YYYY-MM-DD" in problems[0].message


def test_aliases_redirect_and_links_to_them_reach_the_article(write_article, built_client):
    write_article("new-name.md", front_matter_article(
        "keywords: A\naliases: [/old-name/, /posts/Older_Name.html, /b]", title="الاسم الجديد"))
    write_article("b.md", article_text(title="ب", body="[قديم](/old-name) و[ب](/b)"))
    client, report = built_client()
    (warning,) = [p for p in report.problems if p.code == "alias-taken"]
    assert warning.path == "new-name.md" and "b.md" in warning.message  # /b is another article's slug
    moved = client.get("/api/concepts/old-name")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/api/concepts/new-name")
    assert client.get("/api/concepts/posts-older-name").status_code == 301
    assert client.get("/concept/old-name", headers={"Accept": "text/html"}).status_code == 301
    body = client.get("/api/concepts/new-name").get_json()
    assert {"old-name", "posts-older-name"} <= set(body["aliases"]) and "b" not in body["aliases"]
    assert [link["slug"] for link in client.get("/api/concepts/b").get_json()["links_out"]] == ["b", "new-name"]
    assert report.counts["red_links"] == 0


def test_unread_fields_are_listed_once_per_build(write_article, tmp_path, capsys):
    for name in ("a.md", "b.md", "c.md"):
        write_article(name, front_matter_article("keywords: A\nlayout: post\nweight: 3"))
    args = ["build", "--content", str(tmp_path / "content"), "--out", str(tmp_path / "build")]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert err.count("unread-field") == 2
    assert "a.md:5: info: front-matter field `layout` is not read by the build: ignored (also in 2 other file(s))" in err
    assert "a.md:6: info: front-matter field `weight`" in err


def test_dates_and_authors_in_the_api_and_on_the_page(write_article, built_client):
    write_article("a.md", front_matter_article("keywords: A\ndate: 2023-05-01\nlastmod: 2024-01-02\nauthor: Jane Doe"))
    client, report = built_client()
    assert report.conforms
    body = client.get("/api/concepts/a").get_json()
    assert (body["created"], body["modified"], body["authors"]) == ("2023-05-01", "2024-01-02", ["Jane Doe"])
    page = client.get("/concept/a", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<time>2023-05-01</time>" in page and "Jane Doe" in page


def test_a_plain_article_has_no_dates(seed_build):
    report, out = seed_build
    text = (out / "graph.nt").read_text(encoding="utf-8")
    assert str(DCTERMS.created) not in text and not [p for p in report.problems if p.code == "unread-field"]


def test_two_builds_with_every_new_fact_are_byte_identical(write_article, tmp_path):
    write_article("a.md", front_matter_article(
        "tags: [x, y]\ndate: 2023-05-01T10:00:00Z\nauthors: [B, A]\naliases: [/old]\nfoo: 1",
        "## أ\n\n### ب\n\n**س:** شرح.\n\n[ل](/old)"))
    one = build(tmp_path / "content", tmp_path / "one")
    two = build(tmp_path / "content", tmp_path / "two")
    assert one.written and two.written
    for name in ("graph.nt", "graph.ttl"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
