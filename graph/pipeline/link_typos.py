"""Red links that look like typos of an existing article's slug: warnings with "did you mean …" at file:line.

A red link (a link to a slug no article has) is a suggestion target when its slug is one edit away from an
article's slug (a letter inserted, deleted, replaced, or two neighbours swapped), or when both slugs are the
same Arabic words once normalised (graph.arabic.match_key: diacritics, hamza forms, the definite article…).
Slugs shorter than MIN_EDIT_LENGTH are only compared by their Arabic form: seo/sem or b2b/b2c are
different concepts, not typos.

The look-up is an index built once per build: each article slug is filed under its first and last
characters (one edit leaves about half of a slug untouched at one end), so a red link is compared only with
the few slugs that share an end with it, never with every article.

Usage::

    for problem in link_typos(index):
        print(problem)   # a.md:12: warning: link to /viral-marketting: no article has that slug; did you mean …
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from graph.arabic import match_key
from graph.parse.content import Problem
from graph.pipeline.resolve import ConceptIndex

MIN_EDIT_LENGTH = 5
MAX_SUGGESTIONS = 3


def one_edit_apart(a: str, b: str) -> bool:
    """Tell whether a and b differ by one insertion, deletion, substitution or swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    i = 0
    shortest = min(len(a), len(b))
    while i < shortest and a[i] == b[i]:
        i += 1
    if len(a) > len(b):
        return a[i + 1 :] == b[i:]
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]


def _key_length(length: int) -> int:
    """Return how many characters at each end a slug of `length` shares with any slug one edit away.

    For slugs of lengths n and n±1 one edit leaves common prefix + common suffix >= min length - 2, so
    one of them is at least (min length - 2) // 2 long; min length >= length - 1.
    """
    return max(1, (length - 3) // 2)


def arabic_form(slug: str) -> str:
    """Return the Arabic-normalised words of a slug ("" for an ASCII slug: normalising changes nothing)."""
    return "" if slug.isascii() else match_key(slug.replace("-", " "))


class SlugNeighbours:
    """The article slugs, filed for finding those one edit away from, or Arabic-equal to, another slug."""

    def __init__(self, slugs: Iterable[str]) -> None:
        self.ends: dict[tuple[str, int, str], list[str]] = {}
        self.arabic: dict[str, list[str]] = {}
        for slug in sorted(slugs):
            form = arabic_form(slug)
            if form:
                self.arabic.setdefault(form, []).append(slug)
            if len(slug) + 1 < MIN_EDIT_LENGTH:
                continue
            for k in {_key_length(n) for n in (len(slug) - 1, len(slug), len(slug) + 1)}:
                self.ends.setdefault(("<", k, slug[:k]), []).append(slug)
                self.ends.setdefault((">", k, slug[-k:]), []).append(slug)

    def near(self, slug: str) -> list[str]:
        """Return the article slugs `slug` is probably a typo of, closest first (at most MAX_SUGGESTIONS)."""
        found = [s for s in self.arabic.get(arabic_form(slug), ()) if s != slug] if not slug.isascii() else []
        if len(slug) >= MIN_EDIT_LENGTH:
            k = _key_length(len(slug))
            for candidate in (*self.ends.get(("<", k, slug[:k]), ()), *self.ends.get((">", k, slug[-k:]), ())):
                if len(candidate) >= MIN_EDIT_LENGTH and candidate not in found and one_edit_apart(slug, candidate):
                    found.append(candidate)
        return found[:MAX_SUGGESTIONS]


def link_typos(index: ConceptIndex) -> Iterator[Problem]:
    """Yield a warning at every link whose red-link target looks like a typo of an article's slug."""
    red = [slug for slug in index.targets if slug not in index.articles]
    if not red:
        return
    neighbours = SlugNeighbours(index.articles)
    suggestions = {slug: near for slug in red if (near := neighbours.near(slug))}
    if not suggestions:
        return
    for article in sorted(index.articles.values(), key=lambda a: a.path):
        for link in article.links:
            near = suggestions.get(link.target)
            if near is None:
                continue
            options = " or ".join(f"/{slug} ({index.articles[slug].title})" for slug in near)
            yield Problem("warning", article.path, link.line, "link-typo",
                          f"link to /{link.written}: no article has that slug; did you mean {options}? "
                          "Fix the link, or write the article")

