"""Extract front-matter keywords as keyword concepts linked from the article's concept."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from graph.extract.context import ExtractionContext, Triple, lang_literal, plain_literal
from graph.parse.content import Article
from graph.vocab import RDF, SKOS, canonical_slug

_TYPE, _SKOS_CONCEPT, _IN_SCHEME, _PREF_LABEL = RDF.type, SKOS.Concept, SKOS.inScheme, SKOS.prefLabel
_slug = lru_cache(maxsize=1 << 16)(canonical_slug)  # the same few keywords on every article


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield mkg:hasKeyword from the concept to each keyword, and each keyword's own facts."""
    vocab = context.vocab
    mkg = vocab.MKG
    concept = vocab.concept(article.slug)
    for name in article.keywords:
        slug = _slug(name)
        if not slug:
            continue
        keyword = vocab.keyword(slug)
        yield concept, mkg.hasKeyword, keyword
        yield keyword, _TYPE, mkg.Keyword
        yield keyword, _TYPE, _SKOS_CONCEPT
        yield keyword, _IN_SCHEME, vocab.keyword_scheme
        yield keyword, _PREF_LABEL, lang_literal(context.index.keyword_label(slug, name), "en")
        yield keyword, mkg.slug, plain_literal(slug)
