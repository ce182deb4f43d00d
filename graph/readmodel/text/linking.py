"""Internal-link suggestions: where an article names another concept in plain text without linking it.

A mention is a concept's label (any language), altLabel, hiddenLabel, abbreviation or the anchor text of a
link to it, matched word by word in folded form (``graph.arabic.fold``, lower case, a leading definite
article dropped from each word: "للتسويق الفيروسي" names "التسويق الفيروسي"), longest match first, over a
token trie: one dict look-up per word of text, however many labels there are. Only the unlinked text of
paragraphs and list items is read (``runs`` of graph.parse.articletext: never links, headings, code, images or
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

import bisect
import itertools
import json
import math
import re
from dataclasses import dataclass
from urllib.parse import quote

from graph.arabic import fold, fold_with_offsets
from graph.readmodel.indexes import ReadModel
from graph.readmodel.text.fulltext import window, word_key

FIELD_RANK = {"prefLabel": 0, "abbreviation": 1, "altLabel": 1, "hiddenLabel": 2, "anchor": 3}
KEPT_PER_ARTICLE = 200  # suggestions saved per article at most
OTHER_LINES = 20  # lines of further mentions listed per suggestion
SNIPPET_CHARS = 160
_END = ""  # the trie key of a complete pattern (no word is empty)
_WORD = re.compile(r"[^\W_]+")
_WORD_PARTS = re.compile(r"([^\W_]+)")
_RUN_BREAK = " \u16a0\u16a0 "  # between two runs: a word no name has (runic letters), so no match spans both
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
        return tuple(self._word_keys(_WORD.findall(fold(text))))

    def _word_keys(self, words: list[str]) -> list[str]:
        keys = self._keys
        return [keys[w] if w in keys else keys.setdefault(w, word_key(w)) for w in words]

    def _key_of(self, word: str) -> str:
        found = self._keys.get(word)
        return found if found is not None else self._keys.setdefault(word, word_key(word))

    def find(self, text: str) -> list[tuple[int, int, Target]]:
        """Return the (start, end, target) of every name in `text`, longest first, left to right, never overlapping."""
        return [(start, end, target) for _, start, end, target in self.find_in_runs([text])]

    def find_in_runs(self, runs: list[str]) -> list[tuple[int, int, int, Target]]:
        """Return (run, start, end, target) of the names in each text of `runs` (as find), in one pass over all."""
        text = _RUN_BREAK.join(runs)  # one fold and one split per article: the cost is per character, not per run
        folded = fold_with_offsets(text)
        if not folded.exact:
            return []  # NFKC changed this text: no place to point at
        parts = _WORD_PARTS.split(folded.text)  # [space, word, space, word, ..., space]
        words = parts[1::2]
        trie, memo = self.trie, self._keys
        known = memo.get
        found: list[tuple[int, int, Target]] = []
        after = 0
        # one pass over the words: those whose key starts a name, and those not seen yet (their key is worked out)
        for i in [i for i, word in enumerate(words) if (key := known(word)) is None or key in trie]:
            if i < after or self._key_of(words[i]) not in trie:
                continue
            node, end, target, j = trie[memo[words[i]]], 0, None, i + 1
            while True:
                if _END in node:
                    end, target = j, node[_END]
                if j == len(words) or self._key_of(words[j]) not in node:
                    break
                node, j = node[memo[words[j]]], j + 1
            if target is not None:
                found.append((i, end, target))
                after = end
        if not found:
            return []
        ends = list(itertools.accumulate(map(len, parts)))  # word i spans ends[2i] .. ends[2i + 1]
        starts = list(itertools.accumulate((len(run) + len(_RUN_BREAK) for run in runs), initial=0))
        out = []
        for i, end, target in found:
            start, stop = folded.place(ends[2 * i]), folded.place(ends[2 * end - 1] - 1) + 1
            run = bisect.bisect_right(starts, start) - 1
            start, stop = start - starts[run], stop - starts[run]
            if target.exact and runs[run][start:stop] != target.label:
                continue
            out.append((run, start, stop, target))
        return out


def _snippet(text: str, start: int, end: int) -> dict:
    """Return about SNIPPET_CHARS of a run of text around a mention, with the mention's offsets in it."""
    shown = window(text, [(start, end)], SNIPPET_CHARS)
    del shown["at"]
    return shown


def suggestions_for(model: ReadModel, matcher: MentionMatcher, record: dict) -> list[dict]:
    """Return the link suggestions of one article record (graph.parse.articletext), best first."""
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
    runs = record["runs"]
    for run, start, end, target in matcher.find_in_runs([text for _, text in runs]):
        slug = target.slug
        line, text = runs[run]
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


def suggestions_json(model: ReadModel, matcher: MentionMatcher, record: dict) -> str | None:
    """Return an article's suggestions as the JSON the text database keeps, None when its concept is unknown."""
    if record["slug"] not in model.concepts:
        return None
    return json.dumps(suggestions_for(model, matcher, record), ensure_ascii=False)
