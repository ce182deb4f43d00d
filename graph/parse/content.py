"""Read content/ into typed Article records: YAML front matter plus markdown blocks (graph.parse.markdown).

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

from graph.parse import front_matter as fm
from graph.parse.front_matter import Rejected, field, front_matter_line, split_front_matter
from graph.parse.markdown import Body, allowed_link, autolink_text, normalize_link
from graph.parse.outline import SECTION_LEVELS, Section, faq_questions
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
    section: int  # position of the innermost enclosing section (graph.parse.outline), 0 before the first

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
    section: int = 0  # position of the innermost enclosing section (graph.parse.outline), 0 before the first
    links: tuple[Link, ...] = ()
    # the text outside links, code, images and raw HTML as (line, text) runs; () when that is all of `text`,
    # on `line` (graph.parse.articletext reads it for link suggestions)
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


class _Entry:
    """One block as read from the events, before the outline decides its section."""

    __slots__ = ("heading", "kind", "level", "line", "links", "plain", "quote", "source", "text")

    def __init__(self, kind: str, line: int, level: int, quote: int, heading: bool) -> None:
        self.kind, self.line, self.level, self.quote, self.heading = kind, line, level, quote, heading
        self.text, self.source = "", ""
        self.links: list[tuple[str, str, str, int]] = []
        self.plain: tuple[tuple[int, str], ...] = ()


_BLOCKS = frozenset({"Paragraph", "Heading", "BlockQuote", "List", "Item", "CodeBlock", "HtmlBlock",
                     "FootnoteDefinition", "Table", "DefinitionList", "MetadataBlock"})


class _BlockWalker:
    """Turn pyromark events into Blocks and the outline, collecting links and raw-HTML problems (markdown-it's reading)."""

    def __init__(self, path: str, first_line: int, body: Body, source_lines: list[str]) -> None:
        self.path, self.first_line, self.body, self.source_lines = path, first_line, body, source_lines
        self.problems: list[Problem] = []
        self.entries: list[_Entry] = []

    def walk(self) -> tuple[tuple[Block, ...], tuple[Section, ...]]:
        """Read every block, then decide the outline (FAQ questions open no section) and each block's section."""
        self._read()
        entries = self.entries
        headings = [e for e in entries if e.heading]
        found = faq_questions([(e.level, e.text) for e in headings]) if any(e.level == 3 for e in headings) else ()
        questions = {id(headings[n]) for n in found}
        blocks: list[Block] = []
        outline: list[Section] = []
        open_sections: list[tuple[int, int]] = []  # (level, position) from the outermost to the innermost
        section = 0
        for entry in entries:
            if entry.heading and entry.level in SECTION_LEVELS and id(entry) not in questions:
                while open_sections and open_sections[-1][0] >= entry.level:
                    open_sections.pop()
                parent = open_sections[-1][1] if open_sections else 0
                section = len(outline) + 1
                open_sections.append((entry.level, section))
                outline.append(Section(section, entry.level, entry.line, entry.text, parent))
            links = tuple(Link(slug, written, anchor, line, section) for slug, written, anchor, line in entry.links)
            blocks.append(Block(entry.kind, entry.line, entry.text, entry.source, entry.level, entry.quote, section,
                                links, entry.plain))
        return tuple(blocks), tuple(outline)

    def _read(self) -> None:
        body, lines, first_line = self.body, self.source_lines, self.first_line
        quote_depth = quote_count = current_quote = in_item = 0
        skip = 0  # inside a code or HTML block: its text is not content
        inline: _Inline | None = None  # the paragraph, heading or tight list item being read
        for event, where in body.events:
            if type(event) is dict:
                (kind, value), = event.items()
            else:
                kind, value = event, None
            if kind == "Start" or kind == "End":
                tag = value if type(value) is str else next(iter(value))
                if tag in _BLOCKS:
                    if inline is not None and (kind == "Start" or tag == "Item"):  # a tight item's text ends
                        inline.close()
                        inline = None
                    if kind == "End":
                        if tag == "Paragraph" or tag == "Heading":
                            inline.close()  # type: ignore[union-attr]
                            inline = None
                        elif tag == "BlockQuote":
                            quote_depth -= 1
                        elif tag == "Item":
                            in_item -= 1
                        elif tag == "CodeBlock" or tag == "HtmlBlock":
                            skip -= 1
                        continue
                    start = where["start"]
                    if tag == "Paragraph" or tag == "Heading":
                        level = int(value[tag]["level"][1]) if tag == "Heading" else 0
                        entry = self._entry("heading" if level else "list_item" if in_item else "paragraph",
                                            first_line + body.line(start), level, current_quote if quote_depth else 0,
                                            level > 1 and not quote_depth)
                        inline = _Inline(self, entry)
                        if not level and not in_item:
                            # Only bold-labelled paragraphs need their source (graph/pipeline/resolve.py); keeping it
                            # for every block doubled what parser processes send back (280 MB per 10k articles).
                            row = body.line(start)
                            if row < len(lines) and lines[row].lstrip(" >").startswith("**"):
                                entry.source = "\n".join(lines[row:body.line(max(start, where["end"] - 1)) + 1])
                    elif tag == "BlockQuote":
                        quote_depth += 1
                        if quote_depth == 1:
                            quote_count += 1
                            current_quote = quote_count
                    elif tag == "Item":
                        in_item += 1
                    elif tag == "CodeBlock":
                        skip += 1
                    elif tag == "HtmlBlock":
                        skip += 1
                        self.problems.append(Problem(
                            "warning", self.path, first_line + body.line(start), "raw-html",
                            "raw HTML block ignored (not content, its links are not followed): "
                            "remove it or write it as markdown"))
                    continue
            elif kind == "Rule":
                if inline is not None:
                    inline.close()
                    inline = None
                continue
            if skip:
                continue
            if inline is None:  # text directly in a list item: a tight item's paragraph
                inline = _Inline(self, self._entry("list_item", first_line + body.line(where["start"]), 0,
                                                   current_quote if quote_depth else 0, False))
            inline.add(kind, value, where)
        if inline is not None:
            inline.close()

    def _entry(self, kind: str, line: int, level: int, quote: int, heading: bool) -> _Entry:
        entry = _Entry(kind, line, level, quote, heading)
        self.entries.append(entry)
        return entry


class _Inline:
    """The inline events of one block: its plain text (markup removed, raw HTML dropped) and its links."""

    def __init__(self, walker: _BlockWalker, entry: _Entry) -> None:
        self.walker, self.entry = walker, entry
        self.parts: list[str] = []
        self.current = entry.line
        self.anchor: list[str] | None = None
        self.target: tuple[str, str] | None = None
        self.image = 0  # inside an image: its label was taken as written
        self.autolink = False  # inside an autolink: its text was taken as markdown-it writes it
        self.refused: list[str | None] = []  # per open link: the source after its label when markdown-it refuses it
        self.plain: list[tuple[int, str]] = []  # runs of unlinked text: (line, text)
        self.run: list[str] = []  # the unlinked text since the last link, code span, image, HTML or line break
        self.cut = False  # whether anything but unlinked text on the first line was met

    def _close_run(self) -> None:
        text = squash_spaces("".join(self.run))
        if text:
            self.plain.append((self.current, text))
        self.run.clear()

    def add(self, kind: str, value: object, where: dict) -> None:
        if self.image:
            if kind == "Start" and next(iter(value)) == "Image":  # type: ignore[arg-type]
                self.image += 1
            elif kind == "End" and value == "Image":
                self.image -= 1
            return
        if kind == "Text" or kind == "Code":
            if self.autolink:
                return
            self.parts.append(value)  # type: ignore[arg-type]
            if self.anchor is not None:
                self.anchor.append(value)  # type: ignore[arg-type]
            elif kind == "Text":
                self.run.append(value)  # type: ignore[arg-type]
            if kind == "Code":
                self._close_run()
                self.cut = True
        elif kind == "SoftBreak" or kind == "HardBreak":
            self.parts.append(" ")
            self._close_run()
            self.cut = True
            self.current += 1
        elif kind == "InlineHtml":
            self._close_run()
            self.cut = True
            self.walker.problems.append(Problem(
                "warning", self.walker.path, self.current, "raw-html",
                f"inline raw HTML {value[:40]!r} ignored: write it as markdown"))  # type: ignore[index]
        elif kind == "Start":
            tag = next(iter(value))  # type: ignore[arg-type]
            if tag == "Link":
                self._open_link(value["Link"], where)  # type: ignore[index]
            elif tag == "Image":
                body, start = self.walker.body, where["start"]
                self.parts.append(body.text(start + 2, body.label_end(start, where["end"])))
                self._close_run()
                self.cut = True
                self.image = 1
        elif kind == "End" and value == "Link":
            refused = self.refused.pop()
            self.autolink = False
            if refused is not None:
                self.parts.append(refused)
                if self.anchor is None:
                    self.run.append(refused)
                return
            if self.target is not None and self.anchor is not None:
                slug, written = self.target
                if slug:
                    anchor = " ".join("".join(self.anchor).split())
                    self.entry.links.append((slug, written, anchor, self.current))
            self.anchor, self.target = None, None

    def _open_link(self, link: dict, where: dict) -> None:
        destination, kind = link["dest_url"], link["link_type"]
        href = normalize_link("mailto:" + destination if kind == "Email" else destination)
        if not allowed_link(href):  # markdown-it reads it as text
            body, start, end = self.walker.body, where["start"], where["end"]
            autolink = kind in ("Autolink", "Email")
            self.parts.append("<" if autolink else "[")
            if self.anchor is None:
                self.run.append("<" if autolink else "[")
            self.refused.append(">" if autolink else body.text(body.label_end(start, end), end))
            return
        self.refused.append(None)
        self._close_run()
        self.cut = True
        self.target = _link_target(href)
        self.anchor = []
        if kind in ("Autolink", "Email"):
            text = autolink_text(destination)
            self.parts.append(text)
            self.anchor.append(text)
            self.autolink = True
        if self.target is None and "://" not in href and not href.startswith(("mailto:", "#")):
            self.walker.problems.append(Problem(
                "warning", self.walker.path, self.current, "relative-link",
                f"link {href!r} is neither `/slug` nor an absolute URL: not followed; write it as `/slug`"))

    def close(self) -> None:
        self._close_run()
        text = self.entry.text = squash_spaces("".join(self.parts))
        plain = self.plain
        if self.cut or not (not plain or (len(plain) == 1 and plain[0][1] == text)):
            self.entry.plain = tuple(plain)  # else () : the unlinked text is the whole text, on its line


def read_body(path: str, body_lines: list[str], first_line: int
              ) -> tuple[tuple[Block, ...], tuple[Section, ...], list[Problem]]:
    """Return the blocks, outline and problems of an article body (lines from `first_line`, 1-based)."""
    walker = _BlockWalker(path, first_line, Body("\n".join(body_lines)), body_lines)
    blocks, outline = walker.walk()
    return blocks, outline, walker.problems


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
    blocks, outline, body_problems = read_body(relative, body_lines, body_line)
    article = Article(
        path=relative, slug=slug, slug_written=slug_written, title=title, description=description,
        keywords=keywords, sha256=hashlib.sha256(raw).hexdigest(), blocks=blocks,
        outline=outline, created=optional.created, modified=optional.modified,
        authors=optional.authors, aliases=optional.aliases, draft=draft,
        slug_line=front_matter_line(text, "slug") if meta.get("slug") else 0,
        unknown=fm.unknown_fields(meta, text) if len(meta) > 3 else (),
    )
    return article, problems + body_problems


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
