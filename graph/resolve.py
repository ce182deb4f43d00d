"""Resolve names to concepts: one slug per concept across titles, anchors, terms and abbreviations.

Usage::

    index = ConceptIndex.build(articles)
    index.resolve_name("التَّسويق الفيروسي")   # 'viral-marketing'
    index.red_links()                         # ['big-data', 'btoc', ...]
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from graph.arabic import match_key
from graph.content import Article
from graph.vocab import canonical_slug

_TRAILING_ACRONYM = re.compile(r"\s*\(\s*([A-Z0-9][A-Za-z0-9\-]{1,11})\s*\)\s*$")


def split_acronym(label: str) -> tuple[str, str | None]:
    """Split a trailing `(ACRONYM)` off a label: ('التسويق ... (SMM)') -> ('التسويق ...', 'SMM')."""
    match = _TRAILING_ACRONYM.search(label)
    if not match or match.start() == 0:
        return label, None
    return label[: match.start()].strip(), match.group(1)


@dataclass
class LinkTarget:
    """What the corpus's links say about one target concept."""

    anchors: Counter[str] = field(default_factory=Counter)
    spellings: set[str] = field(default_factory=set)
    first_seen: tuple[str, int] | None = None


@dataclass
class ConceptIndex:
    """Corpus-wide knowledge: which slugs have articles, what links call them, who is named what."""

    articles: dict[str, Article] = field(default_factory=dict)
    targets: dict[str, LinkTarget] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # match_key -> slug
    abbreviations: dict[str, set[str]] = field(default_factory=dict)  # slug -> acronyms
    keyword_names: dict[str, Counter[str]] = field(default_factory=dict)  # keyword slug -> spellings

    @classmethod
    def build(cls, articles: list[Article]) -> ConceptIndex:
        """Index every article and every link target of the corpus."""
        index = cls(articles={a.slug: a for a in articles})
        for article in articles:
            label, acronym = split_acronym(article.title)
            index.add_name(label, article.slug)
            if acronym:
                index.add_abbreviation(article.slug, acronym)
        for article in articles:
            for name in article.keywords:
                index.keyword_names.setdefault(canonical_slug(name), Counter())[name] += 1
            for link in article.links:
                target = index.targets.setdefault(link.target, LinkTarget())
                if link.anchor:
                    target.anchors[link.anchor] += 1
                if link.written != link.target:
                    target.spellings.add(link.written)
                if target.first_seen is None:
                    target.first_seen = (article.path, link.line)
        for slug, target in index.targets.items():
            if slug not in index.articles and target.anchors:
                index.add_name(index.anchors(slug)[0], slug)
        return index

    def keyword_label(self, slug: str, fallback: str) -> str:
        """Return the one label of a keyword: its most used spelling (ties: alphabetical)."""
        spellings = self.keyword_names.get(slug)
        if not spellings:
            return fallback
        return min(spellings.items(), key=lambda item: (-item[1], item[0]))[0]

    def add_name(self, name: str, slug: str) -> None:
        """Record `name` as a name of `slug`, unless another concept already holds it."""
        key = match_key(name)
        if key:
            self.names.setdefault(key, slug)

    def add_abbreviation(self, slug: str, acronym: str) -> None:
        self.abbreviations.setdefault(slug, set()).add(acronym)
        self.names.setdefault(match_key(acronym), slug)

    def has_article(self, slug: str) -> bool:
        return slug in self.articles

    def red_links(self) -> list[str]:
        """Return the link targets that have no article, sorted."""
        return sorted(slug for slug in self.targets if slug not in self.articles)

    def anchors(self, slug: str) -> list[str]:
        """Return the anchor texts that link to `slug`, most used first (ties: alphabetical)."""
        target = self.targets.get(slug)
        if target is None:
            return []
        return [a for a, _ in sorted(target.anchors.items(), key=lambda item: (-item[1], item[0]))]

    def spellings(self, slug: str) -> list[str]:
        """Return the other spellings of `slug` seen in file names, front matter and links."""
        seen = set(self.targets[slug].spellings) if slug in self.targets else set()
        if slug in self.articles:
            seen.add(self.articles[slug].slug_written)
        seen.discard(slug)
        return sorted(seen)

    def resolve_name(self, name: str) -> str | None:
        """Return the slug of the concept called `name` (Arabic-normalised comparison), if any."""
        return self.names.get(match_key(name))

    def english_label(self, slug: str) -> str:
        """Derive an English label from a slug, upper-casing known abbreviations."""
        acronyms = {a.lower(): a for a in self.abbreviations.get(slug, ())}
        words = slug.split("-")
        out = []
        for position, word in enumerate(words):
            if word in acronyms:
                acronym = acronyms[word]
                out.append(f"({acronym})" if position == len(words) - 1 and position else acronym)
            else:
                out.append(word[:1].upper() + word[1:])
        return " ".join(out)
