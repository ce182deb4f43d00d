"""The text of the articles a build keeps beside its graph version: for full-text search and link suggestions.

The graph holds facts, not prose; the read model's text index (``graph.readmodel.fulltext``) and link
suggestions (``graph.readmodel.linking``) need the body. The corpus workers write one JSON line per article
(``record``) while they extract, and the build keeps them in the version's directory as ``ARTICLE_TEXT``.

A record: the slug and path; ``sections`` ([position, level, line, name, parent] per section of the
outline); ``passages``, the searchable text ([section, heading, line, text]: the blocks under one heading,
the FAQ answers under their question, the description first with line 0); ``runs``, the text a link
may be added to ([line, text]: paragraphs and list items outside links, code, images and raw HTML;
headings and front matter are never in it).

Usage::

    line = record_line(article)                      # b'{"slug": "viral-marketing", ...}\\n'
    for item in read_records(Path("build/store-abc/mkg-articles.jsonl")): item["slug"]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from graph.content import Article

ARTICLE_TEXT = "mkg-articles.jsonl"
"""The file, in a version's directory, holding the text of its articles (written by the build)."""


def record(article: Article) -> dict:
    """Return the searchable and linkable text of one article, with the lines it is on."""
    sections = [[s.position, s.level, s.line, s.text, s.parent] for s in article.outline]
    passages: list[list] = [[0, None, 0, article.description]] if article.description else []
    runs: list[list] = []
    heading: str | None = None
    current: list | None = None
    for block in article.blocks:
        if block.kind == "heading":
            heading, current = block.text, None
            continue
        if current is None or current[0] != block.section:
            current = [block.section, heading, block.line, block.text]
            passages.append(current)
        else:
            current[3] += "\n" + block.text
        runs.extend([list(run) for run in block.plain] if block.plain else [[block.line, block.text]])
    return {"slug": article.slug, "path": article.path, "title": article.title, "sections": sections,
            "passages": passages, "runs": runs}


def record_line(article: Article) -> bytes:
    """Return an article's record as one line of JSON."""
    return json.dumps(record(article), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def write_records(articles: Iterable[Article], path: Path) -> Path:
    """Write the records of `articles` to `path`, one line each; return the path."""
    with Path(path).open("wb") as sink:
        sink.writelines(record_line(article) for article in articles)
    return Path(path)


def read_records(path: Path) -> Iterator[dict]:
    """Yield the records of an article text file, in file order."""
    with Path(path).open("rb") as source:
        for line in source:
            if line.strip():
                yield json.loads(line)
