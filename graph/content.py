"""Read content/ into typed Article records: YAML front matter plus markdown-it-py blocks.

Usage::

    articles, problems = read_content(Path("content"))
    articles[0].slug, articles[0].title, articles[0].links, articles[0].outline
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from markdown_it.token import Token

from graph import front_matter as fm
from graph.front_matter import Rejected, field, front_matter_line, split_front_matter
from graph.markdown import MARKDOWN
from graph.outline import SECTION_LEVELS, Section, question_tokens
from graph.vocab import canonical_slug

MARKDOWN_SUFFIXES = (".md", ".markdown")
Severity = Literal["error", "warning", "info"]

@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, located at path:line, saying what to fix."""

    severity: Severity
    path: str
    line: int | None
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message} [{self.code}]"

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Link:
    """One `[anchor](/slug)` occurrence in an article body."""

    target: str  # canonical slug of the link path
    written: str  # the path as written, without `/`, fragment or query
    anchor: str
    line: int
    section: int  # position of the innermost enclosing section (graph.outline), 0 before the first

    def __reduce__(self) -> tuple:  # one constructor call: ~2x cheaper than the dataclass state protocol
        return Link, (self.target, self.written, self.anchor, self.line, self.section)


@dataclass(frozen=True, slots=True)
class Block:
    """One block of an article body: a heading, paragraph or list item, in reading order."""

    kind: Literal["heading", "paragraph", "list_item"]
    line: int
    text: str  # plain text, inline markup removed, raw HTML dropped
    source: str  # markdown source of a paragraph that opens with `**` (bold labels CommonMark may miss), else ""
    level: int = 0  # heading level (1-6), 0 for other blocks
    quote: int = 0  # n for blocks inside the n-th block quote, 0 outside
    section: int = 0  # position of the innermost enclosing section (graph.outline), 0 before the first
    links: tuple[Link, ...] = ()
    # the text outside links, code, images and raw HTML as (line, text) runs; () when that is all of `text`,
    # on `line` (graph.articletext reads it for link suggestions)
    plain: tuple[tuple[int, str], ...] = ()

    def __reduce__(self) -> tuple:
        return Block, (self.kind, self.line, self.text, self.source, self.level, self.quote, self.section,
                       self.links, self.plain)


@dataclass(frozen=True, slots=True)
class Article:
    """One parsed article: its front matter facts, its body blocks and its outline."""

    path: str  # relative to the content directory, POSIX separators
    slug: str  # canonical slug
    slug_written: str  # the slug as written (front-matter `slug` or file stem)
    title: str
    description: str
    keywords: tuple[str, ...]  # `keywords`, then `categories`, then `tags`
    sha256: str
    blocks: tuple[Block, ...]
    outline: tuple[Section, ...] = ()  # every section heading, in reading order
    created: date | None = None  # front-matter `date` (a datetime is a date too)
    modified: date | None = None  # front-matter `lastmod`
    authors: tuple[str, ...] = ()  # front-matter `author` / `authors`
    aliases: tuple[str, ...] = ()  # slugs of the front-matter `aliases` (old URLs)
    draft: bool = False  # `draft: true` or `published: false`
    slug_line: int = 0  # line of the front-matter `slug:`, 0 when the file name gives the slug
    unknown: tuple[tuple[str, int], ...] = ()  # (field, line) of front-matter fields the build does not read

    def __reduce__(self) -> tuple:
        return Article, (self.path, self.slug, self.slug_written, self.title, self.description, self.keywords,
                         self.sha256, self.blocks, self.outline, self.created, self.modified, self.authors,
                         self.aliases, self.draft, self.slug_line, self.unknown)

    @property
    def links(self) -> tuple[Link, ...]:
        return tuple(link for block in self.blocks for link in block.links)

    def with_blocks(self, blocks: tuple[Block, ...], outline: tuple[Section, ...] | None = None) -> Article:
        """Return this article with other blocks (and outline) (the constructor: dataclasses.replace is ~10x slower)."""
        fields = self.__reduce__()[1]
        return Article(*fields[:7], blocks, self.outline if outline is None else outline, *fields[9:])


def squash_spaces(text: str) -> str:
    """Return `text` with each run of whitespace made one space and the ends stripped."""
    # The same as " ".join(text.split()); most texts are that already, and str.isprintable() is
    # False for every whitespace character but " " (all are controls or separators).
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


@lru_cache(maxsize=1 << 16)
def _link_target(href: str) -> tuple[str, str] | None:
    """Return (canonical slug, path as written) for an internal `/slug` link, None for others."""
    if not href.startswith("/") or href.startswith("//"):
        return None
    path = unquote(href.split("#", 1)[0].split("?", 1)[0]).strip("/")
    if not path:
        return None
    written = path.replace("/", "-")
    slug = canonical_slug(written)
    return (written if slug == written else slug), written  # one object when equal: pickled once


class _BlockWalker:
    """Turn markdown-it tokens into Blocks and the outline, collecting links and raw-HTML problems."""

    def __init__(self, path: str, first_line: int) -> None:
        self.path, self.first_line = path, first_line
        self.problems: list[Problem] = []
        self.section = 0  # innermost section of the block being read
        self.outline: list[Section] = []
        self.quote_count = 0

    def walk(self, tokens: list[Token], source_lines: list[str]) -> list[Block]:
        blocks: list[Block] = []
        append = blocks.append
        first_line = self.first_line
        quote_depth = 0
        current_quote = 0
        in_item = 0
        heading_level = 0
        questions = question_tokens(tokens)
        open_sections: list[tuple[int, int]] = []  # (level, position) from the outermost to the innermost
        for index, token in enumerate(tokens):
            kind = token.type
            if kind == "inline":
                token_map = token.map
                start = token_map[0] if token_map else 0
                line = first_line + start
                opens = heading_level in SECTION_LEVELS and not quote_depth and index not in questions
                if heading_level:
                    block_kind, level = "heading", heading_level
                    if opens:
                        while open_sections and open_sections[-1][0] >= level:
                            open_sections.pop()
                        parent = open_sections[-1][1] if open_sections else 0
                        self.section = len(self.outline) + 1
                        open_sections.append((level, self.section))
                else:
                    block_kind, level = ("list_item" if in_item else "paragraph"), 0
                text, links, plain = self._inline(token, line)
                if heading_level and opens:
                    self.outline.append(Section(self.section, level, line, text, parent))
                end = token_map[1] if token_map else start + 1
                # Only bold-labelled paragraphs need their source (graph/resolve.py); keeping it for
                # every block doubled what parser processes send back (measured: 280 MB per 10k articles).
                first = source_lines[start].lstrip(" >") if start < len(source_lines) else ""
                source = ("\n".join(source_lines[start:end]) if block_kind == "paragraph"
                          and first.startswith("**") else "")
                append(Block(block_kind, line, text, source, level, current_quote if quote_depth else 0,
                             self.section, links, plain))
            elif kind == "paragraph_open" or kind == "paragraph_close":
                continue
            elif kind == "blockquote_open":
                quote_depth += 1
                if quote_depth == 1:
                    self.quote_count += 1
                    current_quote = self.quote_count
            elif kind == "blockquote_close":
                quote_depth -= 1
            elif kind == "list_item_open":
                in_item += 1
            elif kind == "list_item_close":
                in_item -= 1
            elif kind == "heading_open":
                heading_level = int(token.tag[1])
            elif kind == "heading_close":
                heading_level = 0
            elif kind == "html_block":
                line = first_line + (token.map[0] if token.map else 0)
                self.problems.append(
                    Problem("warning", self.path, line, "raw-html",
                            "raw HTML block ignored (not content, its links are not followed): "
                            "remove it or write it as markdown")
                )
        return blocks

    def _inline(self, token: Token, line: int) -> tuple[str, tuple[Link, ...], tuple[tuple[int, str], ...]]:
        """Return the plain text of an inline token, its internal links and its runs of unlinked text."""
        children = token.children
        if children is not None and len(children) == 1 and children[0].type == "text":
            return squash_spaces(children[0].content), (), ()  # a block of plain text: the common case
        parts: list[str] = []
        links: list[Link] = []
        anchor_parts: list[str] | None = None
        target: tuple[str, str] | None = None
        current = line
        plain: list[tuple[int, str]] = []
        run: list[str] = []  # the unlinked text since the last link, code span, image, HTML or line break
        cut = False  # whether anything but unlinked text on the first line was met

        def close_run() -> None:
            text = squash_spaces("".join(run))
            if text:
                plain.append((current, text))
            run.clear()

        for child in children or ():
            ctype = child.type
            if ctype == "text":
                parts.append(child.content)
                if anchor_parts is not None:
                    anchor_parts.append(child.content)
                else:
                    run.append(child.content)
            elif ctype == "code_inline":
                parts.append(child.content)
                if anchor_parts is not None:
                    anchor_parts.append(child.content)
                close_run()
                cut = True
            elif ctype == "softbreak" or ctype == "hardbreak":
                parts.append(" ")
                close_run()
                cut = True
                current += 1
            elif ctype == "link_open":
                close_run()
                cut = True
                href = str(child.attrs.get("href", ""))
                target = _link_target(href)
                anchor_parts = []
                if target is None and "://" not in href and not href.startswith(("mailto:", "#")):
                    self.problems.append(
                        Problem("warning", self.path, current, "relative-link",
                                f"link {href!r} is neither `/slug` nor an absolute URL: not followed; "
                                "write it as `/slug`")
                    )
            elif ctype == "link_close":
                if target is not None and anchor_parts is not None:
                    anchor = " ".join("".join(anchor_parts).split())
                    slug, written = target
                    if slug:
                        links.append(Link(slug, written, anchor, current, self.section))
                anchor_parts, target = None, None
            elif ctype == "html_inline":
                close_run()
                cut = True
                self.problems.append(
                    Problem("warning", self.path, current, "raw-html",
                            f"inline raw HTML {child.content[:40]!r} ignored: write it as markdown")
                )
            elif ctype == "image":
                parts.append(child.content)
                close_run()
                cut = True
        close_run()
        text = squash_spaces("".join(parts))
        if not cut and (not plain or (len(plain) == 1 and plain[0][1] == text)):
            return text, tuple(links), ()  # emphasis only: the unlinked text is the whole text
        return text, tuple(links), tuple(plain)


def parse_article(path: Path, root: Path, max_bytes: int = 5 * 1024 * 1024) -> tuple[Article | None, list[Problem]]:
    """Parse one markdown file into an Article, or None and the problems that rejected it."""
    relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise Rejected(None, "too-large",
                            f"file is {size:,} bytes, over the {max_bytes:,}-byte limit: split the article")
        raw = path.read_bytes()
        if not raw.strip():
            raise Rejected(None, "empty", "file is empty: write front matter and a body, or delete it")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise Rejected(line, "encoding", f"bytes that are not UTF-8 at offset {exc.start}: "
                            "save the file as UTF-8") from exc
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        meta, body_lines, body_line = split_front_matter(text)
        title = " ".join(str(field(meta, text, "title") or "").split())
        if not title:
            raise Rejected(front_matter_line(text, "title"), "missing-title",
                            "front matter has no `title`: add `title: <Arabic title>`")
        description = " ".join(str(field(meta, text, "description") or "").split())
        if not description:
            raise Rejected(front_matter_line(text, "description"), "missing-description",
                            "front matter has no `description`: add a one-sentence definition")
        named: list[object] = []
        for key in ("keywords", "categories", "tags"):
            value = field(meta, text, key, many=True)
            named += value if isinstance(value, list) else str(value or "").split(",")
        keywords = fm.keywords(named)
        if not keywords:
            raise Rejected(front_matter_line(text, "keywords"), "missing-keywords",
                            "front matter has no `keywords` (nor `tags` or `categories`): add `keywords: A,B`")
        # Jekyll's `published: false`; in Hugo `published` may also be a publish date, which is not a flag
        draft = bool(fm.flag(meta, text, "draft")) or (
            fm.timestamp(meta, "published")[0] is None and fm.flag(meta, text, "published") is False)
        slug_written = str(field(meta, text, "slug") or path.stem).strip().strip("/")
        slug = canonical_slug(slug_written)
        if slug == slug_written:
            slug = slug_written  # one object: pickled once
        if not slug:
            raise Rejected(front_matter_line(text, "slug"), "bad-slug",
                            f"slug {slug_written!r} has no letters or digits: rename the file or set `slug:`")
    except Rejected as rejected:
        return None, [Problem("error", relative, rejected.line, rejected.code, rejected.message)]
    except OSError as exc:
        return None, [Problem("error", relative, None, "unreadable", f"cannot read file ({exc.strerror})")]
    problems: list[Problem] = []
    if slug != slug_written:
        problems.append(Problem("info", relative, None, "slug-normalised",
                                f"slug {slug_written!r} is served as {slug!r}; the spelling is kept as an alias"))
    optional = fm.optional_fields(meta, text)
    problems += [Problem("warning", relative, line, code, message) for line, code, message in optional.wrong]
    walker = _BlockWalker(relative, body_line)
    blocks = walker.walk(MARKDOWN.parse("\n".join(body_lines)), body_lines)
    article = Article(
        path=relative, slug=slug, slug_written=slug_written, title=title, description=description,
        keywords=keywords, sha256=hashlib.sha256(raw).hexdigest(), blocks=tuple(blocks),
        outline=tuple(walker.outline), created=optional.created, modified=optional.modified,
        authors=optional.authors, aliases=optional.aliases, draft=draft,
        slug_line=front_matter_line(text, "slug") if meta.get("slug") else 0,
        unknown=fm.unknown_fields(meta, text) if len(meta) > 3 else (),
    )
    return article, problems + walker.problems


def discover(content_dir: Path) -> tuple[list[Path], list[Problem]]:
    """List the markdown files under content_dir, and report every other file as ignored."""
    files: list[Path] = []
    ignored: list[Problem] = []
    for dirpath, dirnames, filenames in os.walk(content_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if name.lower().endswith(MARKDOWN_SUFFIXES) and not name.startswith("."):
                files.append(path)
            else:
                ignored.append(Problem("info", path.relative_to(content_dir).as_posix(), None, "ignored",
                                       "not a markdown file (.md): ignored"))
    return sorted(files), ignored


def parse_chunk(args: tuple[list[Path], Path, int]) -> list[tuple[Article | None, list[Problem]]]:
    paths, root, max_bytes = args
    return [parse_article(p, root, max_bytes) for p in paths]


def reporting(results: list, progress) -> Iterator:
    for done, result in enumerate(results, start=1):
        progress(done, len(results))
        yield result
