"""In-memory indexes of the served graph for the REST API: concepts, adjacency, keywords, search.

Built once per graph version (``GraphIndexes.for_store`` caches by ``store.version``) with a handful
of whole-graph SPARQL queries that take no user input; every REST look-up afterwards is a dict or
bisect operation, never a SPARQL scan. Search lives in ``api.search_index``, the related score in
``api.related``.

Usage::

    idx = GraphIndexes.for_store(store, vocab)
    idx.concepts["viral-marketing"].labels          # {'ar': 'التسويق الفيروسي', 'en': 'Viral Marketing'}
    idx.resolve("customer_relation_management")     # ('customer-relation-management', True)
    idx.out[("concept", "social-media-marketing-smm")]   # [Edge(source, target, relation, ...), ...]
    idx.search("التَّسويق الفيروسي", limit=5)        # [Hit(slug='viral-marketing', tier=0, ...)]
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from api.graph_scan import fact_lines, graph_rows
from api.related import related_concepts
from api.search_index import Hit, SearchIndex, highlight
from graph import arabic
from graph.arabic import normalize
from graph.store.disk import index_file, read_pickle, write_atomically, write_pickle
from graph.vocab import Vocabulary, canonical_slug

# Hit and highlight live in api.search_index; re-exported for existing callers (tests/test_rest_search.py).
__all__ = ["SCHEMA", "SKOS", "Concept", "Edge", "GraphIndexes", "Hit", "highlight", "local_name"]

_SKIP_EDGE_PREDICATES = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
    "http://www.w3.org/2004/02/skos/core#inScheme",
    "https://schema.org/subjectOf",
}
SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# The code that shapes the saved indexes: a change to any of it makes the saved file's name differ.
_INDEX_SOURCES = (Path(__file__), Path(__file__).with_name("search_index.py"), Path(__file__).with_name("graph_scan.py"),
                  Path(arabic.__file__))


@functools.lru_cache(maxsize=1024)
def local_name(iri: str) -> str:
    """Return the part of an IRI after its last '#' or '/'."""
    return re.split(r"[#/]", iri)[-1]


@dataclass
class Concept:
    """Everything the indexes know about one concept (or keyword, or organisation) node."""

    iri: str
    slug: str
    kind: str = "concept"  # concept | keyword | organization
    labels: dict[str, str] = field(default_factory=dict)
    alt_labels: list[tuple[str, str]] = field(default_factory=list)
    hidden_labels: list[tuple[str, str]] = field(default_factory=list)
    abbreviations: list[str] = field(default_factory=list)
    definitions: dict[str, str] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)
    has_article: bool = False
    article: str | None = None
    source: str | None = None
    aliases: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    @property
    def concept_kind(self) -> str:
        """Return article (has an article), else term (a defined term), else redlink (only linked to)."""
        if self.has_article:
            return "article"
        if any(t.endswith("#DefinedTerm") for t in self.types):
            return "term"
        return "redlink"


@dataclass(frozen=True)
class Edge:
    """A directed relation between two nodes, keyed by node slug/kind; anchors for linksTo."""

    source: str
    target: str
    relation: str
    source_kind: str = "concept"
    target_kind: str = "concept"
    anchors: tuple[dict, ...] = ()


def _node_kind_slug(vocab: Vocabulary, iri: str) -> tuple[str, str] | None:
    """Return (kind, slug) of a concept, keyword or organisation IRI, else None."""
    found = vocab.slug_of(iri)
    if found is None or found[0] == "article":
        return None
    return found


class GraphIndexes:
    """Every index the REST API answers from, for one graph version."""

    _cache: ClassVar[dict[tuple[int, str, str], GraphIndexes]] = {}
    _lock = threading.Lock()

    def __init__(self, version: str) -> None:
        self.version = version
        self.concepts: dict[str, Concept] = {}
        self.keywords: dict[str, Concept] = {}
        self.organizations: dict[str, Concept] = {}
        self._by_kind = {"concept": self.concepts, "keyword": self.keywords, "organization": self.organizations}
        self.out: dict[str, list[Edge]] = defaultdict(list)
        self.inc: dict[str, list[Edge]] = defaultdict(list)
        self.keyword_concepts: dict[str, list[str]] = defaultdict(list)
        self.aliases: dict[str, str] = {}
        self.by_iri: dict[str, tuple[str, str]] = {}
        self.relations: set[str] = set()
        self.relation_iris: dict[str, str] = {}
        self.link_count = 0
        self.search_index = SearchIndex()
        self.sorted_slugs: list[str] = []
        self.build_seconds = 0.0
        self._related_cache: dict[str, list[dict]] = {}
        self.facts_cache: dict[str, list] = {}
        self.summaries: dict[tuple, dict] = {}  # (kind, slug, language preferences) -> rest_common.summary
        self._link_targets: dict[str, list[str]] = {}
        self._link_sources: dict[str, list[str]] = {}
        self.facts_offsets: dict[str, tuple[int, int]] = {}  # concept IRI -> its fact lines in facts_path
        self.facts_path: str | None = None

    @classmethod
    def _reset_after_fork(cls) -> None:
        """Replace the lock in a forked child, which must not inherit it held by a warm-up thread."""
        cls._lock = threading.Lock()

    # ---------------------------------------------------------------- building

    @classmethod
    def for_store(cls, store, vocab: Vocabulary) -> GraphIndexes:
        """Return the indexes of this store's graph version: cached, else read from disk, else built (and saved)."""
        key = (id(store), store.version, vocab.base)
        found = cls._cache.get(key)
        if found is not None:
            return found
        with cls._lock:
            found = cls._cache.get(key)
            if found is None:
                found = cls._load_or_build(store, vocab)
                cls._forget_locked(store)
                if len(cls._cache) > 8:
                    cls._cache.clear()
                cls._cache[key] = found
            return found

    @classmethod
    def forget(cls, store) -> None:
        """Drop the cached indexes of a store that is no longer served (the cache is keyed by id(store))."""
        with cls._lock:
            cls._forget_locked(store)

    @classmethod
    def _forget_locked(cls, store) -> None:
        for key in [key for key in cls._cache if key[0] == id(store)]:
            del cls._cache[key]

    @classmethod
    def _load_or_build(cls, store, vocab: Vocabulary) -> GraphIndexes:
        """Read the indexes saved beside the store's on-disk graph, else build them and save them there."""
        directory = getattr(store, "store_dir", None)
        path = None
        if directory is not None:
            code = hashlib.sha256(vocab.base.encode())
            for module in _INDEX_SOURCES:
                code.update(module.read_bytes())
            path = index_file(directory, f"rest-indexes-{code.hexdigest()[:16]}.pickle")
            found = read_pickle(path)
            if isinstance(found, GraphIndexes) and found.version == store.version:
                return found
        if path is not None:
            from api.index_build import build_apart, build_in_child

            if build_apart(store) and build_in_child(store, vocab):
                found = read_pickle(path)
                if isinstance(found, GraphIndexes) and found.version == store.version:
                    return found
        facts = path.with_name(path.name.replace("rest-indexes-", "facts-")[:-len(".pickle")] + ".zlib") if path else None
        built = cls.build(store, vocab, facts)
        if path is not None:
            write_pickle(path, built, replaces=index_file(directory, "rest-indexes-*.pickle").name)
            for older in Path(directory).glob(index_file(directory, "facts-*").name):
                if str(older) != built.facts_path:
                    older.unlink(missing_ok=True)
        return built

    def __getstate__(self) -> dict:
        """Return the state to save: everything but the per-process caches of answers."""
        return {**self.__dict__, "_related_cache": {}, "facts_cache": {}, "summaries": {}}

    @classmethod
    def build(cls, store, vocab: Vocabulary, facts_path: Path | None = None) -> GraphIndexes:
        """Read the whole graph once (trusted queries, no user input) and build every index."""
        started = time.perf_counter()
        self = cls(store.version)
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
        rows, lines = graph_rows(store, mkg, list(literal_props), node_types)
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
        self.search_index.add_graph(self)
        if lines is not None and facts_path is not None:
            self._write_facts(lines, vocab, facts_path)
        self.build_seconds = time.perf_counter() - started
        return self

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
        """Return up to `limit` concepts matching `query`, best first (see api.search_index)."""
        return self.search_index.search(query, limit, lang, self.keyword_concepts)

    def suggestions(self, slug: str, limit: int = 5) -> list[str]:
        """Return concept slugs close to an unknown slug: search hits on its words, then similar slugs."""
        import difflib

        words = " ".join(re.split(r"[-_\s]+", slug)).strip()
        found = [hit.slug for hit in self.search(words, limit)] if normalize(words) else []
        for close in difflib.get_close_matches(canonical_slug(slug), self.sorted_slugs, n=limit, cutoff=0.6):
            if close not in found:
                found.append(close)
        return found[:limit]

    # ---------------------------------------------------------------- graph algorithms

    def link_targets(self, slug: str) -> list[str]:
        """Return the concepts `slug` links to."""
        return self._link_targets.get(slug, [])

    def link_sources(self, slug: str) -> list[str]:
        """Return the concepts linking to `slug`."""
        return self._link_sources.get(slug, [])

    def related(self, slug: str, cached: bool = True) -> list[dict]:
        """Return the concepts related to `slug`, best first (cached per slug); see api.related for the score."""
        if not cached:
            return related_concepts(self, slug)
        cached = self._related_cache.get(slug)
        if cached is None:
            cached = related_concepts(self, slug)
            if len(self._related_cache) > 20000:
                self._related_cache.clear()
            self._related_cache[slug] = cached
        return cached


os.register_at_fork(after_in_child=GraphIndexes._reset_after_fork)
