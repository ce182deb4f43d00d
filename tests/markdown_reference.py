"""The markdown-it-py reading of an article body: the test reference for graph.parse.content's markdown-it.rs reader.

This is the block walker the build used before markdown-it-pyrs (issue 19), on plain
MarkdownIt("commonmark") tokens. tests/test_markdown_reference.py checks that the production reader
gives the same Article records.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

from graph.parse.content import Block, Link, Problem, _link_target, squash_spaces
from graph.parse.outline import SECTION_LEVELS, Section, faq_questions

MARKDOWN = MarkdownIt("commonmark")


def _plain_text(token: Token) -> str:
    """Return the text of an inline token as the block walker writes it, without its links."""
    children = token.children
    parts = [" " if c.type in ("softbreak", "hardbreak") else c.content for c in children or ()
             if c.type in ("text", "code_inline", "image", "softbreak", "hardbreak")]
    return " ".join("".join(parts).split())


def question_tokens(tokens: list[Token]) -> set[int]:
    """Return the indexes of the inline tokens of an article's FAQ question headings (see faq_questions)."""
    headings: list[tuple[int, str]] = []
    where: list[int] = []
    depth = 0
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "heading_open":
            if not depth and token.tag != "h1":
                headings.append((int(token.tag[1]), _plain_text(tokens[index + 1])))
                where.append(index + 1)
        elif kind == "blockquote_open":
            depth += 1
        elif kind == "blockquote_close":
            depth -= 1
    if not any(level == 3 for level, _ in headings):
        return set()
    return {where[n] for n in faq_questions(headings)}


def read_body(path: str, body_lines: list[str], first_line: int
              ) -> tuple[tuple[Block, ...], tuple[Section, ...], list[Problem]]:
    """Return the blocks, outline and problems of an article body, read with markdown-it-py."""
    walker = _BlockWalker(path, first_line)
    blocks = walker.walk(MARKDOWN.parse("\n".join(body_lines)), body_lines)
    return tuple(blocks), tuple(walker.outline), walker.problems


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
                # Only bold-labelled paragraphs need their source (graph/pipeline/resolve.py); keeping it for
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
