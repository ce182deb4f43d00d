"""REST search: Arabic-normalised, ranked exact > prefix > word > infix, with highlights, from an in-memory index."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from graph.readmodel.search import SearchIndex, highlight

SMM = "social-media-marketing-smm"


def _search(client, q: str, **params) -> dict:
    extra = "".join(f"&{k}={quote(str(v))}" for k, v in params.items())
    response = client.get(f"/api/search?q={quote(q)}{extra}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.mark.parametrize("query", [
    "التَّسويق الفيروسي",  # diacritics
    "التسويق الفيروسي",
    "التـسويق الفيـروسي",  # tatweel
    "تسويق فيروسي",  # no definite article
    "ٱلتسويق ٱلفيروسي",  # alef wasla
    "viral marketing",
    "VIRAL MARKETING",
])
def test_spellings_find_viral_marketing_first(rest_client, query):
    body = _search(rest_client, query)
    assert body["results"][0]["slug"] == "viral-marketing"
    assert body["results"][0]["match"]["tier"] == "exact"


def test_diacritics_query_highlights_the_whole_label(rest_client):
    body = _search(rest_client, "التَّسويق الفيروسي")
    assert body["normalized"] == "التسويق الفيروسي"
    match = body["results"][0]["match"]
    assert match["field"] == "prefLabel" and match["lang"] == "ar"
    assert match["highlight"] == {"start": 0, "end": len(match["text"])}


def test_abbreviation_finds_social_media_marketing(rest_client):
    body = _search(rest_client, "smm")
    assert body["results"][0]["slug"] == SMM
    match = body["results"][0]["match"]
    start, end = match["highlight"]["start"], match["highlight"]["end"]
    assert match["text"][start:end].lower() == "smm"
    assert _search(rest_client, "SMM")["results"][0]["slug"] == SMM


def test_anchor_text_and_hidden_label_are_searchable(rest_client):
    body = _search(rest_client, "eWOM")
    assert body["results"][0]["slug"] == "word-of-mouth-marketing"
    assert body["results"][0]["match"]["field"] in ("hiddenLabel", "anchor", "altLabel")


def test_ranking_exact_before_prefix_before_word_before_infix(rest_client):
    body = _search(rest_client, "التسويق", limit=50)
    tiers = [r["match"]["tier"] for r in body["results"]]
    order = ["exact", "prefix", "word", "infix"]
    assert tiers == sorted(tiers, key=order.index)
    assert body["results"][0]["match"]["tier"] in ("prefix", "exact")
    infix = _search(rest_client, "يروس")
    assert infix["results"][0]["slug"] == "viral-marketing"
    assert infix["results"][0]["match"]["tier"] == "infix"
    word = _search(rest_client, "marketing", lang="en", limit=50)
    assert {r["match"]["tier"] for r in word["results"]} >= {"prefix", "word"}


def test_keyword_matches_come_after_label_matches(rest_client):
    body = _search(rest_client, "business", limit=10)
    slugs = [r["slug"] for r in body["results"]]
    assert set(slugs) >= {SMM, "viral-marketing"}
    for result in body["results"]:
        if result["match"]["field"] == "keyword":
            assert result["match"]["keyword"] == "business"


def test_limit_caps_results(rest_client):
    body = _search(rest_client, "ال", limit=2)
    assert body["count"] == len(body["results"]) <= 2


@pytest.mark.parametrize(("query", "parameter"), [
    ("", "q"), ("q=", "q"), ("q=%20%20", "q"), ("q=a%00b", "q"), ("q=" + "x" * 201, "q"),
    ("q=a&limit=0", "limit"), ("q=a&limit=101", "limit"), ("q=a&limit=ten", "limit"), ("q=a&lang=%2A%2A", "lang"),
    ("q=a&lang=", "lang"),
])
def test_bad_search_parameters_are_400(rest_client, query, parameter):
    response = rest_client.get(f"/api/search?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json(force=True)["parameter"] == parameter


def test_a_query_of_diacritics_only_matches_nothing(rest_client):
    """Valid by the contract (a non-blank string), so answered: nothing is left of it to match."""
    body = _search(rest_client, "\u064e\u064e")
    assert body["normalized"] == "" and body["count"] == 0 and body["results"] == []


def test_search_lang_picks_display_label(rest_client):
    body = _search(rest_client, "viral", lang="en")
    assert body["results"][0]["label"] == {"value": "Viral Marketing", "lang": "en"}
    body = _search(rest_client, "viral")
    assert body["results"][0]["label"]["lang"] == "ar"


def test_highlight_maps_normalised_offsets_back_to_the_label():
    assert highlight("التَّسويق", "التسويق", 0, 7, False) == {"start": 0, "end": 9}
    assert highlight("Social Media Marketing (SMM)", "social media marketing (smm)", 24, 3, False) == \
        {"start": 24, "end": 27}
    # match_key form: "تسويق فيروسي" matched inside "التسويق الفيروسي"
    assert highlight("التسويق الفيروسي", "تسويق فيروسي", 6, 6, True) == {"start": 10, "end": 16}


def test_corpus_search_every_title_finds_its_concept(rest_corpus_app):
    client = rest_corpus_app.test_client()
    items = client.get("/api/concepts?kind=article&limit=120").get_json()["items"]
    for item in items:
        label = item["label"]["value"]
        body = _search(client, label, limit=5)
        assert item["slug"] in [r["slug"] for r in body["results"]], label
        assert body["results"][0]["match"]["tier"] == "exact"


def test_searches_reuse_the_read_model_of_the_version(rest_corpus_app, monkeypatch):
    """Searches answer from the model made once per graph version: no index is built, no store queried (speed: bench)."""
    from graph.readmodel import persist

    graph = rest_corpus_app.extensions["mkg"].graph
    client = rest_corpus_app.test_client()
    work = []
    for owner, name in ((SearchIndex, "add"), (SearchIndex, "freeze"), (persist, "write"), (persist, "read"),
                        (type(graph.store), "select"), (type(graph.store), "construct")):
        real = getattr(owner, name)
        monkeypatch.setattr(owner, name, lambda *a, _name=name, _real=real, **k: work.append(_name) or _real(*a, **k))
    hits = sum(_search(client, prefix, limit=20)["count"] for prefix in ("ا", "ت", "س", "م", "a", "e", "تسويق"))
    assert hits > 0 and work == []


def test_short_prefixes_find_concepts_on_the_corpus(rest_corpus_app):
    client = rest_corpus_app.test_client()
    for prefix in ("ا", "ت", "س", "م", "a", "e"):
        body = _search(client, prefix, limit=20)
        assert body["count"] == 20 and all(r["match"]["highlight"] for r in body["results"])
