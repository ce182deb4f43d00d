"""REST keywords, statistics and the SHACL validation report."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import URIRef
from rdflib.namespace import RDF

from tests.conftest import REST_CORPUS_ARTICLES

SMM = "social-media-marketing-smm"
MKG = "https://marketing-kg.example/ontology#"


def test_keywords_with_counts(rest_client):
    body = rest_client.get("/api/keywords").get_json()
    assert body["total"] == 2
    counts = {k["slug"]: k["concept_count"] for k in body["items"]}
    assert counts == {"business": 2, "marketing-essentials": 2}
    assert body["items"][0]["label"] == {"value": "Business", "lang": "en"}
    assert body["items"][0]["href"] == "/api/keywords/business"


def test_keyword_detail_and_paging(rest_client):
    body = rest_client.get("/api/keywords/business").get_json()
    assert body["slug"] == "business" and body["concept_count"] == 2
    assert [c["slug"] for c in body["concepts"]] == [SMM, "viral-marketing"]
    page = rest_client.get("/api/keywords/business?limit=1&offset=1").get_json()
    assert [c["slug"] for c in page["concepts"]] == ["viral-marketing"] and "prev" in page["links"]


def test_keyword_redirect_404_and_400(rest_client):
    response = rest_client.get("/api/keywords/Marketing_Essentials")
    assert response.status_code == 301 and response.headers["Location"].endswith("/api/keywords/marketing-essentials")
    missing = rest_client.get("/api/keywords/busines")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert missing.get_json(force=True)["suggestions"][0]["slug"] == "business"
    bad = rest_client.get("/api/keywords?limit=-5")
    assert bad.status_code == 400 and bad.get_json(force=True)["parameter"] == "limit"


def test_keyword_as_turtle(rest_client):
    response = rest_client.get("/api/keywords/business", headers={"Accept": "text/turtle"})
    assert response.mimetype == "text/turtle"
    triples = list(ox.parse(response.data, format=ox.RdfFormat.TURTLE))
    assert sum(1 for t in triples if t.predicate.value == MKG + "hasKeyword") == 2


def test_stats_counts(rest_client, seed_graph):
    body = rest_client.get("/api/stats").get_json()
    concepts = set(seed_graph.subjects(RDF.type, URIRef(MKG + "Concept")))
    assert body["concepts"] == len(concepts)
    assert sum(body["kinds"].values()) == len(concepts) and body["kinds"]["article"] == 2
    assert body["keywords"] == 2
    assert body["links"] == len(set(seed_graph.subjects(RDF.type, URIRef(MKG + "Link"))))
    assert "sales-lead" in body["red_links"]["slugs"] and body["red_links"]["count"] >= 11
    assert body["orphans"]["slugs"] == [SMM]  # nothing links to the social-media article
    assert body["version"] == rest_client.get("/ready").get_json()["version"]
    assert body["triples"] == len(seed_graph)


def test_validation_report_json_and_turtle(rest_client):
    response = rest_client.get("/api/validation")
    assert response.status_code == 200
    body = response.get_json()
    assert body["conforms"] is True and body["counts"]["Violation"] == 0
    assert any(r["source"] == f"{SMM}.md" for r in body["results"])
    again = rest_client.get("/api/validation", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    turtle = rest_client.get("/api/validation", headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle"
    triples = list(ox.parse(turtle.data, format=ox.RdfFormat.TURTLE))
    assert any(t.object.value == "http://www.w3.org/ns/shacl#ValidationReport" for t in triples)


def test_validation_is_computed_once_per_version(rest_client, monkeypatch):
    import graph.pipeline.validate

    rest_client.get("/api/validation")

    def fail(*args, **kwargs):
        raise AssertionError("validated twice")

    monkeypatch.setattr(graph.pipeline.validate, "validate_graph", fail)
    assert rest_client.get("/api/validation").status_code == 200


@pytest.mark.parametrize("url", ["/api/stats", "/api/keywords", "/api/keywords/business"])
def test_cache_headers(rest_client, url):
    response = rest_client.get(url)
    assert response.headers["ETag"] and "max-age" in response.headers["Cache-Control"]
    assert rest_client.get(url, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_corpus_keywords_and_stats(rest_corpus_app):
    client = rest_corpus_app.test_client()
    stats = client.get("/api/stats").get_json()
    assert stats["kinds"]["article"] == REST_CORPUS_ARTICLES
    keywords = client.get("/api/keywords?limit=500").get_json()
    assert keywords["total"] == stats["keywords"] > 5
    for item in keywords["items"][:10]:
        detail = client.get(f"/api/keywords/{item['slug']}?limit=500").get_json()
        assert detail["concept_count"] == item["concept_count"] == len(detail["concepts"])
        listed = client.get(f"/api/concepts?keyword={item['slug']}&limit=500").get_json()
        assert listed["total"] == item["concept_count"]
