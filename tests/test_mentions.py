"""Mentioned organisations: Latin-script proper names in the Arabic text, with a precision floor.

Hand-checked on the two seeds (every Latin-script word of both articles was read):
  organisations / platforms / brands named in Latin script:
    viral: YouTube, Twitter, Instagram, Snapchat, Facebook, Hotmail, ALS (جمعية ALS, the ALS Association)
    smm:   MySpace, YouTube, Facebook, Twitter, Instagram, Hootsuite, Sprout Social
  Latin-script words that are NOT organisations and must not be detected:
    abbreviations SMM, CRM, ROI, eWOM, 3Vs, B-to-C; the campaign "ALS Ice Bucket Challenge"
    (and its truncated form "ALS Ice Bucket"); the link anchor "توصيات eWOM".
  Not detectable by this rule (Arabic script): برجر كينج / برجر كنج (Burger King), ماكدونالدز.
Measured: 14 detections (7 + 7), 14 true -> precision 1.0; recall over Latin-script names 1.0.
"""

from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import RDF

from graph.extract.mentions import mentions
from graph.pipeline.resolve import ConceptIndex
from graph.vocab import SCHEMA, Vocabulary
from tests.conftest import article_text

V = Vocabulary()
MKG = V.MKG

TRUE_ORGANISATIONS = {"YouTube", "Twitter", "Instagram", "Snapchat", "Facebook", "Hotmail", "ALS", "MySpace",
                      "Hootsuite", "Sprout Social"}
EXPECTED = {
    "viral-marketing": ["YouTube", "Twitter", "Instagram", "Snapchat", "Facebook", "Hotmail", "ALS"],
    "social-media-marketing-smm": ["MySpace", "YouTube", "Facebook", "Twitter", "Instagram", "Hootsuite",
                                   "Sprout Social"],
}
PRECISION_FLOOR = 0.9


def test_seed_mentions_and_precision(seed_articles):
    articles, _ = seed_articles
    index = ConceptIndex.build(list(articles.values()))
    detected = {slug: mentions(article, index) for slug, article in articles.items()}
    assert detected == EXPECTED
    found = [name for names in detected.values() for name in names]
    precision = sum(name in TRUE_ORGANISATIONS for name in found) / len(found)
    recall = len(TRUE_ORGANISATIONS & set(found)) / len(TRUE_ORGANISATIONS)
    assert precision >= PRECISION_FLOOR, precision
    assert recall == 1.0


def test_seed_organisation_nodes(seed_graph):
    orgs = set(seed_graph.subjects(RDF.type, SCHEMA.Organization))
    assert {str(seed_graph.value(o, SCHEMA.name)) for o in orgs} == TRUE_ORGANISATIONS
    sprout = V.organization("sprout-social")
    assert seed_graph.value(sprout, SCHEMA.name) == Literal("Sprout Social")
    assert seed_graph.value(sprout, MKG.slug) == Literal("sprout-social")
    assert (V.concept("social-media-marketing-smm"), SCHEMA.mentions, sprout) in seed_graph
    assert (V.concept("viral-marketing"), SCHEMA.mentions, V.organization("youtube")) in seed_graph
    assert (V.concept("viral-marketing"), SCHEMA.mentions, V.organization("sprout-social")) not in seed_graph


def test_abbreviations_events_and_anchors_are_not_mentions(write_article, extract_graph):
    write_article("a.md", article_text(title="أ", body=(
        "تستخدم شركة CRM و SMM و ROI (عائد الاستثمار). انظر [Facebook Ads](/facebook-ads) و Google و Google Ads.\n\n"
        "The Coca Cola Company و World Cup و Bank of America و eBay و Super Bowl Day.\n")))
    _, index, _ = extract_graph()
    assert mentions(index.articles["a"], index) == [
        "CRM", "Google", "Google Ads", "Coca Cola Company", "Bank of America", "eBay"]


def test_known_abbreviation_is_never_a_mention(write_article, extract_graph):
    write_article("a.md", article_text(title="إدارة علاقات العملاء (CRM)", body="تقدم شركة CRM أدوات.\n"))
    _, index, _ = extract_graph()
    assert mentions(index.articles["a"], index) == []


def test_one_name_per_organisation_most_used_spelling(write_article, extract_graph):
    write_article("a.md", article_text(title="أ", body="على YouTube و Youtube.\n"))
    write_article("b.md", article_text(title="ب", body="على YouTube.\n"))
    graph, _, _ = extract_graph()
    assert list(graph.objects(V.organization("youtube"), SCHEMA.name)) == [Literal("YouTube")]
