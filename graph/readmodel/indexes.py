"""The indexes of the read model: every look-up the HTTP layer answers from, for one graph version.

Built once per graph version from the scan's rows (``ReadModel.build``), saved beside the version's
on-disk store by ``graph.readmodel.persist`` and read back by every server; every look-up afterwards is a
dict or bisect operation, never a SPARQL scan. Search lives in ``search.py``, the related score in
``related.py``, walks in ``paths.py``, suggestions for unknown slugs in ``suggest.py``.

Usage::

    model = ReadModel.build(store, vocab, Path("build/graph.nt"))
    model.concepts["viral-marketing"].labels          # {'ar': 'التسويق الفيروسي', 'en': 'Viral Marketing'}
    model.resolve("customer_relation_management")     # ('customer-relation-management', True)
    model.out[("concept", "social-media-marketing-smm")]   # [Edge(source, target, relation, ...), ...]
    model.search("التَّسويق الفيروسي", limit=5)        # [Hit(slug='viral-marketing', tier=0, ...)]
"""

from __future__ import annotations

import os
import re
import time
import zlib
from collections import defaultdict
from pathlib import Path

from graph.arabic import normalize
from graph.readmodel.model import SCHEMA, SKOS, Concept, Edge, local_name
from graph.readmodel.scan import fact_lines, graph_rows
from graph.readmodel.search import Hit, SearchIndex
from graph.readmodel.suggest import SlugSuggestions
from graph.readmodel.text.fulltext import TextIndex
from graph.store import Store
from graph.store.disk import write_atomically
from graph.vocab import Vocabulary, canonical_slug

_SKIP_EDGE_PREDICATES = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
    "http://www.w3.org/2004/02/skos/core#inScheme",
    "https://schema.org/subjectOf",
}
SUMMARIES_KEPT = 200_000


_FILES: dict[tuple[int, str], int] = {}  # (process id, path) -> an open descriptor of a file saved with a model


def read_block(path: str, where: tuple[int, int]) -> bytes | None:
    """Return `where` = (offset, length) bytes of a file saved with a read model (one pread), None if unreadable."""
    key = (os.getpid(), path)
    handle = _FILES.get(key)
    try:
        if handle is None:
            handle = _FILES[key] = os.open(path, os.O_RDONLY)
        data = os.pread(handle, where[1], where[0])
    except OSError:
        return None
    return data if len(data) == where[1] else None


def _node_kind_slug(vocab: Vocabulary, iri: str) -> tuple[str, str] | None:
    """Return (kind, slug) of a concept, keyword or organisation IRI, else None."""
    found = vocab.slug_of(iri)
    if found is None or found[0] == "article":
        return None
    return found


class ReadModel:
    """Every index the HTTP layer answers from, for one graph version."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.concepts: dict[str, Concept] = {}
        self.keywords: dict[str, Concept] = {}
        self.organizations: dict[str, Concept] = {}
        self._by_kind = {"concept": self.concepts, "keyword": self.keywords, "organization": self.organizations}
        self.out: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        self.inc: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        self.keyword_concepts: dict[str, list[str]] = defaultdict(list)
        self.aliases: dict[str, str] = {}
        self.by_iri: dict[str, tuple[str, str]] = {}
        self.relations: set[str] = set()
        self.relation_iris: dict[str, str] = {}
        self.link_count = 0
        self.search_index = SearchIndex()
        self.suggester = SlugSuggestions()
        self.group_suggesters = {"keyword": SlugSuggestions(), "organization": SlugSuggestions()}
        self.sorted_slugs: list[str] = []
        self.build_seconds = 0.0
        self.kept: dict[tuple, object] = {}  # per node and language choice: see keep()
        self._link_targets: dict[str, list[str]] = {}
        self._link_sources: dict[str, list[str]] = {}
        self.facts_offsets: dict[str, tuple[int, int]] = {}  # concept IRI -> its fact lines in facts_path
        self.facts_path: str | None = None
        self.neighbourhood_offsets: dict[str, tuple[int, int]] = {}  # concept slug -> its saved neighbourhood
        self.neighbourhood_path: str | None = None
        self.text_path: str | None = None  # the text index and link suggestions (fulltext.py, linking.py)

    def __getstate__(self) -> dict:
        """Return the state to save: everything but the values kept per process."""
        return {**self.__dict__, "kept": {}}

    def keep(self, key: tuple, make):
        """Return the value kept under `key` (a node summary per language choice), making it on first use."""
        # measured: node summaries memoised per graph version took concept detail from 1.7 to 1.3 ms
        found = self.kept.get(key)
        if found is None:
            found = make()
            if len(self.kept) < SUMMARIES_KEPT:  # a few per node and language choice: bounded, never evicted
                self.kept[key] = found
        return found

    @classmethod
    def build(cls, store: Store | None, vocab: Vocabulary, graph_nt: Path | None = None,
              facts_path: Path | None = None, *, version: str | None = None) -> ReadModel:
        """Read the whole graph once (its sorted N-Triples, else trusted queries) and build every index.

        With `graph_nt` and `version`, the store is not read (None will do).
        """
        started = time.perf_counter()
        self = cls(version if version is not None else store.version)  # type: ignore[union-attr]
        mkg = str(vocab.MKG)

        def node(iri: str) -> Concept | None:
            found = _node_kind_slug(vocab, iri)
            if found is None:
                return None
            kind, slug = found
            table = self._by_kind[kind]
            if slug not in table:
                table[slug] = Concept(iri=iri, slug=slug, kind=kind)
                self.by_iri[iri] = (kind, slug)
            return table[slug]

        literal_props = {
            SKOS + "prefLabel": "pref", SKOS + "altLabel": "alt", SKOS + "hiddenLabel": "hidden",
            SKOS + "definition": "def", mkg + "abbreviation": "abbr", mkg + "slugAlias": "alias",
            mkg + "hasArticle": "has", SCHEMA + "name": "name",
        }
        node_types = (mkg + "Concept", mkg + "Keyword", SCHEMA + "Organization", mkg + "DefinedTerm")
        rows, lines = graph_rows(store, graph_nt, mkg, list(literal_props), node_types)
        for subject, type_ in rows.types:
            item = node(subject.value)
            if item is not None:
                item.types.append(type_.value)
        for subject, predicate, literal in rows.literals:
            iri = subject.value
            if iri not in self.by_iri:
                continue
            item = self.node(*self.by_iri[iri])
            what = literal_props[predicate.value]
            lang = literal.language or None
            if what in ("pref", "name"):
                item.labels.setdefault(lang or "", literal.value)
            elif what == "alt":
                item.alt_labels.append((literal.value, lang or ""))
            elif what == "hidden":
                item.hidden_labels.append((literal.value, lang or ""))
            elif what == "def":
                item.definitions.setdefault(lang or "", literal.value)
            elif what == "abbr":
                item.abbreviations.append(literal.value)
            elif what == "alias":
                item.aliases.append(literal.value)
            elif what == "has":
                item.has_article = literal.value in ("true", "1")
        for subject, article, path in rows.articles:
            kind_slug = self.by_iri.get(subject)
            if kind_slug and kind_slug[0] == "concept":
                item = self.concepts[kind_slug[1]]
                item.article = item.article or article
                if path is not None:
                    item.source = item.source or path

        anchors: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for subj, obj, text, line, section in rows.links:
            source, target = self.by_iri.get(subj), self.by_iri.get(obj)
            self.link_count += 1
            if not source or not target:
                continue
            anchor = {"text": text, "line": line, "section": section}
            anchors[(source[1], target[1])].append(anchor)

        seen_edges: set[tuple] = set()
        for subj, pred, obj in rows.edges:
            predicate = pred.value
            if predicate in _SKIP_EDGE_PREDICATES:
                continue
            source, target = self.by_iri.get(subj.value), self.by_iri.get(obj.value)
            if source is None or target is None:
                continue
            relation = local_name(predicate)
            if (source, relation, target) in seen_edges:
                continue
            seen_edges.add((source, relation, target))
            self.relations.add(relation)
            self.relation_iris.setdefault(relation, predicate)
            link_anchors = anchors.get((source[1], target[1]), []) if relation == "linksTo" else []
            link_anchors = sorted(link_anchors, key=lambda a: (a["line"] or 0, a["text"] or ""))
            edge = Edge(source[1], target[1], relation, source[0], target[0], tuple(link_anchors))
            self.out[source].append(edge)
            self.inc[target].append(edge)
            if relation == "hasKeyword" and source[0] == "concept" and target[0] == "keyword":
                self.concepts[source[1]].keywords.append(target[1])
                self.keyword_concepts[target[1]].append(source[1])
        for edges in (*self.out.values(), *self.inc.values()):
            edges.sort(key=lambda e: (e.relation, e.source, e.target))
        for item in self.concepts.values():
            item.keywords.sort()
            item.alt_labels.sort()  # the same order whichever way the rows were read
            item.hidden_labels.sort()
            item.types.sort()
            for alias in item.aliases:
                self.aliases.setdefault(alias, item.slug)
                self.aliases.setdefault(canonical_slug(alias), item.slug)
        for members in self.keyword_concepts.values():
            members.sort()
        self.sorted_slugs = sorted(self.concepts)
        for (kind, slug), edges in self.out.items():
            if kind == "concept":
                self._link_targets[slug] = [e.target for e in edges if e.relation == "linksTo"]
        for (kind, slug), edges in self.inc.items():
            if kind == "concept":
                self._link_sources[slug] = [e.source for e in edges if e.relation == "linksTo"]
        self._add_search_entries()
        self.suggester.add(self.sorted_slugs)
        for kind, suggester in self.group_suggesters.items():
            suggester.add(sorted(self._by_kind[kind]))
        if lines is not None and facts_path is not None:
            self._write_facts(lines, vocab, facts_path)
        if lines is not None:
            lines.close()
        self.build_seconds = time.perf_counter() - started
        return self

    def _add_search_entries(self) -> None:
        """Put every concept's labels, abbreviations, anchor texts and slug, and every keyword, in the search index."""
        for slug in self.sorted_slugs:
            item = self.concepts[slug]
            seen: set[str] = set()

            def add(text: str, field_name: str, lang: str | None, item=item, seen=seen) -> None:
                norm = normalize(text)
                if norm and norm not in seen:
                    seen.add(norm)
                    self.search_index.add("concept", item.slug, text, field_name, lang or None)

            for lang, label in sorted(item.labels.items()):
                add(label, "prefLabel", lang)
            for abbreviation in item.abbreviations:
                add(abbreviation, "abbreviation", None)
            for label, lang in item.alt_labels:
                add(label, "altLabel", lang)
            for label, lang in item.hidden_labels:
                add(label, "hiddenLabel", lang)
            for edge in self.inc.get(("concept", slug), ()):
                for anchor in edge.anchors:
                    if anchor["text"]:
                        add(anchor["text"], "anchor", None)
            add(slug.replace("-", " "), "slug", None)
        for slug in sorted(self.keywords):
            item = self.keywords[slug]
            for lang, label in sorted(item.labels.items()):
                self.search_index.add("keyword", slug, label, "keyword", lang or None)
            self.search_index.add("keyword", slug, slug.replace("-", " "), "keyword", None)
        self.search_index.freeze()

    def _write_facts(self, lines: dict, vocab: Vocabulary, path: Path) -> None:
        """Save every concept's fact lines (N-Triples, zlib) in one file, with their offsets in these indexes."""
        roots = [(c.iri, c.article or str(vocab.article(c.slug))) for c in self.concepts.values()]
        offsets, chunks, size = {}, [], 0
        for iri, lines_of_concept in fact_lines(lines, roots, str(vocab.MKG)):
            blob = zlib.compress(lines_of_concept, 1)  # ~5x smaller: the file stays in the page cache
            offsets[iri] = (size, len(blob))
            chunks.append(blob)
            size += len(blob)
        if write_atomically(path, b"".join(chunks)):
            self.facts_offsets, self.facts_path = offsets, str(path)

    # ---------------------------------------------------------------- look-ups

    def resolve(self, slug: str) -> tuple[str, bool] | None:
        """Return (canonical slug, is_other_spelling) for a concept slug or alias, else None."""
        if slug in self.concepts:
            return slug, False
        for candidate in (self.aliases.get(slug), canonical_slug(slug)):
            if candidate and candidate in self.concepts:
                return candidate, True
            if candidate and candidate in self.aliases:
                return self.aliases[candidate], True
        return None

    def resolve_keyword(self, slug: str, kind: str = "keyword") -> tuple[str, bool] | None:
        """Return (canonical slug, is_other_spelling) for a keyword (or organization) slug, else None."""
        nodes = self._by_kind[kind]
        if slug in nodes:
            return slug, False
        candidate = canonical_slug(slug)
        if candidate in nodes:
            return candidate, True
        return None

    def node(self, kind: str, slug: str) -> Concept | None:
        """Return the concept, keyword or organisation node with this slug, else None."""
        return self._by_kind.get(kind, {}).get(slug)

    def search(self, query: str, limit: int = 10, lang: str | None = None) -> list[Hit]:
        """Return up to `limit` concepts matching `query`, best first (see search.py)."""
        return self.search_index.search(query, limit, lang, self.keyword_concepts)

    def suggestions(self, slug: str, limit: int = 5) -> list[str]:
        """Return concept slugs close to an unknown slug: search hits on its words, then similar slugs."""
        words = " ".join(re.split(r"[-_\s]+", slug)).strip()
        found = [hit.slug for hit in self.search(words, limit)] if normalize(words) else []
        for close in self.suggester.closest(canonical_slug(slug), limit):
            if close not in found:
                found.append(close)
        return found[:limit]

    def saved_neighbourhood(self, slug: str) -> bytes | None:
        """Return the JSON of a concept's neighbourhood with the default parameters, saved with the model."""
        where = self.neighbourhood_offsets.get(slug) if self.neighbourhood_path else None
        return read_block(self.neighbourhood_path, where) if where is not None else None

    def text_index(self) -> TextIndex | None:
        """Return the text index of this version (full-text search, link suggestions), None without article text."""
        if self.text_path is None:
            return None
        return self.keep(("text-index", self.text_path), lambda: TextIndex(self.text_path))

    def group_suggestions(self, kind: str, slug: str, limit: int = 5) -> list[str]:
        """Return keyword (or organization) slugs close to an unknown one."""
        return self.group_suggesters[kind].closest(slug, limit, cutoff=0.5)

    # ---------------------------------------------------------------- graph algorithms

    def link_targets(self, slug: str) -> list[str]:
        """Return the concepts `slug` links to."""
        return self._link_targets.get(slug, [])

    def link_sources(self, slug: str) -> list[str]:
        """Return the concepts linking to `slug`."""
        return self._link_sources.get(slug, [])
