"""The markdown-it-py parser of the articles: CommonMark, with faster equivalents of a few of its steps.

tests/test_build_speed_invariants.py checks each replacement against markdown-it's own.

Usage::

    tokens = MARKDOWN.parse("## Heading\n\nA [link](/slug).")
"""

from __future__ import annotations

import re
import types
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it import helpers as _md_helpers
from markdown_it.common.utils import unescapeAll
from markdown_it.helpers.parse_link_destination import _Result as _LinkDestination
from markdown_it.rules_core import StateCore

MARKDOWN = MarkdownIt("commonmark")
# Link destinations repeat across a corpus (Zipf-distributed targets): normalising one (mdurl parse,
# punycode, percent-encoding) and validating it are pure functions of the string, so cache them.
MARKDOWN.normalizeLink = lru_cache(maxsize=1 << 16)(MARKDOWN.normalizeLink)  # type: ignore[method-assign]
MARKDOWN.validateLink = lru_cache(maxsize=1 << 16)(MARKDOWN.validateLink)  # type: ignore[method-assign]
_PLAIN_DESTINATION = re.compile(r"[^\x00-\x20\x7f\\()<]+")  # no space, control, `\`, `(`, `)` or `<`


def _parse_link_destination(string: str, pos: int, maximum: int) -> _LinkDestination:
    """markdown-it's parseLinkDestination, with a regex for the usual `(/slug)` destination.

    A run of characters none of which is special, ended by the end, a space, a control character or
    `)`, is what the character loop of the original accepts too (level 0, no escapes); anything
    else (`<...>`, `(`, `\\`, an empty destination) goes to the original.
    """
    match = _PLAIN_DESTINATION.match(string, pos, maximum)
    if match is not None:
        end = match.end()
        if end >= maximum or end >= len(string) or string[end] not in "\\(<":
            result = _LinkDestination()
            result.str = unescapeAll(match.group())
            result.pos = end
            result.ok = True
            return result
    return _md_helpers.parseLinkDestination(string, pos, maximum)


def _normalize(state: StateCore) -> None:
    """Make line ends `\\n` and NUL U+FFFD, as markdown-it's own normalize rule does."""
    # Its regex substitution of every line end cost ~8 % of markdown-it's time, though
    # parse_article has made them `\n` already.
    src = state.src
    if "\r" in src:
        src = src.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in src:
        src = src.replace("\0", "\ufffd")
    state.src = src


MARKDOWN.core.ruler.at("normalize", _normalize)
MARKDOWN.helpers = types.SimpleNamespace(  # type: ignore[assignment]
    parseLinkDestination=_parse_link_destination,
    parseLinkLabel=_md_helpers.parseLinkLabel,
    parseLinkTitle=_md_helpers.parseLinkTitle,
)
