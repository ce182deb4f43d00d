"""Extract front-matter keywords as keyword concepts linked from the article's concept."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Literal

from graph.content import Article
from graph.extract import ExtractionContext, Triple
from graph.vocab import RDF, SKOS, canonical_slug


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield mkg:hasKeyword from the concept to each keyword, and each keyword's own facts."""
    vocab = context.vocab
    mkg = vocab.MKG
    concept = vocab.concept(article.slug)
    for name in article.keywords:
        slug = canonical_slug(name)
        if not slug:
            continue
        keyword = vocab.keyword(slug)
        yield concept, mkg.hasKeyword, keyword
        yield keyword, RDF.type, mkg.Keyword
        yield keyword, RDF.type, SKOS.Concept
        yield keyword, SKOS.inScheme, vocab.keyword_scheme
        yield keyword, SKOS.prefLabel, Literal(context.index.keyword_label(slug, name), lang="en")
        yield keyword, mkg.slug, Literal(slug)
