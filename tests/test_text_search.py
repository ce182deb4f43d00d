"""Full-text search over the articles' text: /api/search?in=text|all, BM25, snippets with their section, the home page."""

from __future__ import annotations

import pytest

from tests.conftest import article_text

BUCKET = "دلو الثلج"  # in the viral-marketing seed's body only (the example)


def _search(client, q: str, **params) -> dict:
    response = client.get("/api/search", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _marked(snippet: dict) -> list[str]:
    return [snippet["text"][h["start"]:h["end"]] for h in snippet["highlights"]]


def test_a_phrase_of_the_body_is_found_in_text_only(rest_client):
    assert _search(rest_client, BUCKET)["count"] == 0  # in=labels, the default, answers as before
    body = _search(rest_client, BUCKET, **{"in": "text"})
    if not body["text_available"]:  # the remote backend serves a store without its build's article text
        assert body["results"] == []
        return
    assert body["in"] == "text" and body["results"][0]["slug"] == "viral-marketing"
    match = body["results"][0]["match"]
    assert match["field"] == "text" and match["score"] > 0
    snippet = match["snippets"][0]
    assert _marked(snippet) == ["دلو", "الثلج"]
    assert snippet["section"]["name"] == "أمثلة على التسويق الفيروسي" and snippet["section"]["level"] == 2
    assert snippet["line"] == 22


def test_the_default_scope_keeps_the_label_answer_unchanged(rest_client):
    default = _search(rest_client, "التسويق الفيروسي")
    labels = _search(rest_client, "التسويق الفيروسي", **{"in": "labels"})
    assert default == labels and set(default) == {"query", "normalized", "count", "results"}


def test_an_unknown_scope_is_refused(rest_client):
    response = rest_client.get("/api/search", query_string={"q": "x", "in": "body"})
    assert response.status_code == 400 and response.get_json()["parameter"] == "in"


@pytest.fixture(scope="module")
def text_client(tmp_path_factory, make_app):
    """The app serving three inline articles written for text search."""
    from graph.pipeline.build import build

    where = tmp_path_factory.mktemp("text-search")
    content = where / "content"
    content.mkdir()
    articles = {
        "bucket.md": article_text(title="تحدي الجليد", description="حملة تبرعات انتشرت.", body=(
            "## الأصل\n\nبدأ التَّحدِّي بِدَلْوٍ من الماء البارد.\n\n"
            "## الانتشار\n\nانتشر تحدي دلو الثلج بين المشاهير، ثم عاد دلو الثلج كل صيف.\n\n"
            "## أسئلة شائعة\n\n### ما هو تحدي دلو الثلج؟\n\nحملة لجمع التبرعات بالثلج والماء.\n\n"
            "### لماذا انتشر؟\n\nلأن المشاركة سهلة.\n")),
        "ice.md": article_text(title="الجليد", description="ماء متجمد.", body=(
            "## الاستخدام\n\nيحفظ الثلج الطعام باردًا. ويُستعمل دلو واحد للتبريد.\n")),
        "other.md": article_text(title="التسويق", description="نشاط تجاري.", body="نص عن الأسواق والدلو.\n"),
    }
    for name, text in articles.items():
        (content / name).write_text(text, encoding="utf-8")
    report = build(content, where / "build")
    assert report.written, report.failure
    return make_app(graph_file=where / "build" / "graph.nt").test_client()


def test_every_word_must_be_in_a_passage_and_bm25_ranks_the_denser_article_first(text_client):
    body = _search(text_client, "دلو الثلج", **{"in": "text"})
    assert [r["slug"] for r in body["results"]] == ["bucket", "ice"]  # "other" has no ثلج
    first, second = body["results"]
    assert first["match"]["score"] > second["match"]["score"]
    assert first["match"]["passages"] == 2  # the spread section, and the FAQ answer under its question


def test_diacritics_and_definite_articles_are_folded_both_ways(text_client):
    found = _search(text_client, "الدَّلْو", **{"in": "text"})  # the text has بِدَلْوٍ? no: دلو, دلو, الدلو
    assert {r["slug"] for r in found["results"]} == {"bucket", "ice", "other"}
    snippet = next(r for r in found["results"] if r["slug"] == "other")["match"]["snippets"][0]
    assert _marked(snippet) == ["والدلو"] or _marked(snippet) == ["الدلو"]
    with_marks = _search(text_client, "التحدي", **{"in": "text"})
    passage = with_marks["results"][0]["match"]["snippets"]
    assert any("التَّحدِّي" in _marked(s) for s in passage)  # marked as written, with its diacritics


def test_snippets_name_their_section_or_faq_question(text_client):
    body = _search(text_client, "التبرعات", **{"in": "text"})
    snippets = body["results"][0]["match"]["snippets"]
    faq = next(s for s in snippets if s["heading"] == "ما هو تحدي دلو الثلج؟")
    assert faq["section"]["name"] == "أسئلة شائعة" and faq["line"] > 1
    assert any(s["line"] is None and s["heading"] is None for s in snippets)  # the description
    assert all(_marked(s) for s in snippets)


def test_all_gives_label_matches_first_then_text_matches(text_client):
    body = _search(text_client, "الجليد", **{"in": "all"})
    kinds = [(r["slug"], r["match"]["field"]) for r in body["results"]]
    assert kinds[0] == ("ice", "prefLabel")
    assert ("bucket", "prefLabel") in kinds or ("bucket", "text") in kinds
    assert len({slug for slug, _ in kinds}) == len(kinds)


def test_the_home_page_shows_both_kinds(text_client):
    page = text_client.get("/", query_string={"q": "دلو الثلج"}, headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="text-hits"' in html and 'data-slug="bucket"' in html
    assert "<mark>دلو</mark> <mark>الثلج</mark>" in html
    assert "Results</span>" in html and "In the articles' text" in html


def test_a_graph_without_article_text_says_so(tmp_path, make_app, text_client):
    from graph.pipeline.build import build
    from tests.conftest import CONTENT

    report = build(CONTENT, tmp_path / "build")
    assert report.written
    client = make_app(graph_file=tmp_path / "build" / "graph.ttl").test_client()  # an imported file: no text
    body = _search(client, BUCKET, **{"in": "text"})
    assert body["text_available"] is False and body["results"] == []
    assert _search(client, "التسويق الفيروسي", **{"in": "all"})["results"][0]["slug"] == "viral-marketing"
