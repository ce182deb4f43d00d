"""Extract the `##` outline of an article: section names in reading order."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Literal

from graph.content import Article
from graph.extract import ExtractionContext, Triple, text_literal
from graph.vocab import RDF, SCHEMA


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield one mkg:Section per `##` heading with its name, position and source line."""
    vocab = context.vocab
    mkg = vocab.MKG
    page = vocab.article(article.slug)
    for block in article.sections():
        section = vocab.part(article.slug, "section", block.section)
        yield page, mkg.section, section
        yield section, RDF.type, mkg.Section
        yield section, SCHEMA.name, text_literal(block.text)
        yield section, mkg.position, Literal(block.section)
        yield section, mkg.sourceLine, Literal(block.line)
