"""Internal-link suggestions: where an article names another concept in plain text without linking it.

A mention is a concept's label (any language), altLabel, hiddenLabel, abbreviation or the anchor text of a
link to it, matched word by word in folded form (``graph.arabic.fold``, lower case, a leading definite
article dropped from each word: "للتسويق الفيروسي" names "التسويق الفيروسي"), longest match first, over a
token trie: one dict look-up per word of text, however many labels there are. Only the unlinked text of
paragraphs and list items is read (``runs`` of graph.articletext: never links, headings, code, images or
front matter). Left out: the article's own concept, the terms it defines, and a target it links already,
unless it is named before that link (then the first mention is where the link belongs).

One suggestion per target, at its first unlinked mention, ranked by how useful the link would be::

    score = 2·[target has an article] + 1·[target is a defined term] + log2(1 + unlinked mentions)
            + 1 / (1 + links the target already has) − 1.5·[the article links it later]

(ties: the earlier line, then the slug). The build computes them for every article into the version's text
database (table ``suggestion``); a request reads one row.

Usage::

    matcher = MentionMatcher(model)
    matcher.find("تعتمد على وسائل التواصل الاجتماعي")   # [(13, 33, Target('social-media', ...))]
    suggestions_for(model, matcher, record)            # [{'target': 'social-media', 'line': 14, ...}, ...]
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from graph.arabic import fold_with_offsets
from graph.readmodel.fulltext import window, word_key
from graph.readmodel.indexes import ReadModel

FIELD_RANK = {"prefLabel": 0, "abbreviation": 1, "altLabel": 1, "hiddenLabel": 2, "anchor": 3}
KEPT_PER_ARTICLE = 200  # suggestions saved per article at most
OTHER_LINES = 20  # lines of further mentions listed per suggestion
SNIPPET_CHARS = 160
_END = ""  # the trie key of a complete pattern (no word is empty)
_WORD = re.compile(r"[^\W_]+")
_LATIN_UPPER = re.compile(r"^[A-Z0-9][A-Z0-9&\-]*$")


@dataclass(frozen=True)
class Target:
    """What a pattern names: the concept, which kind of label it is, and the label as written."""

    slug: str
    field: str
    label: str
    exact: bool  # an upper-case Latin acronym: the text must spell it with the same letters and case


class MentionMatcher:
    """A token trie of every concept's names (folded word keys), answering longest-first matches in text."""

    def __init__(self, model: ReadModel) -> None:
        self.model = model
        self.trie: dict = {}
        self._keys: dict[str, str] = {}
        best: dict[tuple[str, ...], tuple[tuple, Target]] = {}
        for slug, concept in model.concepts.items():
            in_links = len(model.link_sources(slug))
            names = [(label, "prefLabel") for label in concept.labels.values()]
            names += [(label, "abbreviation") for label in concept.abbreviations]
            names += [(label, "altLabel") for label, _ in concept.alt_labels]
            names += [(label, "hiddenLabel") for label, _ in concept.hidden_labels]
            names += [(anchor["text"], "anchor") for edge in model.inc.get(("concept", slug), ())
                      for anchor in edge.anchors if anchor["text"]]
            for label, field in names:
                key = self.key(label)
                exact = bool(_LATIN_UPPER.match(label.strip())) and len(label.strip()) <= 10
                if not key or (sum(map(len, key)) < 3 and not exact):
                    continue
                rank = (FIELD_RANK[field], not concept.has_article, -in_links, slug)
                if key not in best or rank < best[key][0]:
                    best[key] = (rank, Target(slug, field, label.strip(), exact))
        for key, (_, target) in best.items():
            node = self.trie
            for word in key:
                node = node.setdefault(word, {})
            node[_END] = target

    def key(self, text: str) -> tuple[str, ...]:
        """Return the word keys of a text."""
        folded, _ = fold_with_offsets(text)
        return tuple(self._word_keys(_WORD.findall(folded)))

    def _word_keys(self, words: list[str]) -> list[str]:
        keys = self._keys
        return [keys[w] if w in keys else keys.setdefault(w, word_key(w)) for w in words]

    def find(self, text: str) -> list[tuple[int, int, Target]]:
        """Return the (start, end, target) of every name in `text`, longest first, left to right, never overlapping."""
        folded, offsets = fold_with_offsets(text)
        words = _WORD.findall(folded)
        keys = self._word_keys(words)
        trie = self.trie
        found: list[tuple[int, int, Target]] = []
        after = 0
        for i in [i for i, key in enumerate(keys) if key in trie]:
            if i < after:
                continue
            node, end, target, j = trie[keys[i]], 0, None, i + 1
            while True:
                if _END in node:
                    end, target = j, node[_END]
                if j == len(keys) or keys[j] not in node:
                    break
                node, j = node[keys[j]], j + 1
            if target is not None:
                found.append((i, end, target))
                after = end
        if not found:
            return []
        spans = [m.span() for m in _WORD.finditer(folded)]
        out = []
        for i, end, target in found:
            start, stop = spans[i][0], spans[end - 1][1]
            if offsets is not None:
                if not offsets:
                    continue  # NFKC changed this text: no place to point at
                start, stop = offsets[start], offsets[stop - 1] + 1
            if target.exact and text[start:stop] != target.label:
                continue
            out.append((start, stop, target))
        return out


def _snippet(text: str, start: int, end: int) -> dict:
    """Return about SNIPPET_CHARS of a run of text around a mention, with the mention's offsets in it."""
    shown = window(text, [(start, end)], SNIPPET_CHARS)
    del shown["at"]
    return shown


def suggestions_for(model: ReadModel, matcher: MentionMatcher, record: dict) -> list[dict]:
    """Return the link suggestions of one article record (graph.articletext), best first."""
    own = record["slug"]
    first_link: dict[str, int] = {}
    defined: set[str] = set()
    for edge in model.out.get(("concept", own), ()):
        if edge.relation == "linksTo":
            lines = [a["line"] for a in edge.anchors if a.get("line")]
            first_link[edge.target] = min(lines) if lines else 0
        elif edge.relation == "definesTerm":
            defined.add(edge.target)
    mentions: dict[str, list[tuple[int, str, int, int, Target]]] = {}
    for line, text in record["runs"]:
        for start, end, target in matcher.find(text):
            slug = target.slug
            if slug == own or slug in defined or (slug in first_link and line >= first_link[slug]):
                continue
            mentions.setdefault(slug, []).append((line, text, start, end, target))
    out = []
    for slug, found in mentions.items():
        concept = model.concepts[slug]
        in_links = len(model.link_sources(slug))
        linked_at = first_link.get(slug)
        score = (2.0 * concept.has_article + 1.0 * (concept.concept_kind == "term") + math.log2(1 + len(found))
                 + 1 / (1 + in_links) - 1.5 * (linked_at is not None))
        line, text, start, end, target = found[0]
        out.append({
            "target": slug, "text": text[start:end], "line": line, "snippet": _snippet(text, start, end),
            "field": target.field, "label": target.label, "mentions": len(found),
            "other_lines": sorted({m[0] for m in found[1:]})[:OTHER_LINES], "linked_at": linked_at or None,
            "target_links_in": in_links, "target_kind": concept.concept_kind, "score": round(score, 4),
        })
    out.sort(key=lambda s: (-s["score"], s["line"], s["target"]))
    return out[:KEPT_PER_ARTICLE]


def markdown_link(text: str, slug: str) -> str:
    """Return the markdown of an internal link, as articles write them: [text](/slug)."""
    anchor = text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    target = "".join(quote(char, safe="") if char in " ()<>%" else char for char in slug)
    return f"[{anchor}](/{target})"


def write_suggestions(connection: sqlite3.Connection, model: ReadModel, records: Iterable[dict]) -> int:
    """Save every article's suggestions (JSON per concept slug, with the article's path); return how many."""
    matcher = MentionMatcher(model)
    connection.execute("CREATE TABLE suggestion (slug TEXT PRIMARY KEY, path TEXT, body TEXT) WITHOUT ROWID")
    count = 0
    with connection:
        rows = []
        for record in records:
            if record["slug"] not in model.concepts:
                continue
            found = suggestions_for(model, matcher, record)
            count += len(found)
            rows.append((record["slug"], record["path"], json.dumps(found, ensure_ascii=False)))
            if len(rows) >= 1000:
                connection.executemany("INSERT OR REPLACE INTO suggestion VALUES (?, ?, ?)", rows)
                rows = []
        connection.executemany("INSERT OR REPLACE INTO suggestion VALUES (?, ?, ?)", rows)
    return count
