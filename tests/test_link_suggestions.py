"""Internal-link suggestions: unlinked mentions of other concepts, over the API, the CLI and the concept page."""

from __future__ import annotations

import json

import pytest

from graph.cli import main
from tests.conftest import CONTENT, article_text

SOCIAL = "وسائل التواصل الاجتماعي"

ARTICLES = {
    # the article whose text is checked: line numbers below count from the file's first line
    "viral.md": article_text(title="التسويق الفيروسي", description="ينتشر عبر وسائل التواصل الاجتماعي.", body=(
        "تعتمد الحملة على وَسَائِل التَّوَاصُل الاجتماعي وعلى المؤثرين.\n"        # 9: a mention (diacritics)
        "\n"
        "## وسائل التواصل الاجتماعي\n"                                          # 11: a heading: skipped
        "\n"
        "يشرح [المؤثرين](/influencers) ثم `وسائل التواصل الاجتماعي` في الكود.\n"  # 13: code and a link: skipped
        "\n"
        "ويستفيد التسويق عبر وسائل التواصل الاجتماعي من التسويق الفيروسي.\n"      # 15: the longest match, own name
        "\n"
        "- يختلف عن التسويق بالمحتوى الذي\n"                                     # 17: a list item on two lines
        "  يستعمله التسويق بالمحتوى أيضًا.\n"                                    # 18
        "\n"
        "ثم نذكر [التسويق بالمحتوى](/content) مرة أخرى.\n"                  # 20: linked after 17-18
        "\n"
        "```\n"
        "المؤثرين في كتلة كود\n"                                                 # 23: fenced code: skipped
        "```\n"
        "\n"
        "وأخيرًا المؤثرين مرة ثانية.\n")),                                       # 26: a second mention
    "social.md": article_text(title=SOCIAL, description="منصات.", body="نص.\n"),
    "smm.md": article_text(title="التسويق عبر وسائل التواصل الاجتماعي", description="تسويق.", body="نص.\n"),
    "content.md": article_text(title="التسويق بالمحتوى", description="محتوى.", body="يذكر [المؤثرين](/influencers).\n"),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the inline articles; return (content dir, build dir)."""
    from graph.pipeline.build import build

    where = tmp_path_factory.mktemp("link-suggestions")
    content = where / "content"
    content.mkdir()
    for name, text in ARTICLES.items():
        (content / name).write_text(text, encoding="utf-8")
    report = build(content, where / "build")
    assert report.written, report.failure
    return content, where / "build"


@pytest.fixture(scope="module")
def client(built, make_app):
    return make_app(graph_file=built[1] / "graph.nt").test_client()


def _suggestions(client, slug: str, **params) -> dict:
    response = client.get(f"/api/concepts/{slug}/link-suggestions", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_unlinked_mentions_with_line_snippet_and_markdown(client):
    body = _suggestions(client, "viral")
    assert body["available"] is True and body["source"] == "viral.md"
    found = {item["target"]["slug"]: item for item in body["items"]}
    assert set(found) == {"social", "smm", "influencers", "content"}
    social = found["social"]
    assert social["line"] == 9 and social["text"] == "وَسَائِل التَّوَاصُل الاجتماعي"  # as written, normalised match
    assert social["mentions"] == 1  # not the heading (11), the code span (13) nor the longer name on 15
    assert social["markdown"] == "[وَسَائِل التَّوَاصُل الاجتماعي](/social)"
    marked = social["snippet"]["highlights"][0]
    assert social["snippet"]["text"][marked["start"]:marked["end"]] == social["text"]
    assert found["smm"]["line"] == 15 and found["smm"]["text"] == "التسويق عبر وسائل التواصل الاجتماعي"
    influencers = found["influencers"]  # a red link (linked from content.md): before the link on 13, one mention
    assert influencers["line"] == 9 and influencers["mentions"] == 1 and influencers["other_lines"] == []
    assert influencers["linked_at"] == 13 and influencers["target"]["kind"] == "redlink"  # 26 comes after the link
    content = found["content"]  # named on 17 and 18 before the article's own link on 20
    assert (content["line"], content["mentions"], content["other_lines"], content["linked_at"]) == (17, 2, [18], 20)


def test_ranked_targets_with_an_article_first_and_one_suggestion_per_target(client):
    items = _suggestions(client, "viral")["items"]
    assert [item["score"] for item in items] == sorted((item["score"] for item in items), reverse=True)
    kinds = [item["target"]["kind"] for item in items]
    assert kinds.index("redlink") > kinds.index("article")
    assert len({item["target"]["slug"] for item in items}) == len(items)


def test_no_mention_of_its_own_concept_and_paging(client):
    own = _suggestions(client, "social")
    assert own["items"] == [] and own["total"] == 0
    page = _suggestions(client, "viral", limit=1, offset=1)
    assert page["total"] == 4 and len(page["items"]) == 1 and "next" in page["links"] and "prev" in page["links"]


def test_unknown_slug_is_404_and_another_spelling_redirects(client):
    assert client.get("/api/concepts/nope/link-suggestions").status_code == 404
    moved = client.get("/api/concepts/Viral/link-suggestions")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/api/concepts/viral/link-suggestions")


def test_the_concept_page_lists_them(client):
    html = client.get("/concept/viral", headers={"Accept": "text/html"}).get_data(as_text=True)
    section = html[html.index('id="link-suggestions"'):]
    assert 'data-target="social"' in section and "viral.md:9" in section
    assert "<mark>وَسَائِل التَّوَاصُل الاجتماعي</mark>" in section
    assert "(linked later, line 20)" in section


def test_cli_prints_file_line_suggestions(built, capsys):
    content, build_dir = built
    assert main(["links", "--suggest", "--content", str(content), "--build-dir", str(build_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"{content / 'viral.md'}:9: suggest [وَسَائِل التَّوَاصُل الاجتماعي](/social)" in lines
    assert f"{content / 'viral.md'}:17: suggest [التسويق بالمحتوى](/content) (linked later, line 20)" in lines
    assert main(["links", "--suggest", "--format", "json", "--content", str(content),
                 "--build-dir", str(build_dir)]) == 0
    items = json.loads(capsys.readouterr().out)
    assert {(i["file"].rsplit("/", 1)[-1], i["line"], i["target"]) for i in items} >= {("viral.md", 15, "smm")}


def test_cli_lists_red_links_by_default(built, capsys):
    content, build_dir = built
    assert main(["links", "--content", str(content), "--build-dir", str(build_dir)]) == 0
    out = capsys.readouterr().out
    assert f"{content / 'viral.md'}:13: red link [المؤثرين](/influencers)" in out


def test_seed_suggestions(seed_build, make_app):
    """The seeds' suggestions (judged in the README): the first mention of social media before its link."""
    _, out = seed_build
    client = make_app(graph_file=out / "graph.nt").test_client()
    items = _suggestions(client, "viral-marketing")["items"]
    social = next(item for item in items if item["target"]["slug"] == "social-media")
    assert (social["line"], social["linked_at"]) == (14, 22)
    assert CONTENT.joinpath("viral-marketing.md").read_text(encoding="utf-8").splitlines()[13].count(
        social["text"]) >= 1
