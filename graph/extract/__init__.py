"""One extractor per kind of fact: each turns an Article into triples with the same signature.

Usage::

    context = ExtractionContext(vocab, index)
    for extractor in ARTICLE_EXTRACTORS:
        triples.extend(extractor(article, context))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.term import Node

from graph.arabic import is_arabic
from graph.content import Article, Problem
from graph.resolve import ConceptIndex
from graph.vocab import Vocabulary

Triple = tuple[Node, Node, Node]


@dataclass
class ExtractionContext:
    """What every extractor may read: the vocabulary and the corpus-wide concept index."""

    vocab: Vocabulary
    index: ConceptIndex
    problems: list[Problem] = field(default_factory=list)
    memo: dict[str, dict] = field(default_factory=dict)  # per-run results extractors share, by name


ArticleExtractor = Callable[[Article, ExtractionContext], Iterable[Triple]]
CorpusExtractor = Callable[[ExtractionContext], Iterable[Triple]]


def text_literal(text: str) -> Literal:
    """Return `text` as a literal tagged @ar when it holds Arabic letters, else @en."""
    return Literal(text, lang="ar" if is_arabic(text) else "en")


def concept_of(article: Article, context: ExtractionContext) -> URIRef:
    return context.vocab.concept(article.slug)


def _registry() -> tuple[tuple[ArticleExtractor, ...], tuple[CorpusExtractor, ...]]:
    from graph.extract import (
        abbreviations,
        concept,
        faq,
        figures,
        keywords,
        links,
        mentions,
        redlinks,
        scheme,
        sections,
        summary,
        takeaways,
        terms,
    )

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
