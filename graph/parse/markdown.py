"""The markdown parser of the articles: pulldown-cmark (CommonMark, in Rust) through pyromark, read as markdown-it would.

pyromark gives the body as events with byte ranges; `Body` turns ranges into line numbers and
source text, and the helpers here give links and autolinks the form markdown-it-py gives them
(normalised destinations, refused `javascript:`-like destinations, autolink text). markdown-it-py,
about 10x slower, stays the reference in the tests (tests/markdown_reference.py): the same Article
records on the seeds, generated corpora and fuzzed articles.

Usage::

    body = Body("## Heading\\n\\nA [link](/slug).")
    for event, where in body.events: ...          # ({'Start': {'Heading': ...}}, {'start': 0, 'end': 11})
    body.line(where["start"])                     # 0-based line of a byte offset
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_left
from contextlib import suppress
from functools import lru_cache

import mdurl
import pyromark

_HOST_SCHEMES = ("http:", "https:", "mailto:")
_BAD_PROTOCOL = re.compile(r"^(vbscript|javascript|file|data):")
_GOOD_DATA = re.compile(r"^data:image/(gif|png|jpeg|webp);")
_NON_ASCII = re.compile(r"[^\0-\x7E]")
_SEPARATORS = re.compile(r"[\x2E\u3002\uFF0E\uFF61]")


class Body:
    """One article body parsed: its events with byte ranges, and its byte offsets as 0-based lines and text."""

    __slots__ = ("data", "events", "newlines")

    def __init__(self, text: str) -> None:
        if "\0" in text:  # markdown-it's normalize rule: NUL is U+FFFD
            text = text.replace("\0", "\ufffd")
        self.events = pyromark.events_with_range(text)
        self.data = text.encode("utf-8")
        newlines, find, at = [], self.data.find, self.data.find(b"\n")
        while at >= 0:
            newlines.append(at)
            at = find(b"\n", at + 1)
        self.newlines = newlines

    def line(self, offset: int) -> int:
        """Return the 0-based line of a byte offset."""
        return bisect_left(self.newlines, offset)

    def text(self, start: int, end: int) -> str:
        """Return the source between two byte offsets."""
        return self.data[start:end].decode("utf-8", errors="replace")

    def label_end(self, start: int, stop: int) -> int:
        """Return the offset of the `]` closing the label that opens at `start` (`[` or `![`), before `stop`."""
        data, depth = self.data, 0
        at = start + 1 if data[start] == 0x21 else start  # `!`
        while at < stop:
            char = data[at]
            if char == 0x5C:  # backslash: the next byte is escaped
                at += 2
                continue
            if char == 0x60:  # a code span: brackets inside do not count
                ticks = len(data[at:stop]) - len(data[at:stop].lstrip(b"`"))
                close = data.find(b"`" * ticks, at + ticks, stop)
                at = close + ticks if close >= 0 else at + ticks
                continue
            if char == 0x5B:
                depth += 1
            elif char == 0x5D:
                depth -= 1
                if not depth:
                    return at
            at += 1
        return stop


@lru_cache(maxsize=1 << 16)
def normalize_link(url: str) -> str:
    """Return a link destination as markdown-it's normalizeLink writes it (IDN to punycode, percent-encoded)."""
    parsed = mdurl.parse(url, slashes_denote_host=True)
    if parsed.hostname and (not parsed.protocol or parsed.protocol in _HOST_SCHEMES):
        with suppress(Exception):
            parsed = parsed._replace(hostname=_domain(parsed.hostname, _ascii_label))
    if not parsed.hostname or ":" not in parsed.hostname:
        return mdurl.encode(mdurl.format(parsed))
    return mdurl.format(parsed._replace(
        protocol=parsed.protocol and mdurl.encode(parsed.protocol), auth=parsed.auth and mdurl.encode(parsed.auth),
        hostname=mdurl.encode(parsed.hostname), pathname=parsed.pathname and mdurl.encode(parsed.pathname),
        search=parsed.search and mdurl.encode(parsed.search), hash=parsed.hash and mdurl.encode(parsed.hash)))


def allowed_link(href: str) -> bool:
    """Tell whether markdown-it accepts a normalised destination (it refuses javascript:, vbscript:, file:, data:)."""
    url = href.strip().lower()
    return bool(_GOOD_DATA.search(url)) if _BAD_PROTOCOL.search(url) else True


def autolink_text(url: str) -> str:
    """Return the text of an autolink `<url>` as markdown-it writes it (normalizeLinkText: IDN and %XX decoded)."""
    parsed = mdurl.parse(url, slashes_denote_host=True)
    if parsed.hostname and (not parsed.protocol or parsed.protocol in _HOST_SCHEMES):
        with suppress(Exception):
            parsed = parsed._replace(hostname=_domain(parsed.hostname, _unicode_label))
    return mdurl.decode(mdurl.format(parsed), mdurl.DECODE_DEFAULT_CHARS + "%")


def _domain(domain: str, label: object) -> str:
    """Map each label of a domain (the part after an `@`) with `label`."""
    parts = domain.split("@")  # as markdown-it: the text after a second `@` is dropped
    prefix, host = (parts[0] + "@", parts[1]) if len(parts) > 1 else ("", domain)
    return prefix + ".".join(map(label, _SEPARATORS.split(host)))  # type: ignore[arg-type]


def _unicode_label(label: str) -> str:
    return codecs.decode(label[4:].lower().encode("ascii"), "punycode") if label.startswith("xn--") else label


def _ascii_label(label: str) -> str:
    return "xn--" + codecs.encode(label, "punycode").decode("ascii") if _NON_ASCII.search(label) else label
