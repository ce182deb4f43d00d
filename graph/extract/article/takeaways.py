"""Extract an article's key take-aways: the bullet list under its highlights heading.

Usage::

    takeaway_items(article)   # ['بمجرد أن ينتشر شيء ما ، ...', ...]
    # concept mkg:takeaway ( "..."@ar "..."@ar ) with list nodes <article#takeaways-1>, -2, ...

A highlights heading is any heading whose text equals (after match_key: diacritics, alef forms,
definite article, case and a trailing colon ignored) one of HEADINGS. Its items are the list
items after it, outside block quotes, up to the next heading of the same or a higher level;
several such headings feed one list. The list nodes are IRIs, not blank nodes, so the output
is deterministic; every item is tagged @ar (the articles are Arabic; the shapes require it).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from graph.extract.context import ExtractionContext, Triple, lang_literal
from graph.parse.content import Article, Block
from graph.pipeline.resolve import match_key
from graph.vocab import RDF

_FIRST, _REST, _NIL = RDF.first, RDF.rest, RDF.nil

HEADINGS = ("يسلط الضوء", "النقاط الرئيسية", "أهم النقاط", "الوجبات الرئيسية", "الخلاصات الرئيسية",
            "Key Takeaways", "Takeaways", "Highlights", "Key Points")
_KEYS = frozenset(match_key(h) for h in HEADINGS)


@lru_cache(maxsize=4096)
def heading_key(text: str) -> str:
    """Return the match_key of a short heading (without a trailing colon); '' for long ones."""
    return match_key(text.rstrip(":：")) if len(text) <= 60 else ""


def section_blocks(article: Article, keys: frozenset[str]) -> Iterator[list[Block]]:
    """Yield, per heading whose match_key is in `keys`, the blocks under it (outside quotes)."""
    blocks = article.blocks
    for index, block in enumerate(blocks):
        if block.kind != "heading" or block.quote or heading_key(block.text) not in keys:
            continue
        under: list[Block] = []
        for following in blocks[index + 1 :]:
            if following.kind == "heading" and following.level <= block.level:
                break
            if following.kind != "heading" and not following.quote and following.text:
                under.append(following)
        yield under


def takeaway_items(article: Article) -> list[str]:
    """Return the take-away texts of the article, in order."""
    return [b.text for under in section_blocks(article, _KEYS) for b in under if b.kind == "list_item"]


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield concept mkg:takeaway, an rdf:List of @ar literals whose nodes are <article#takeaways-N>."""
    items = takeaway_items(article)
    if not items:
        return
    vocab = context.vocab
    nodes = [vocab.part(article.slug, "takeaways", n) for n in range(1, len(items) + 1)]
    yield vocab.concept(article.slug), vocab.MKG.takeaway, nodes[0]
    for position, (node, item) in enumerate(zip(nodes, items, strict=True)):
        yield node, _FIRST, lang_literal(item, "ar")
        yield node, _REST, nodes[position + 1] if position + 1 < len(nodes) else _NIL
