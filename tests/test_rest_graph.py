"""REST graph look-ups: neighbours ({nodes, edges}), related (documented score with reasons), shortest paths."""

from __future__ import annotations

import math

import pyoxigraph as ox
import pytest

SMM = "social-media-marketing-smm"


def _get(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _bad(client, url: str, parameter: str) -> None:
    response = client.get(url)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json(force=True)["parameter"] == parameter


# ------------------------------------------------------------------------------ neighbours


def test_social_media_neighbours_include_viral_marketing(rest_client):
    body = _get(rest_client, "/api/concepts/social-media/neighbours")
    nodes = {n["slug"]: n for n in body["nodes"]}
    assert "viral-marketing" in nodes and SMM in nodes
    assert nodes["social-media"]["distance"] == 0 and nodes["viral-marketing"]["distance"] == 1
    assert nodes["viral-marketing"]["label"] == {"value": "التسويق الفيروسي", "lang": "ar"}
    ids = {n["id"] for n in body["nodes"]}
    edge = next(e for e in body["edges"] if e["source"].endswith("/viral-marketing"))
    assert edge == {"source": nodes["viral-marketing"]["id"], "target": nodes["social-media"]["id"],
                    "relation": "linksTo", "direction": "in", "anchors": ["وسائل التواصل الاجتماعي"]}
    assert all(e["source"] in ids and e["target"] in ids for e in body["edges"])


def test_neighbour_direction_depth_and_relation(rest_client):
    out = _get(rest_client, "/api/concepts/social-media/neighbours?direction=out")
    assert [n["slug"] for n in out["nodes"]] == ["social-media"] and out["edges"] == []
    inbound = _get(rest_client, "/api/concepts/social-media/neighbours?direction=in")
    assert {n["slug"] for n in inbound["nodes"]} == {"social-media", SMM, "viral-marketing"}
    deep = _get(rest_client, "/api/concepts/social-media/neighbours?depth=2")
    distances = {n["slug"]: n["distance"] for n in deep["nodes"]}
    assert distances["sales-lead"] == 2 and distances["big-data"] == 2
    keywords = _get(rest_client, "/api/concepts/viral-marketing/neighbours?relation=hasKeyword")
    assert {n["slug"] for n in keywords["nodes"] if n["type"] == "keyword"} == {"business", "marketing-essentials"}
    assert {e["relation"] for e in keywords["edges"]} == {"hasKeyword"}
    both = _get(rest_client, "/api/concepts/viral-marketing/neighbours?relation=linksTo,hasKeyword&relation=linksTo")
    assert set(both["relations"]) == {"linksTo", "hasKeyword"}


def test_neighbour_limit_truncates(rest_client):
    body = _get(rest_client, "/api/concepts/social-media/neighbours?depth=3&limit=3")
    assert len(body["nodes"]) == 3 and body["truncated"] is True


@pytest.mark.parametrize(("query", "parameter"), [
    ("depth=0", "depth"), ("depth=4", "depth"), ("direction=up", "direction"), ("relation=knows", "relation"),
    ("limit=0", "limit"), ("limit=501", "limit"), ("relation=", "relation"), ("relation=linksTo,", "relation"),
    ("relation=linksTo,%20hasKeyword", "relation"), ("direction=", "direction"), ("lang=", "lang"),
])
def test_bad_neighbour_parameters(rest_client, query, parameter):
    _bad(rest_client, f"/api/concepts/social-media/neighbours?{query}", parameter)


def test_neighbours_redirect_and_404(rest_client):
    response = rest_client.get("/api/concepts/customer_relation_management/neighbours?depth=2")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/api/concepts/customer-relation-management/neighbours?depth=2")
    assert rest_client.get("/api/concepts/nothing-like-it/neighbours").status_code == 404


def test_neighbours_as_turtle(rest_client):
    response = rest_client.get("/api/concepts/social-media/neighbours", headers={"Accept": "text/turtle"})
    assert response.mimetype == "text/turtle"
    triples = list(ox.parse(response.data, format=ox.RdfFormat.TURTLE))
    links = [t for t in triples if t.predicate.value.endswith("#linksTo")]
    assert {t.subject.value.rsplit("/", 1)[-1] for t in links} == {SMM, "viral-marketing"}


# ------------------------------------------------------------------------------ related


def test_related_ranks_with_documented_score_and_reasons(rest_client):
    body = _get(rest_client, "/api/concepts/viral-marketing/related?limit=20")
    results = {r["slug"]: r for r in body["results"]}
    assert body["results"][0]["slug"] in (SMM, "social-media", "word-of-mouth-marketing")
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)
    for result in body["results"]:
        total = sum(reason["contribution"] for reason in result["reasons"])
        assert math.isclose(total, result["score"], abs_tol=1e-3)
    smm = {reason["reason"]: reason for reason in results[SMM]["reasons"]}
    assert smm["linked_from"]["contribution"] == 2.0
    # both seeds link to social-media and word-of-mouth-marketing: bibliographic coupling
    assert set(smm["coupling"]["via"]) >= {"social-media", "word-of-mouth-marketing"}
    # both articles share the two keywords, each held by 2 concepts: 2 x 1/log2(3)
    assert math.isclose(smm["shared_keywords"]["contribution"], 2 / math.log2(3), abs_tol=1e-3)
    sales = {reason["reason"] for reason in results["sales-lead"]["reasons"]}
    assert "links_to" in sales
    assert body["weights"]["links_to"] == 3.0 and "log2" in body["formula"]


def test_related_co_citation(rest_client):
    body = _get(rest_client, "/api/concepts/social-media/related?limit=50")
    results = {r["slug"]: {x["reason"]: x for x in r["reasons"]} for r in body["results"]}
    # word-of-mouth-marketing is linked from the same two articles as social-media
    assert set(results["word-of-mouth-marketing"]["co_citation"]["via"]) == {SMM, "viral-marketing"}
    assert "social-media" not in results


def test_related_limit_and_errors(rest_client):
    assert len(_get(rest_client, "/api/concepts/viral-marketing/related?limit=2")["results"]) == 2
    _bad(rest_client, "/api/concepts/viral-marketing/related?limit=101", "limit")
    assert rest_client.get("/api/concepts/nothing-like-it/related").status_code == 404


# ------------------------------------------------------------------------------ path


def test_path_between_seed_concepts(rest_client):
    direct = _get(rest_client, f"/api/path?from={SMM}&to=viral-marketing")
    assert direct["found"] and direct["length"] == 1
    assert [n["slug"] for n in direct["paths"][0]] == [SMM, "viral-marketing"]
    none = _get(rest_client, f"/api/path?from=viral-marketing&to={SMM}")
    assert none["found"] is False and none["paths"] == [] and none["length"] is None
    undirected = _get(rest_client, "/api/path?from=sales-lead&to=big-data&direction=both")
    assert undirected["length"] == 3
    assert [n["slug"] for n in undirected["paths"][0]] == ["sales-lead", "viral-marketing", SMM, "big-data"]
    short = _get(rest_client, "/api/path?from=sales-lead&to=big-data&direction=both&max=2")
    assert short["found"] is False
    same = _get(rest_client, "/api/path?from=big-data&to=big-data")
    assert same["length"] == 0


def test_path_finds_all_shortest_paths(rest_client):
    body = _get(rest_client, "/api/path?from=social-media&to=word-of-mouth-marketing&direction=both")
    assert body["length"] == 2
    middles = sorted(p[1]["slug"] for p in body["paths"])
    assert middles == [SMM, "viral-marketing"]


def test_path_errors(rest_client):
    _bad(rest_client, "/api/path?to=big-data", "from")
    _bad(rest_client, "/api/path?from=big-data", "to")
    _bad(rest_client, "/api/path?from=big-data&to=btoc&max=7", "max")
    _bad(rest_client, "/api/path?from=big-data&to=btoc&direction=in", "direction")
    response = rest_client.get("/api/path?from=big-dta&to=btoc")
    assert response.status_code == 404
    body = response.get_json(force=True)
    assert body["parameter"] == "from" and body["suggestions"][0]["slug"] == "big-data"


def test_path_accepts_alias_spelling(rest_client):
    body = _get(rest_client, f"/api/path?from={SMM}&to=customer_relation_management")
    assert body["to"]["slug"] == "customer-relation-management" and body["length"] == 1


# ------------------------------------------------------------------------------ generated corpus


def test_corpus_neighbours_related_and_paths(rest_corpus_app):
    client = rest_corpus_app.test_client()
    items = client.get("/api/concepts?kind=article&limit=30").get_json()["items"]
    for item in items:
        slug = item["slug"]
        body = _get(client, f"/api/concepts/{slug}/neighbours?direction=out")
        detail = _get(client, f"/api/concepts/{slug}")
        assert {n["slug"] for n in body["nodes"]} - {slug} == {link["slug"] for link in detail["links_out"]}
        related = _get(client, f"/api/concepts/{slug}/related?limit=5")["results"]
        assert related and all(r["slug"] != slug for r in related)
        first_target = detail["links_out"][0]["slug"]
        path = _get(client, f"/api/path?from={slug}&to={first_target}")
        assert path["length"] == 1
    deep = _get(client, f"/api/concepts/{items[0]['slug']}/neighbours?depth=3&limit=500")
    assert max(n["distance"] for n in deep["nodes"]) <= 3
    ids = {n["id"] for n in deep["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in deep["edges"])


def test_the_worst_neighbourhood_is_bounded_by_its_caps(rest_corpus_app):
    """Every relation, both ways, three hops, the largest limit: at most limit nodes and 2 x limit edges."""
    client = rest_corpus_app.test_client()
    hub = max((item["slug"] for item in _get(client, "/api/concepts?limit=500")["items"]),
              key=lambda slug: len(_get(client, f"/api/concepts/{slug}/neighbours?depth=1")["nodes"]))
    worst = _get(client, f"/api/concepts/{hub}/neighbours?depth=3&direction=both&limit=500"
                         "&relation=linksTo,hasKeyword,definesTerm,definedIn,mentions")
    assert len(worst["nodes"]) == 500 and len(worst["edges"]) == 1000 and worst["truncated"] is True
    ids = {n["id"] for n in worst["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in worst["edges"])


def test_corpus_related_scores_follow_the_formula(rest_corpus_app):
    """On a generated corpus, every related score equals the documented formula, and none better is left out."""
    idx = rest_corpus_app.extensions["mkg"].graph.model  # the read model the answers come from
    client = rest_corpus_app.test_client()

    def formula(c: str, d: str) -> float:
        score = 3.0 * (d in idx.link_targets(c)) + 2.0 * (c in idx.link_targets(d))
        for k in set(idx.concepts[c].keywords) & set(idx.concepts[d].keywords):
            score += 1 / math.log2(1 + len(idx.keyword_concepts[k]))
        for a in set(idx.link_sources(c)) & set(idx.link_sources(d)):
            score += 1.5 / math.log2(1 + len(set(idx.link_targets(a))))
        for t in set(idx.link_targets(c)) & set(idx.link_targets(d)):
            score += 1 / math.log2(1 + len(set(idx.link_sources(t))))
        return score

    slugs = idx.sorted_slugs
    for slug in slugs[:: len(slugs) // 12][:12]:
        results = _get(client, f"/api/concepts/{slug}/related?limit=100")["results"]
        assert results
        for result in results:
            assert math.isclose(result["score"], formula(slug, result["slug"]), abs_tol=1e-3)
            assert all(len(reason["via"]) <= 20 for reason in result["reasons"])
        best = sorted((formula(slug, other) for other in slugs if other != slug), reverse=True)[:len(results)]
        assert all(math.isclose(r["score"], b, abs_tol=1e-3) for r, b in zip(results, best, strict=True))
