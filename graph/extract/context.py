"""What every extractor shares: the extraction context, the triple type, and fast literal constructors.

Usage::

    context = ExtractionContext(vocab, index)
    text_literal("التسويق")        # Literal('التسويق', lang='ar')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import Literal, URIRef
from rdflib.term import Node

from graph.arabic import is_arabic
from graph.parse.content import Article, Problem
from graph.pipeline.resolve import ConceptIndex
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
    """Return the IRI of an article's concept."""
    return context.vocab.concept(article.slug)
