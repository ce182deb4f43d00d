"""Extract an article's summary: the text of its "bottom line" section as schema:abstract.

Usage::

    summary_text(article)   # 'التسويق الفيروسي هو أسلوب غير مكلف ...'

The section is the first heading whose text matches one of HEADINGS (match_key comparison);
its paragraphs and list items, outside block quotes, up to the next heading of the same or a
higher level, joined by a blank line.
"""

from __future__ import annotations

from collections.abc import Iterator

from graph.arabic import match_key
from graph.extract.article.takeaways import section_blocks
from graph.extract.context import ExtractionContext, Triple, text_literal
from graph.parse.content import Article
from graph.vocab import SCHEMA

_ABSTRACT = SCHEMA.abstract

HEADINGS = ("الخط السفلي", "الخلاصة", "خلاصة القول", "الخلاصة النهائية", "Bottom Line", "The Bottom Line")
_KEYS = frozenset(match_key(h) for h in HEADINGS)


def summary_text(article: Article) -> str:
    """Return the text of the article's first bottom-line section, or an empty string."""
    for under in section_blocks(article, _KEYS):
        text = "\n\n".join(b.text for b in under)
        if text:
            return text
    return ""


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield concept schema:abstract "<bottom line>"@ar when the article has one."""
    text = summary_text(article)
    if text:
        yield context.vocab.concept(article.slug), _ABSTRACT, text_literal(text)
