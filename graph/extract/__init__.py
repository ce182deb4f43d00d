"""One extractor per kind of fact: each turns an Article into triples with the same signature.

Usage::

    context = ExtractionContext(vocab, index)
    for extractor in ARTICLE_EXTRACTORS:
        triples.extend(extractor(article, context))
"""

from __future__ import annotations

from graph.extract import abbreviations, concept, keywords, links, mentions, redlinks, scheme
from graph.extract.article import faq, figures, sections, summary, takeaways, terms
from graph.extract.context import (
    ArticleExtractor,
    CorpusExtractor,
    ExtractionContext,
    Triple,
    cached_text_literal,
    concept_of,
    lang_literal,
    plain_literal,
    text_literal,
)

__all__ = ["ArticleExtractor", "CorpusExtractor", "ExtractionContext", "Triple", "cached_text_literal", "concept_of",
           "extractors", "lang_literal", "plain_literal", "split_extractors", "text_literal"]


def _registry() -> tuple[tuple[ArticleExtractor, ...], tuple[CorpusExtractor, ...]]:
    article_extractors: list[ArticleExtractor] = [
        concept.extract,
        keywords.extract,
        sections.extract,
        links.extract,
        faq.extract,
        takeaways.extract,
        summary.extract,
        figures.extract,
        terms.extract,
        mentions.extract,
    ]
    corpus_extractors: list[CorpusExtractor] = [
        scheme.extract,
        redlinks.extract,
        abbreviations.extract,
        mentions.extract_names,
    ]
    return tuple(article_extractors), tuple(corpus_extractors)


def extractors() -> tuple[tuple[ArticleExtractor, ...], tuple[CorpusExtractor, ...]]:
    """Return (per-article extractors, corpus-wide extractors), in the order they run."""
    return _registry()


VOCABULARY_ONLY = frozenset({"sections", "links", "takeaways", "summary", "figures"})
"""The article extractors that read only the vocabulary, never the concept index or shared memo."""


def split_extractors() -> tuple[tuple[ArticleExtractor, ...], tuple[ArticleExtractor, ...]]:
    """Return (article extractors in VOCABULARY_ONLY, the others): the first can run before the index exists."""
    article_extractors, _ = _registry()
    first = tuple(e for e in article_extractors if e.__module__.rsplit(".", 1)[-1] in VOCABULARY_ONLY)
    return first, tuple(e for e in article_extractors if e not in first)
