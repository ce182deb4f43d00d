"""Linked Data: /concept/{slug}, /keyword/{slug} and /ontology negotiate HTML and RDF (Flask test client)."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS

from graph.vocab import SCHEMA, Vocabulary

V = Vocabulary()
VIRAL = V.concept("viral-marketing")
PARSERS = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
           "application/rdf+xml": "xml"}


@pytest.fixture(scope="module")
def client(seed_build, make_client):
    _, out = seed_build
    return make_client(graph_file=out / "graph.nt")


def parse(response) -> Graph:
    return Graph().parse(data=response.data, format=PARSERS[response.mimetype])


@pytest.mark.parametrize("media_type", list(PARSERS))
def test_concept_rdf_in_every_format_is_its_bounded_description(client, media_type):
    response = client.get("/concept/viral-marketing", headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert "Accept" in response.headers["Vary"]
    graph = parse(response)
    assert (VIRAL, SKOS.prefLabel, Literal("التسويق الفيروسي", lang="ar")) in graph
    assert (VIRAL, V.MKG.linksTo, V.concept("social-media")) in graph
    article = V.article("viral-marketing")
    faq = [q for q in graph.objects(article, URIRef("https://schema.org/mainEntity"))]
    assert len(faq) == 7 and all((q, URIRef("https://schema.org/acceptedAnswer"), None) in graph for q in faq)
    # labels of what it links to, but not the other concept's own description
    assert (V.concept("social-media"), SKOS.prefLabel, None) in graph
    assert (V.concept("social-media"), V.MKG.hasArticle, None) not in graph
    subjects = {str(s) for s in graph.subjects()}
    # of another article, only its definition of this concept (mkg:hasTermDefinition), never its own facts
    definition = V.part("social-media-marketing-smm", "definition", 8)
    assert {s for s in subjects if s.startswith(str(V.article("social-media-marketing-smm")))} == {str(definition)}
    assert (definition, V.MKG.definitionOf, VIRAL) in graph and (VIRAL, V.MKG.hasTermDefinition, definition) in graph


def test_concept_rdf_equals_the_store_description(client, seed_build):
    _, out = seed_build
    store = ox.Store()
    store.load(path=str(out / "graph.nt"), format=ox.RdfFormat.N_TRIPLES)
    response = client.get("/concept/viral-marketing", headers={"Accept": "application/n-triples"})
    served = {ox.Triple(q.subject, q.predicate, q.object)
              for q in ox.parse(response.data, format=ox.RdfFormat.N_TRIPLES)}
    direct = set(store.quads_for_pattern(ox.NamedNode(str(VIRAL)), None, None))
    assert {ox.Triple(q.subject, q.predicate, q.object) for q in direct} <= served
    assert len(served) > len(direct)


def test_browser_gets_the_page_and_curl_gets_turtle(client):
    browser = client.get("/concept/viral-marketing", headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert browser.mimetype == "text/html"
    assert '<html lang="ar" dir="rtl">' in browser.get_data(as_text=True)
    assert client.get("/concept/viral-marketing", headers={"Accept": "*/*"}).mimetype == "text/turtle"
    assert client.get("/concept/viral-marketing").mimetype == "text/turtle"
    assert client.get("/concept/viral-marketing?format=jsonld",
                      headers={"Accept": "text/html"}).mimetype == "application/ld+json"


def test_other_slug_spelling_redirects_permanently(client):
    response = client.get("/concept/Viral_Marketing?format=turtle")
    assert response.status_code == 301
    assert response.headers["Location"] == "/concept/viral-marketing?format=turtle"
    keyword = client.get("/keyword/Marketing_Essentials", headers={"Accept": "text/turtle"})
    assert keyword.status_code == 301 and keyword.headers["Location"] == "/keyword/marketing-essentials"


def test_unknown_slug_is_a_404_page_for_browsers_and_a_problem_otherwise(client):
    page = client.get("/concept/viral-marketin", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert 'href="/concept/viral-marketing"' in page.get_data(as_text=True)
    for accept in ("text/turtle", "application/json", "image/png"):
        problem = client.get("/concept/viral-marketin", headers={"Accept": accept})
        assert problem.status_code == 404, accept
        assert problem.mimetype == "application/problem+json"
        assert problem.json["suggestions"][0]["slug"] == "viral-marketing"
    keyword = client.get("/keyword/nothing-here", headers={"Accept": "text/turtle"})
    assert keyword.status_code == 404 and keyword.mimetype == "application/problem+json"


def test_unacceptable_type_for_a_known_concept_is_406(client):
    response = client.get("/concept/viral-marketing", headers={"Accept": "image/png"})
    assert response.status_code == 406 and response.mimetype == "application/problem+json"
    assert client.get("/concept/viral-marketing?format=pdf").status_code == 406


def test_etag_gives_304(client):
    first = client.get("/concept/viral-marketing", headers={"Accept": "text/turtle"})
    again = client.get("/concept/viral-marketing", headers={"Accept": "text/turtle", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    other = client.get("/concept/viral-marketing", headers={"Accept": "application/ld+json"})
    assert other.headers["ETag"] != first.headers["ETag"]


def test_keyword_rdf_lists_its_concepts(client):
    response = client.get("/keyword/business", headers={"Accept": "application/ld+json"})
    assert response.status_code == 200
    json.loads(response.data)
    graph = parse(response)
    business = V.keyword("business")
    assert (business, RDF.type, V.MKG.Keyword) in graph
    members = {s for s in graph.subjects(V.MKG.hasKeyword, business)}
    assert members == {VIRAL, V.concept("social-media-marketing-smm")}
    assert (VIRAL, SKOS.prefLabel, Literal("التسويق الفيروسي", lang="ar")) in graph


def test_ontology_turtle_is_the_ontology_file_and_html_documents_it(client):
    from graph.export import ontology_files

    turtle = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert turtle.data == ontology_files(V)["ontology.ttl"]
    rdfxml = parse(client.get("/ontology", headers={"Accept": "application/rdf+xml"}))
    assert (V.MKG.linksTo, RDF.type, OWL.ObjectProperty) in rdfxml
    assert len(rdfxml) == len(Graph().parse(data=turtle.data, format="turtle"))
    html = client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    for term in ("Concept", "Keyword", "linksTo", "hasKeyword", "figureCaption"):
        assert f'id="{term}"' in html
    assert "owl:inverseOf" not in html and "inverse of" in html


def test_routes_work_by_slug_under_another_base_iri(seed_build, tmp_path, make_client):
    from graph.pipeline.build import build
    from tests.conftest import CONTENT

    base = "https://data.example.org/marketing/"
    out = tmp_path / "build"
    assert build(CONTENT, out, vocab=Vocabulary(base)).written
    client = make_client(graph_file=out / "graph.nt", base_iri=base)
    iri = base + "concept/viral-marketing"
    graph = parse(client.get("/concept/viral-marketing", headers={"Accept": "text/turtle"}))
    assert (URIRef(iri), SKOS.prefLabel, Literal("Viral Marketing", lang="en")) in graph
    page = client.get("/concept/viral-marketing", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'<a href="{iri}" class="canonical-iri"><code>{iri}</code></a>' in page
    ontology = client.get("/ontology", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert base + "ontology#linksTo" in ontology


def test_article_iri_is_a_303_to_its_concept(client):
    response = client.get("/article/viral-marketing?format=turtle")
    assert response.status_code == 303
    assert response.headers["Location"] == "/concept/viral-marketing?format=turtle"
    graph = parse(client.get(response.headers["Location"]))
    assert (V.article("viral-marketing"), URIRef("https://schema.org/about"), VIRAL) in graph
    assert client.get("/article/social-media", headers={"Accept": "text/turtle"}).status_code == 404  # a red link
    assert client.get("/article/no-such-thing").status_code == 404


def test_organization_iri_dereferences_to_who_mentions_it(client):
    facebook = V.organization("facebook")
    graph = parse(client.get("/organization/facebook", headers={"Accept": "text/turtle"}))
    assert (facebook, RDF.type, SCHEMA.Organization) in graph
    assert set(graph.subjects(SCHEMA.mentions, facebook)) == {VIRAL, V.concept("social-media-marketing-smm")}
    assert (VIRAL, SKOS.prefLabel, Literal("التسويق الفيروسي", lang="ar")) in graph
    page = client.get("/organization/facebook", headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="organization-title"' in html
    assert 'href="/concept/viral-marketing"' in html and 'href="/concept/social-media-marketing-smm"' in html
    # the concept page links its mentions here
    assert 'href="/organization/facebook"' in client.get("/concept/viral-marketing?format=html").get_data(as_text=True)
    moved = client.get("/organization/Facebook", headers={"Accept": "text/turtle"})
    assert moved.status_code == 301 and moved.headers["Location"] == "/organization/facebook"
    missing = client.get("/organization/faceboook", headers={"Accept": "text/turtle"})
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert "facebook" in missing.get_json()["suggestions"]


@pytest.mark.parametrize("path, shared", [
    ("/concept/viral-marketing", True), ("/organization/facebook", True), ("/ontology", True),
    ("/sparql", True), ("/api/stats", True), ("/", False), ("/static/app.css", False),
])
def test_other_sites_may_read_the_data_but_not_the_ui(client, path, shared):
    response = client.get(path, headers={"Origin": "https://glossary.example", "Accept": "text/turtle"})
    assert response.status_code in (200, 304, 406)
    assert (response.headers.get("Access-Control-Allow-Origin") in ("*", "https://glossary.example")) is shared


def test_the_link_header_of_an_arabic_slug_is_ascii(client):
    """gunicorn refuses a header that is not latin-1: the described IRI is sent as a URI (RFC 3987)."""
    arabic = "/concept/%D8%A7%D9%84%D8%A7%D8%AA%D8%B5%D8%A7%D9%84"
    response = client.get(arabic, headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.headers["Link"].isascii()
    assert response.headers["Link"].startswith("<https://marketing-kg.example" + arabic + ">")
