"""Extract `[anchor](/slug)` links: concept-to-concept hyperlinks and each occurrence with its anchor."""

from __future__ import annotations

from collections.abc import Iterator

from rdflib import Literal

from graph.content import Article
from graph.extract import ExtractionContext, Triple, text_literal
from graph.vocab import RDF


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield mkg:linksTo per target and one mkg:Link node per occurrence (anchor, line, section)."""
    vocab = context.vocab
    mkg = vocab.MKG
    source = vocab.concept(article.slug)
    page = vocab.article(article.slug)
    for position, link in enumerate(article.links, start=1):
        target = vocab.concept(link.target)
        node = vocab.part(article.slug, "link", position)
        yield source, mkg.linksTo, target
        yield page, mkg.link, node
        yield node, RDF.type, mkg.Link
        yield node, mkg.linkSource, source
        yield node, mkg.linkTarget, target
        if link.anchor:
            yield node, mkg.anchorText, text_literal(link.anchor)
        yield node, mkg.sourceLine, Literal(link.line)
        yield node, mkg.position, Literal(position)
        if link.section:
            yield node, mkg.inSection, vocab.part(article.slug, "section", link.section)
