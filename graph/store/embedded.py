"""The embedded store: pyoxigraph in-process for trusted queries, worker processes for user queries.

Usage::

    store = EmbeddedStore(Path("build/graph.nt"), version="abc", query_workers=2, prefixes=vocab.prefixes())
    store.describe("https://marketing-kg.example/concept/viral-marketing")
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from graph.store.pool import QueryPool, _load_store
from graph.store.results import QueryOutput

_CBD = """
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


class EmbeddedStore:
    """A built graph loaded into pyoxigraph, with a pool of killable query workers."""

    def __init__(self, graph_path: Path, *, version: str, query_workers: int = 2,
                 prefixes: dict[str, str] | None = None) -> None:
        self.graph_path = Path(graph_path)
        self.version = version
        self.prefixes = prefixes or {}
        self._store = _load_store(str(self.graph_path))
        self._count = len(self._store)
        self._pool = QueryPool(self.graph_path, size=query_workers) if query_workers > 0 else None

    def _bind(self, bindings: dict | None) -> dict | None:
        if not bindings:
            return None
        return {ox.Variable(name): value for name, value in bindings.items()}

    def select(self, query: str, bindings: dict | None = None) -> list[dict]:
        result = self._store.query(query, prefixes=self.prefixes, substitutions=self._bind(bindings))
        names = [v.value for v in result.variables]
        return [{name: solution[name] for name in names} for solution in result]

    def ask(self, query: str, bindings: dict | None = None) -> bool:
        return bool(self._store.query(query, prefixes=self.prefixes, substitutions=self._bind(bindings)))

    def construct(self, query: str, bindings: dict | None = None) -> list[ox.Triple]:
        return list(self._store.query(query, prefixes=self.prefixes, substitutions=self._bind(bindings)))

    def describe(self, iri: str) -> list[ox.Triple]:
        return self.construct(_CBD, {"resource": ox.NamedNode(iri)})

    def triple_count(self) -> int:
        return self._count

    def protocol_query(self, query: str, fmt: str, *, max_rows: int, timeout: float) -> QueryOutput:
        request = {"query": query, "format": fmt, "max_rows": max_rows, "prefixes": self.prefixes}
        if self._pool is None:
            from graph.store.results import run_query

            return run_query(self._store, query, fmt, max_rows, self.prefixes)
        return self._pool.execute(request, timeout)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
