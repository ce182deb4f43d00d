"""Extract `[anchor](/slug)` links: concept-to-concept hyperlinks and each occurrence with its anchor."""

from __future__ import annotations

from collections.abc import Iterator

from graph.extract.context import ExtractionContext, Triple, cached_text_literal, plain_literal
from graph.parse.content import Article
from graph.vocab import RDF

_TYPE = RDF.type


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield mkg:linksTo per target and one mkg:Link node per occurrence (anchor, line, section)."""
    vocab = context.vocab
    mkg = vocab.MKG
    source = vocab.concept(article.slug)
    page = vocab.article(article.slug)
    links_to, link_, link_class, link_source, link_target = mkg.linksTo, mkg.link, mkg.Link, mkg.linkSource, mkg.linkTarget
    anchor_text, source_line, position_, in_section = mkg.anchorText, mkg.sourceLine, mkg.position, mkg.inSection
    sections: dict[int, object] = {}
    for position, link in enumerate(article.links, start=1):
        target = vocab.concept(link.target)
        node = vocab.part(article.slug, "link", position)
        yield source, links_to, target
        yield page, link_, node
        yield node, _TYPE, link_class
        yield node, link_source, source
        yield node, link_target, target
        if link.anchor:
            yield node, anchor_text, cached_text_literal(link.anchor)
        yield node, source_line, plain_literal(link.line)
        yield node, position_, plain_literal(position)
        if link.section:
            section = sections.get(link.section)
            if section is None:
                section = sections[link.section] = vocab.part(article.slug, "section", link.section)
            yield node, in_section, section
