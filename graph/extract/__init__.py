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


ArticleExtractor = Callable[[Article, ExtractionContext], Iterable[Triple]]
CorpusExtractor = Callable[[ExtractionContext], Iterable[Triple]]


def text_literal(text: str) -> Literal:
    """Return `text` as a literal tagged @ar when it holds Arabic letters, else @en."""
    return Literal(text, lang="ar" if is_arabic(text) else "en")


def concept_of(article: Article, context: ExtractionContext) -> URIRef:
    return context.vocab.concept(article.slug)


def _registry() -> tuple[tuple[ArticleExtractor, ...], tuple[CorpusExtractor, ...]]:
    from graph.extract import concept, keywords, links, redlinks, scheme, sections

    article_extractors: list[ArticleExtractor] = [
        concept.extract,
        keywords.extract,
        sections.extract,
        links.extract,
    ]
    corpus_extractors: list[CorpusExtractor] = [scheme.extract, redlinks.extract]
    return tuple(article_extractors), tuple(corpus_extractors)


def extractors() -> tuple[tuple[ArticleExtractor, ...], tuple[CorpusExtractor, ...]]:
    """Return (per-article extractors, corpus-wide extractors), in the order they run."""
    return _registry()
