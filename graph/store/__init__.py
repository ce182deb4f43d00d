"""The Store protocol every backend implements: one graph version to read, by trusted queries and user queries.

Backends: ``graph.store.embedded.EmbeddedStore`` (a version's on-disk pyoxigraph store, opened read-only by
every process, with killable query processes for user queries) and ``graph.store.remote.RemoteStore`` (any
SPARQL 1.1 Protocol server). A new backend is a class that implements this protocol; nothing calls a
store's private attributes.

Usage::

    store.select("SELECT ?l WHERE { ?c skos:prefLabel ?l }", {"c": NamedNode(iri)})
    list(store.triples(NamedNode(iri), None, None))
    store.protocol_query(query_text, "json", max_rows=10_000, timeout=10.0)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import pyoxigraph as ox

from graph.store.results import QueryOutput

CBD_QUERY = """
CONSTRUCT { ?resource ?p ?o . ?part ?pp ?po . ?other ?lp ?label }
WHERE {
  { ?resource ?p ?o }
  UNION
  { ?resource ?p1 ?head . FILTER(isIRI(?head) && CONTAINS(STR(?head), "#"))
    ?head <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>* ?part . ?part ?pp ?po }
  UNION
  { ?resource <https://schema.org/subjectOf> ?part . ?part ?pp ?po }
  UNION
  { ?resource <https://schema.org/subjectOf> ?article . ?article ?h1 ?part .
    FILTER(isIRI(?part) && CONTAINS(STR(?part), "#")) ?part ?pp ?po }
  UNION
  { ?resource <https://schema.org/subjectOf> ?article . ?article ?h1 ?middle . ?middle ?h2 ?part .
    FILTER(isIRI(?middle) && CONTAINS(STR(?middle), "#") && isIRI(?part) && CONTAINS(STR(?part), "#"))
    ?part ?pp ?po }
  UNION
  { ?resource ?p2 ?other . FILTER(isIRI(?other) && !CONTAINS(STR(?other), "#"))
    ?other ?lp ?label . FILTER(?lp IN (<http://www.w3.org/2004/02/skos/core#prefLabel>, <https://schema.org/name>)) }
}
"""
"""The concise bounded description of a resource: its triples, its article's parts and its objects' labels."""


class Store(Protocol):
    """One graph version to read from: trusted internal queries, and limited user queries."""

    version: str
    isolates_user_queries: bool  # True when user queries never run (nor get planned) in a request thread
    refusal: str | None  # why user queries are refused here (no sandbox for them), else None

    def select(self, query: str, bindings: dict[str, ox.NamedNode | ox.Literal] | None = None) -> list[dict]:
        """Run a trusted internal SELECT with values bound (never pasted into the text)."""

    def rows(self, query: str) -> list[tuple]:
        """Run a trusted whole-graph SELECT (no user input) and return its rows as tuples of terms."""

    def triples(self, subject: ox.NamedNode | ox.BlankNode | None, predicate: ox.NamedNode | None,
                obj: ox.NamedNode | ox.Literal | None) -> Iterable[ox.Triple]:
        """Return the triples matching a pattern (None matches anything)."""

    def construct(self, query: str, bindings: dict | None = None) -> list[ox.Triple]:
        """Run a trusted internal CONSTRUCT/DESCRIBE and return its triples."""

    def describe(self, iri: str) -> list[ox.Triple]:
        """Return the concise bounded description of one resource (CBD_QUERY)."""

    def triple_count(self) -> int:
        """Return the number of triples in the graph."""

    def protocol_query(self, query: str, fmt: str, *, max_rows: int, timeout: float,
                       limit: int | None = None) -> QueryOutput:
        """Evaluate a user's query under the time and row limits (raises graph.store.pool errors)."""

    def start(self) -> None:
        """Open files and start query processes now, without waiting for them (a server worker after fork)."""

    def ready(self) -> bool:
        """Return True when user queries can be answered now (every query process is up)."""

    def close(self) -> None:
        """Release processes and files."""
