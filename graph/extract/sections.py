"""Extract the `##` outline of an article: section names in reading order."""

from __future__ import annotations

from collections.abc import Iterator

from graph.content import Article
from graph.extract.context import ExtractionContext, Triple, plain_literal, text_literal
from graph.vocab import RDF, SCHEMA

_TYPE, _NAME = RDF.type, SCHEMA.name


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield one mkg:Section per `##` heading with its name, position and source line."""
    vocab = context.vocab
    mkg = vocab.MKG
    page = vocab.article(article.slug)
    for block in article.sections():
        section = vocab.part(article.slug, "section", block.section)
        yield page, mkg.section, section
        yield section, _TYPE, mkg.Section
        yield section, _NAME, text_literal(block.text)
        yield section, mkg.position, plain_literal(block.section)
        yield section, mkg.sourceLine, plain_literal(block.line)
