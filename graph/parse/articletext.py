"""The text of the articles a build keeps beside its graph version: for full-text search and link suggestions.

The graph holds facts, not prose; the read model's text index (``graph.readmodel.text.fulltext``) and link
suggestions (``graph.readmodel.text.linking``) need the body. The corpus workers write one JSON line per article
(``record``) while they extract, and the build keeps them in the version's directory as ``ARTICLE_TEXT``.

A record: the slug and path; ``sections`` ([position, level, line, name, parent] per section of the
outline); ``passages``, the searchable text ([section, heading, line, text, [[offset, line], ...]]: the
blocks under one heading (an FAQ answer under its question), the offset in text where each block after the
first starts and its line; the description first, line 0); ``runs``, the text a link may be added to
([line, text]: paragraphs and list items outside links, code, images and raw HTML; headings and front
matter are never in it).

Usage::

    line = record_line(article)                      # b'{"slug": "viral-marketing", ...}\\n'
"""

from __future__ import annotations

import json

from graph.parse.content import Article
from graph.readmodel.text.fulltext import ARTICLE_TEXT

__all__ = ["ARTICLE_TEXT", "record", "record_line"]


def record(article: Article) -> dict:
    """Return the searchable and linkable text of one article, with the lines it is on."""
    sections = [[s.position, s.level, s.line, s.text, s.parent] for s in article.outline]
    passages: list[list] = [[0, None, 0, article.description, []]] if article.description else []
    runs: list[list] = []
    current: list | None = None
    for block in article.blocks:
        if block.kind == "heading":
            if current is not None and not (passages and passages[-1] is current):
                passages.append(current)  # a heading with no text of its own is searchable too
            current = [block.section, block.text, block.line, "", []]
            continue
        if current is None:
            current = [block.section, None, block.line, "", []]
        if passages and passages[-1] is current:
            current[4].append([len(current[3]) + 1, block.line])
            current[3] += "\n" + block.text
        else:
            current[2], current[3] = block.line, block.text
            passages.append(current)
        runs.extend([list(run) for run in block.plain] if block.plain else [[block.line, block.text]])
    if current is not None and not (passages and passages[-1] is current):
        passages.append(current)
    return {"slug": article.slug, "path": article.path, "title": article.title, "sections": sections,
            "passages": passages, "runs": runs}


def record_line(article: Article) -> bytes:
    """Return an article's record as one line of JSON."""
    return json.dumps(record(article), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
