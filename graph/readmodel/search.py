"""Arabic-aware label search for the REST API: the look-up structure, its entries, ranking and highlights.

Search ranks by (source, tier, field, language, length, slug): label-like matches (labels, abbreviations,
anchor texts, slugs) come before keyword matches (a concept found through one of its keywords);
tiers are exact (0) > prefix (1) > word-prefix (2) > infix (3); each is tried on two forms of every
text, ``graph.arabic.normalize`` and ``graph.arabic.match_key`` (definite article stripped), the same
normalisation the build pipeline resolves concepts with. Within a tier, prefLabel > abbreviation /
altLabel > hiddenLabel > anchor text > slug, then labels in the requested language, then shorter
texts. Exact matches are dict look-ups, prefix and word-prefix matches bisect sorted lists of forms
and word suffixes, and infix matches scan one joined string with ``str.find`` (only when the
cheaper tiers found too little).
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass

from graph.arabic import match_key, normalize

FIELD_RANK = {"prefLabel": 0, "abbreviation": 1, "altLabel": 1, "hiddenLabel": 2, "anchor": 3, "slug": 4,
              "keyword": 5}
TIERS = ("exact", "prefix", "word", "infix")
_WORD = re.compile(r"[^\W_]+")
_ARTICLE = re.compile(r"(?:[وبفك]?ال|لل)(?=[^\W\d_]{2})")


@dataclass
class Hit:
    """One search result: the concept, its best match tier, the matched text and field."""

    slug: str
    tier: int
    field: str
    text: str
    lang: str | None
    form: str  # the normalised form matched
    offset: int  # start of the query in `form`
    length: int  # length of the query in `form`
    via_keyword: str | None = None
    key_form: bool = False


class SearchIndex:
    """exact / prefix / word-prefix / infix look-ups over normalised label forms."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.owners: list[tuple[str, str]] = []  # (kind, slug)
        self.fields: list[str] = []
        self.langs: list[str | None] = []
        self._exact: dict[str, list[tuple[int, bool]]] = defaultdict(list)
        self._prefix: list[tuple[str, int, bool]] = []
        self._words: list[tuple[str, int, int, bool]] = []
        self._infix = ""
        self._infix_starts: list[int] = []
        self._forms: list[tuple[str, str]] = []

    def add(self, kind: str, slug: str, text: str, field_name: str, lang: str | None) -> None:
        """Add one searchable text of a node (call freeze() once all are added)."""
        self.texts.append(text)
        self.owners.append((kind, slug))
        self.fields.append(field_name)
        self.langs.append(lang)

    def freeze(self) -> None:
        """Compute the normalised forms and sort the look-up tables."""
        parts = []
        position = 0
        for i, text in enumerate(self.texts):
            norm, key = normalize(text), match_key(text)
            self._forms.append((norm, key))
            for form, is_key in ((norm, False), (key, True)):
                if not form or (is_key and form == norm):
                    continue
                self._exact[form].append((i, is_key))
                self._prefix.append((form, i, is_key))
                for match in _WORD.finditer(form):
                    if match.start() > 0:
                        self._words.append((form[match.start():], i, match.start(), is_key))
            self._infix_starts.append(position)
            parts.append(norm)
            position += len(norm) + 1
        self._prefix.sort()
        self._words.sort()
        self._infix = "\n".join(parts)

    def __len__(self) -> int:
        """Return the number of entries."""
        return len(self.texts)

    def lookup(self, query: str, cap: int) -> list[tuple[int, int, str, int, int, bool]]:
        """Return (entry, tier, form, offset, length, is_key) matches, best tier first, at most ~cap per tier."""
        qn, qk = normalize(query), match_key(query)
        queries = [(qn, False)] + ([(qk, True)] if qk and qk != qn else [])
        out: list[tuple[int, int, str, int, int, bool]] = []
        seen: set[int] = set()

        def emit(entry: int, tier: int, offset: int, length: int, is_key: bool) -> None:
            if entry not in seen:
                seen.add(entry)
                norm, key = self._forms[entry]
                out.append((entry, tier, key if is_key else norm, offset, length, is_key))

        for q, _ in queries:
            for entry, is_key in self._exact.get(q, ()):
                emit(entry, 0, 0, len(q), is_key)
        for q, _ in queries:
            start = bisect.bisect_left(self._prefix, (q,))
            for form, entry, is_key in self._prefix[start:start + cap]:
                if not form.startswith(q):
                    break
                emit(entry, 1, 0, len(q), is_key)
        for q, _ in queries:
            start = bisect.bisect_left(self._words, (q,))
            for suffix, entry, offset, is_key in self._words[start:start + cap]:
                if not suffix.startswith(q):
                    break
                emit(entry, 2, offset, len(q), is_key)
        if len(seen) < cap and qn:
            found = 0
            position = self._infix.find(qn)
            while position >= 0 and found < cap:
                entry = bisect.bisect_right(self._infix_starts, position) - 1
                offset = position - self._infix_starts[entry]
                if offset + len(qn) <= len(self._forms[entry][0]):
                    emit(entry, 3, offset, len(qn), False)
                    found += 1
                position = self._infix.find(qn, position + 1)
        return out

    def search(self, query: str, limit: int, lang: str | None, keyword_concepts: dict[str, list[str]]) -> list[Hit]:
        """Return up to `limit` concepts matching `query`, best first (see the module docstring)."""
        cap = max(limit * 20, 200)
        matches = self.lookup(query, cap)
        best: dict[str, tuple[tuple, Hit]] = {}
        for entry, tier, form, offset, length, is_key in matches:
            kind, owner = self.owners[entry]
            field_name, entry_lang, text = self.fields[entry], self.langs[entry], self.texts[entry]
            lang_penalty = 0 if lang is None or entry_lang in (None, lang) else 1
            if kind == "concept":
                rank = (0, tier, FIELD_RANK[field_name], lang_penalty, len(text), owner)
                hits = [(owner, None)]
            else:
                hits = [(member, owner) for member in keyword_concepts.get(owner, ())]
                rank = (1, tier, FIELD_RANK[field_name], lang_penalty, len(text))
            for slug, via in hits:
                full = (*rank[:5], slug) if via else rank
                if slug not in best or full < best[slug][0]:
                    best[slug] = (full, Hit(slug, tier, field_name, text, entry_lang, form, offset, length, via,
                                            is_key))
        ranked = sorted(best.values(), key=lambda pair: pair[0])
        return [hit for _, hit in ranked[:limit]]


def _prefix_lengths(text: str) -> list[int]:
    """Return the normalised length of every prefix of `text`."""
    return [len(normalize(text[:i])) for i in range(len(text) + 1)]


def highlight(text: str, form: str, offset: int, length: int, key_form: bool) -> dict[str, int] | None:
    """Map a match at [offset, offset+length) of a normalised form back to offsets in `text`."""
    norm = normalize(text)
    if key_form:  # map the match_key offsets onto the normalize offsets, word by word
        mapping: list[int] = []
        for match in _WORD.finditer(_strip_articles_keep(norm)):
            if mapping:
                mapping.append(match.start() - 1)  # the joining space
            mapping.extend(range(match.start(), match.end()))
        if offset + length > len(mapping) or length == 0:
            return None
        nstart, nend = mapping[offset], mapping[offset + length - 1] + 1
    else:
        nstart, nend = offset, offset + length
    lengths = _prefix_lengths(text)
    start = next((i for i in range(len(text)) if lengths[i + 1] > nstart), None)
    end = next((j for j in range(len(text) + 1) if lengths[j] >= nend), None)
    if start is None or end is None:
        return None
    while end < len(text) and lengths[end + 1] == lengths[end] and not text[end].isspace():
        end += 1  # keep trailing diacritics / tatweel with the highlighted letter
    return {"start": start, "end": end}


def _strip_articles_keep(norm: str) -> str:
    """Blank out each word-initial definite article (same length, so offsets survive)."""
    return re.sub(r"(?<![^\W_])" + _ARTICLE.pattern, lambda m: " " * len(m.group(0)), norm)
