"""The Store protocol every backend implements, and the factory that picks one from settings.

Backends: the embedded pyoxigraph store (`open_store`), and `graph.store.remote.RemoteStore` for any
SPARQL 1.1 Protocol server, chosen by `store = "sparql+http://…"` (see `api.open_graph`).

Usage::

    store = open_store(settings, graph_path)
    store.select("SELECT ?l WHERE { ?c skos:prefLabel ?l }", {"c": NamedNode(iri)})
    store.protocol_query(query_text, "json", max_rows=10_000, timeout=10.0)
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import pyoxigraph as ox

from graph.store.results import QueryOutput


class Store(Protocol):
    """One graph to read from: trusted internal queries, and limited user queries."""

    version: str
    isolates_user_queries: bool  # True when user queries never run (nor get planned) in a request thread

    def select(self, query: str, bindings: dict[str, ox.NamedNode | ox.Literal] | None = None) -> list[dict]:
        """Run a trusted internal SELECT with values bound (never pasted into the text)."""

    def construct(self, query: str, bindings: dict | None = None) -> list[ox.Triple]:
        """Run a trusted internal CONSTRUCT/DESCRIBE and return its triples."""

    def describe(self, iri: str) -> list[ox.Triple]:
        """Return the concise bounded description of one resource."""

    def triple_count(self) -> int:
        """Return the number of triples in the graph."""

    def protocol_query(self, query: str, fmt: str, *, max_rows: int, timeout: float,
                       limit: int | None = None) -> QueryOutput:
        """Evaluate a user's query under the time and row limits (raises graph.store.pool errors)."""

    def close(self) -> None:
        """Release processes and files."""


def open_store(graph_path: Path, *, version: str, query_workers: int, prefixes: dict[str, str],
               store_dir: Path | None = None, triples: int | None = None, sandbox: str = "required") -> Store:
    """Open the embedded store on a built graph: its on-disk store read-only when given, else the file in memory."""
    from graph.store.embedded import EmbeddedStore

    return EmbeddedStore(graph_path, version=version, query_workers=query_workers, prefixes=prefixes,
                         store_dir=store_dir, triples=triples, sandbox=sandbox)
