"""Record what an article's extraction read from the concept index, and tell whether it still holds.

An article's triples, problems and mentions depend on the article itself (its content hash), on the
aliases its links were pointed through, and on the index reads its extractors made. Each read is
recorded as (operation, arguments, result); a later build reuses the article's extraction when
every recorded read gives the same result on its own index. Only the reads listed in READS are
possible through RecordingIndex: an extractor reading anything else fails loudly, so a new kind of
read cannot go unrecorded.

Usage::

    recording = RecordingIndex(index)
    context = ExtractionContext(vocab, recording)      # extract one article with it
    reads = recording.take()                            # [('english_label', ('seo',), 'SEO'), ...]
    still_valid(reads, new_index)                       # True when every read answers the same
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from graph.pipeline.resolve import ConceptIndex

Read = tuple[str, tuple, Any]

READS: dict[str, Callable[..., Any]] = {
    "english_label": ConceptIndex.english_label,
    "arabic_label": ConceptIndex.arabic_label,
    "anchors": ConceptIndex.anchors,
    "spellings": ConceptIndex.spellings,
    "terms_of": ConceptIndex.terms_of,
    "has_article": ConceptIndex.has_article,
    "keyword_label": ConceptIndex.keyword_label,
    "names.get": lambda index, key: (key in index.names, index.names.get(key)),
    "abbreviations.get": lambda index, key: (key in index.abbreviations, index.abbreviations.get(key)),
    "term_of.get": lambda index, key: (key in index.term_of, index.term_of.get(key)),
    "acronym_owner.in": lambda index, key: key in index.acronym_owner,
}
"""Every index read an article extractor may make, as a function of (index, *arguments)."""


class _RecordedMapping:
    """The read-only face of one index dict: get and `in`, each read recorded."""

    def __init__(self, recording: RecordingIndex, name: str) -> None:
        self._recording, self._name = recording, name

    def get(self, key: str, default: Any = None) -> Any:
        found, value = self._recording.read(f"{self._name}.get", key)
        return value if found else default

    def __contains__(self, key: object) -> bool:
        return self._recording.read(f"{self._name}.in", key)


class RecordingIndex:
    """A ConceptIndex seen through the reads in READS, each recorded with its result."""

    def __init__(self, index: ConceptIndex) -> None:
        self._index = index
        self._reads: dict[tuple[str, tuple], Any] = {}

    def read(self, operation: str, *arguments: Any) -> Any:
        """Answer one read from the index and record it."""
        key = (operation, arguments)
        if key in self._reads:
            return self._reads[key]
        result = self._reads[key] = READS[operation](self._index, *arguments)
        return result

    def take(self) -> list[Read]:
        """Return the reads recorded since the last take, and start afresh."""
        reads = [(operation, arguments, result) for (operation, arguments), result in self._reads.items()]
        self._reads = {}
        return reads

    def english_label(self, slug: str) -> str:
        return self.read("english_label", slug)

    def arabic_label(self, slug: str) -> str | None:
        return self.read("arabic_label", slug)

    def anchors(self, slug: str) -> list[str]:
        return self.read("anchors", slug)

    def spellings(self, slug: str) -> list[str]:
        return self.read("spellings", slug)

    def terms_of(self, article_slug: str) -> list:
        return self.read("terms_of", article_slug)

    def has_article(self, slug: str) -> bool:
        return self.read("has_article", slug)

    def keyword_label(self, slug: str, fallback: str) -> str:
        return self.read("keyword_label", slug, fallback)

    @property
    def names(self) -> _RecordedMapping:
        return _RecordedMapping(self, "names")

    @property
    def abbreviations(self) -> _RecordedMapping:
        return _RecordedMapping(self, "abbreviations")

    @property
    def term_of(self) -> _RecordedMapping:
        return _RecordedMapping(self, "term_of")

    @property
    def acronym_owner(self) -> _RecordedMapping:
        return _RecordedMapping(self, "acronym_owner")


def still_valid(reads: Iterable[Read], index: ConceptIndex) -> bool:
    """Tell whether every recorded read gives the same result on `index`."""
    return all(READS[operation](index, *arguments) == result for operation, arguments, result in reads)


def alias_reads(targets: Iterable[str], aliases: dict[str, str]) -> tuple[tuple[str, str | None], ...]:
    """Return where each link target was pointed by `aliases` (None: left as written), sorted."""
    return tuple(sorted((target, aliases.get(target)) for target in set(targets)))
