"""The records of the read model: a node (concept, keyword or organization) and an edge between two nodes.

Usage::

    Concept(iri=vocab.concept("x"), slug="x").concept_kind   # 'redlink'
    Edge("a", "b", "linksTo").relation
    local_name("https://schema.org/about")                     # 'about'
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field

import orjson

SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
KINDS = ("concept", "keyword", "organization")
"""The kinds of node the read model indexes (articles are reached through their concept)."""
CONCEPT_KINDS = ("article", "redlink", "term")
"""What a concept is: it has an article, it is a defined term, or it is only linked to (a red link)."""

Node = tuple[str, str]  # (kind, slug)


@functools.lru_cache(maxsize=1024)
def local_name(iri: str) -> str:
    """Return the part of an IRI after its last '#' or '/'."""
    return re.split(r"[#/]", iri)[-1]


@dataclass
class Concept:
    """Everything the read model knows about one concept (or keyword, or organization) node."""

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


def json_bytes(value) -> bytes:
    """Return compact UTF-8 JSON (orjson; the json module for what orjson refuses, e.g. very large ints)."""
    try:
        # copied: the bytes orjson returns keep its whole output buffer (about 4 KB more than their length,
        # measured), which a kept answer would hold on to unaccounted
        return bytes(memoryview(orjson.dumps(value)))
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
