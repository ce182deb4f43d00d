"""REST concept API: /api/concepts list and /api/concepts/{slug} on the seed graph and a generated corpus."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from tests.conftest import REST_CORPUS_ARTICLES

SMM = "social-media-marketing-smm"


def _problem(response, status: int, parameter: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    if parameter:
        assert body["parameter"] == parameter
        assert parameter in body["detail"]
    return body


def test_concept_detail_has_labels_definition_keywords_and_source(rest_client):
    body = rest_client.get("/api/concepts/viral-marketing").get_json()
    assert body["iri"] == "https://marketing-kg.example/concept/viral-marketing"
    assert body["slug"] == "viral-marketing"
    assert body["kind"] == "article" and body["has_article"] is True
    assert body["labels"] == {"ar": "التسويق الفيروسي", "en": "Viral Marketing"}
    assert body["label"] == {"value": "التسويق الفيروسي", "lang": "ar"}
    assert body["definition"]["lang"] == "ar" and "التسويق الفيروسي" in body["definition"]["value"]
    assert [k["slug"] for k in body["keywords"]] == ["business", "marketing-essentials"]
    assert body["source"] == "viral-marketing.md"
    assert body["article"] == "https://marketing-kg.example/article/viral-marketing"


def test_concept_detail_links_out_and_backlinks_carry_anchors(rest_client):
    body = rest_client.get("/api/concepts/viral-marketing").get_json()
    out = {link["slug"]: link for link in body["links_out"]}
    assert set(out) == {"btoc", "marketing", "marketing-campaign", "sales-lead", "social-media",
                        "word-of-mouth-marketing"}
    assert out["sales-lead"]["anchors"][0]["text"] == "العميل المحتمل"
    assert out["sales-lead"]["anchors"][0]["line"] == 50
    assert out["sales-lead"]["kind"] == "redlink"
    backlinks = {link["slug"]: link for link in body["links_in"]}
    assert set(backlinks) == {SMM}
    assert backlinks[SMM]["anchors"][0]["text"] == "التسويق الفيروسي"


def test_concept_detail_reads_article_facts_generically(rest_client):
    facts = rest_client.get("/api/concepts/viral-marketing").get_json()["facts"]
    sections = facts["section"]
    assert [s["position"] for s in sections] == list(range(1, len(sections) + 1))
    assert sections[0]["name"] == {"value": "ما هو التسويق الفيروسي؟", "lang": "ar"}
    assert facts["headline"] == [{"value": "التسويق الفيروسي", "lang": "ar"}]
    for hidden in ("slug", "linksTo", "hasKeyword", "link", "prefLabel"):
        assert hidden not in facts


def test_concept_detail_names_the_article_facts(rest_client):
    body = rest_client.get("/api/concepts/viral-marketing").get_json()
    assert body["faq"] and all(q["question"]["value"].endswith(("؟", "?")) for q in body["faq"])
    assert all(q["answer"] and q["answer"]["value"] for q in body["faq"])
    assert len(body["takeaways"]) >= 3 and body["takeaways"][0]["lang"] == "ar"
    assert body["summary"] and body["summary"]["value"].startswith("التسويق الفيروسي")
    assert any("115" in f["value"]["value"] for f in body["key_figures"])
    assert [s["position"] for s in body["sections"]] == list(range(1, len(body["sections"]) + 1))
    assert "facebook" in {m["slug"] for m in body["mentions"]}
    smm = rest_client.get(f"/api/concepts/{SMM}").get_json()
    assert "viral-marketing" in {t["slug"] for t in smm["defined_terms"]}
    assert "SMM" in smm["abbreviations"]
    plain = rest_client.get("/api/concepts/big-data").get_json()
    assert plain["faq"] == [] and plain["summary"] is None and plain["sections"] == []


def test_redlink_concept_and_hidden_label(rest_client):
    body = rest_client.get("/api/concepts/word-of-mouth-marketing").get_json()
    assert body["kind"] == "redlink" and body["has_article"] is False
    assert {"value": "توصيات eWOM", "lang": "ar"} in body["hidden_labels"]
    assert {link["slug"] for link in body["links_in"]} == {SMM, "viral-marketing"}
    assert body["links_out"] == [] and body["source"] is None


def test_alias_spelling_redirects_permanently(rest_client):
    response = rest_client.get("/api/concepts/customer_relation_management?lang=en")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/api/concepts/customer-relation-management?lang=en")
    followed = rest_client.get("/api/concepts/customer_relation_management", follow_redirects=True).get_json()
    assert followed["slug"] == "customer-relation-management"
    assert "customer_relation_management" in followed["aliases"]
    assert rest_client.get("/api/concepts/Viral_Marketing").status_code == 301


def test_unknown_slug_is_404_problem_with_suggestions(rest_client):
    body = _problem(rest_client.get("/api/concepts/viral-marketting"), 404)
    assert body["type"].endswith("/concept-not-found")
    assert body["suggestions"][0]["slug"] == "viral-marketing"
    body = _problem(rest_client.get("/api/concepts/no-such-thing-at-all-xyz"), 404)
    assert isinstance(body["suggestions"], list)


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=abc", "limit=1&limit=2", "limit=1.5", "limit=%1E4"])
def test_bad_limit_is_400_naming_limit(rest_client, query):
    _problem(rest_client.get(f"/api/concepts?{query}"), 400, "limit")


@pytest.mark.parametrize(("query", "parameter"), [
    ("offset=-1", "offset"), ("kind=blue", "kind"), ("has_article=maybe", "has_article"), ("lang=a_b", "lang"),
])
def test_bad_list_parameters_are_400(rest_client, query, parameter):
    _problem(rest_client.get(f"/api/concepts?{query}"), 400, parameter)


def test_bad_lang_on_detail_is_400(rest_client):
    _problem(rest_client.get("/api/concepts/viral-marketing?lang=%27%3B"), 400, "lang")


def _concept_count(seed_graph) -> int:
    from rdflib import URIRef
    from rdflib.namespace import RDF

    return len(set(seed_graph.subjects(RDF.type, URIRef("https://marketing-kg.example/ontology#Concept"))))


def test_list_is_paged_stably_with_links(rest_client, seed_graph):
    total = _concept_count(seed_graph)
    first = rest_client.get("/api/concepts?limit=5").get_json()
    assert first["total"] == total and first["offset"] == 0 and len(first["items"]) == 5
    assert "prev" not in first["links"]
    slugs = [item["slug"] for item in first["items"]]
    assert slugs == sorted(slugs)
    seen = list(slugs)
    page = first
    while "next" in page["links"]:
        page = rest_client.get(page["links"]["next"]).get_json()
        seen += [item["slug"] for item in page["items"]]
    assert seen == sorted(seen) and len(seen) == total and len(set(seen)) == total
    assert "prev" in page["links"]


def test_list_filters(rest_client, seed_graph):
    total = _concept_count(seed_graph)
    articles = rest_client.get("/api/concepts?kind=article").get_json()
    assert [i["slug"] for i in articles["items"]] == [SMM, "viral-marketing"]
    assert rest_client.get("/api/concepts?has_article=true").get_json()["total"] == 2
    assert rest_client.get("/api/concepts?has_article=false").get_json()["total"] == total - 2
    redlinks = rest_client.get("/api/concepts?kind=redlink&limit=500").get_json()
    terms = rest_client.get("/api/concepts?kind=term&limit=500").get_json()
    assert redlinks["total"] + terms["total"] == total - 2
    assert {i["kind"] for i in redlinks["items"]} <= {"redlink"} and {i["kind"] for i in terms["items"]} <= {"term"}
    assert "sales-lead" in {i["slug"] for i in redlinks["items"]}
    by_keyword = rest_client.get("/api/concepts?keyword=business").get_json()
    assert [i["slug"] for i in by_keyword["items"]] == [SMM, "viral-marketing"]
    assert rest_client.get("/api/concepts?keyword=nothing-here").get_json()["total"] == 0


def test_label_language_from_lang_and_accept_language(rest_client):
    en = rest_client.get("/api/concepts/viral-marketing?lang=en").get_json()
    assert en["label"] == {"value": "Viral Marketing", "lang": "en"}
    header = rest_client.get("/api/concepts/viral-marketing", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert header.get_json()["label"]["lang"] == "en"
    assert "Accept-Language" in header.headers["Vary"]
    fallback = rest_client.get("/api/concepts/viral-marketing?lang=fr").get_json()
    assert fallback["label"]["lang"] == "ar"
    keyword = rest_client.get("/api/concepts/viral-marketing").get_json()["keywords"][0]
    assert keyword["label"] == {"value": "Business", "lang": "en"}  # only English exists: say so


def test_etag_cache_control_and_304(rest_client):
    response = rest_client.get("/api/concepts/viral-marketing")
    etag = response.headers["ETag"]
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    again = rest_client.get("/api/concepts/viral-marketing", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    other = rest_client.get("/api/concepts/viral-marketing?lang=en")
    assert other.headers["ETag"] != etag


def test_concept_as_turtle_and_jsonld(rest_client):
    turtle = rest_client.get("/api/concepts/viral-marketing", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
    triples = list(ox.parse(turtle.data, format=ox.RdfFormat.TURTLE))
    subjects = {t.subject.value for t in triples}
    assert "https://marketing-kg.example/concept/viral-marketing" in subjects
    assert any(s.endswith("viral-marketing#section-1") for s in subjects)
    assert not any(s.endswith("/concept/big-data") for s in subjects)  # bounded: not the whole graph
    assert len(triples) < 400
    jsonld = rest_client.get("/api/concepts/viral-marketing", headers={"Accept": "application/ld+json"})
    assert jsonld.mimetype == "application/ld+json"
    assert json.loads(jsonld.data)
    listing = rest_client.get("/api/concepts?limit=3", headers={"Accept": "application/n-triples"})
    assert listing.mimetype == "application/n-triples" and listing.data.count(b"\n") >= 3
    assert turtle.headers["ETag"] != rest_client.get("/api/concepts/viral-marketing").headers["ETag"]


def test_cors_on_api(rest_client):
    response = rest_client.get("/api/concepts/viral-marketing", headers={"Origin": "https://example.org"})
    assert response.headers.get("Access-Control-Allow-Origin") in ("*", "https://example.org")


def test_user_input_never_reaches_sparql_text(rest_client):
    evil = "x%22%20%7D%20DROP%20ALL%20%23"
    _problem(rest_client.get(f"/api/concepts/{evil}"), 404)
    assert rest_client.get("/api/concepts/viral-marketing").status_code == 200


# ------------------------------------------------------------------------------ generated corpus


def test_corpus_list_pages_through_every_concept(rest_corpus_app):
    client = rest_corpus_app.test_client()
    first = client.get("/api/concepts?limit=500").get_json()
    total = first["total"]
    assert total > REST_CORPUS_ARTICLES
    seen = [i["slug"] for i in first["items"]]
    page = first
    while "next" in page["links"]:
        page = client.get(page["links"]["next"]).get_json()
        seen += [i["slug"] for i in page["items"]]
    assert len(seen) == total == len(set(seen))
    articles = client.get("/api/concepts?kind=article&limit=1").get_json()["total"]
    redlinks = client.get("/api/concepts?kind=redlink&limit=1").get_json()["total"]
    terms = client.get("/api/concepts?kind=term&limit=1").get_json()["total"]
    assert articles == REST_CORPUS_ARTICLES and articles + redlinks + terms == total


def test_corpus_concept_details(rest_corpus_app):
    client = rest_corpus_app.test_client()
    slugs = [i["slug"] for i in client.get("/api/concepts?kind=article&limit=40").get_json()["items"]]
    for slug in slugs:
        body = client.get(f"/api/concepts/{slug}").get_json()
        assert body["slug"] == slug and body["has_article"] and body["source"].endswith(".md")
        assert body["links_out"], slug
        for link in body["links_out"]:
            assert link["anchors"], (slug, link["slug"])
        assert body["facts"].get("section"), slug


def test_a_limit_with_spaces_around_it_is_read(rest_client):
    assert rest_client.get("/api/concepts?limit=%202%20").get_json()["limit"] == 2
