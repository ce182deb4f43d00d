"""Extract key figures: block-quote call-outs whose first block is a heading, with their caption.

Usage::

    key_figures(article)   # [('115 مليون دولار', 'مقدار التبرعات التي تم جمعها من ALS Ice Bucket Challenge.', 24)]

The seeds write a call-out as separate block quotes (`> ### value`, then `> caption`); a key
figure is a heading inside block quote n immediately followed by a paragraph inside block quote
n (same quote) or n + 1 (the next one). Consecutive paragraphs of that quote form the caption,
joined by a space. A quoted heading without a quoted paragraph after it, or a quote without a
heading, is not a key figure.
"""

from __future__ import annotations

from collections.abc import Iterator

from graph.extract.context import ExtractionContext, Triple, plain_literal, text_literal
from graph.parse.content import Article
from graph.vocab import RDF

_TYPE = RDF.type


def key_figures(article: Article) -> list[tuple[str, str, int]]:
    """Return (value, caption, source line) for each key figure of the article, in order."""
    found: list[tuple[str, str, int]] = []
    blocks = article.blocks
    for index, block in enumerate(blocks):
        if block.kind != "heading" or not block.quote or not block.text:
            continue
        nxt = blocks[index + 1] if index + 1 < len(blocks) else None
        if nxt is None or nxt.kind != "paragraph" or nxt.quote not in (block.quote, block.quote + 1):
            continue
        quote = nxt.quote
        caption = []
        for part in blocks[index + 1 :]:
            if part.kind != "paragraph" or part.quote != quote:
                break
            caption.append(part.text)
        text = " ".join(c for c in caption if c)
        if text:
            found.append((block.text, text, block.line))
    return found


def extract(article: Article, context: ExtractionContext) -> Iterator[Triple]:
    """Yield concept mkg:keyFigure <article#figure-N>, typed mkg:KeyFigure, with value and caption."""
    vocab = context.vocab
    mkg = vocab.MKG
    concept = vocab.concept(article.slug)
    for position, (value, caption, line) in enumerate(key_figures(article), start=1):
        node = vocab.part(article.slug, "figure", position)
        yield concept, mkg.keyFigure, node
        yield node, _TYPE, mkg.KeyFigure
        yield node, mkg.figureValue, text_literal(value)
        yield node, mkg.figureCaption, text_literal(caption)
        yield node, mkg.position, plain_literal(position)
        yield node, mkg.sourceLine, plain_literal(line)
