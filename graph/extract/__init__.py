"""One extractor per kind of fact: each turns an Article into triples with the same signature.

Usage::

    context = ExtractionContext(vocab, index)
    for extractor in ARTICLE_EXTRACTORS:
        triples.extend(extractor(article, context))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

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


_new_str = str.__new__


def lang_literal(text: str, lang: str) -> Literal:
    """Return Literal(text, lang=lang) for a plain str `text` and a valid tag, without the generic path.

    Literal.__new__ on (str, lang) sets exactly these slots; tests/test_build_speed_invariants.py
    checks the result against rdflib's own constructor.
    """
    if type(text) is not str:  # a Literal or another str subclass: rdflib's own rules apply
        return Literal(text, lang=lang)
    literal = _new_str(Literal, text)
    literal._language = lang
    literal._datatype = None
    literal._value = text
    literal._ill_typed = None
    return literal


def text_literal(text: str) -> Literal:
    """Return `text` as a literal tagged @ar when it holds Arabic letters, else @en."""
    return lang_literal(text, "ar" if is_arabic(text) else "en")


@lru_cache(maxsize=1 << 16)
def cached_text_literal(text: str) -> Literal:
    """text_literal for strings that repeat across a corpus (anchors, labels)."""
    return text_literal(text)


@lru_cache(maxsize=1 << 16, typed=True)
def plain_literal(value: str | int) -> Literal:
    """Return Literal(value), cached: slugs, positions and line numbers repeat."""
    return Literal(value)


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


VOCABULARY_ONLY = frozenset({"sections", "links", "takeaways", "summary", "figures"})
"""The article extractors that read only the vocabulary, never the concept index or shared memo."""


def split_extractors() -> tuple[tuple[ArticleExtractor, ...], tuple[ArticleExtractor, ...]]:
    """Return (article extractors in VOCABULARY_ONLY, the others): the first can run before the index exists."""
    article_extractors, _ = _registry()
    first = tuple(e for e in article_extractors if e.__module__.rsplit(".", 1)[-1] in VOCABULARY_ONLY)
    return first, tuple(e for e in article_extractors if e not in first)
