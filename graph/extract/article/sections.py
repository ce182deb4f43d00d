"""Extract an article's outline: every section heading, nested, in reading order.

Usage::

    for triple in extract(article, context): ...
    # <article#section-4> a mkg:Section ; schema:name "مقاييس التتبع"@ar ; mkg:headingLevel 3 ;
    #     mkg:subSectionOf <article#section-3> .   <article#section-3> schema:hasPart <article#section-4> .

The outline is decided while parsing (graph.parse.outline): every `##`-`######` heading outside a block
quote that is not an FAQ question; mkg:position is its order among all the article's sections.
"""

from __future__ import annotations

from collections.abc import Iterator

from graph.extract.context import ExtractionContext, Triple, plain_literal, text_literal
from graph.parse.content import Article
from graph.vocab import RDF, SCHEMA

_TYPE, _NAME, _HAS_PART = RDF.type, SCHEMA.name, SCHEMA.hasPart


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield one mkg:Section per section heading: name, position, level, source line and enclosing section."""
    vocab = context.vocab
    mkg = vocab.MKG
    page = vocab.article(article.slug)
    nodes = [vocab.part(article.slug, "section", s.position) for s in article.outline]
    for section, node in zip(article.outline, nodes, strict=True):
        yield page, mkg.section, node
        yield node, _TYPE, mkg.Section
        yield node, _NAME, text_literal(section.text)
        yield node, mkg.position, plain_literal(section.position)
        yield node, mkg.headingLevel, plain_literal(section.level)
        yield node, mkg.sourceLine, plain_literal(section.line)
        if section.parent:
            parent = nodes[section.parent - 1]
            yield node, mkg.subSectionOf, parent
            yield parent, _HAS_PART, node
