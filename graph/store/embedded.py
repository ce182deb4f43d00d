"""The embedded store: a graph version's on-disk pyoxigraph store, with worker processes for user queries.

Every process opens the store read-only on first use: a handle is never shared across fork (it is dropped
in the parent before every fork and reopened lazily), and the query processes open their own. No process
loads a copy of the graph into memory: every graph source is imported into an on-disk store first
(``graph.sources``).

User queries (`protocol_query`) run only in query processes that confine themselves (graph.store.sandbox)
unless ``sandbox="off"``; where that cannot be done (another platform, or query_workers=0) they are refused
with QueryRefused, whose message says why and how to opt out.

Usage::

    store = EmbeddedStore(Path("build/store-abc"), version="abc", query_workers=2, prefixes=vocab.prefixes())
    store.describe("https://marketing-kg.example/concept/viral-marketing")
"""

from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path

import pyoxigraph as ox

from graph.store import CBD_QUERY
from graph.store.disk import open_read_only
from graph.store.pool import QueryPool, QueryRefused
from graph.store.results import QueryOutput, run_query
from graph.store.sandbox import begin_trial, sandbox_refusal

_STORES: weakref.WeakSet[EmbeddedStore] = weakref.WeakSet()


def _before_fork() -> None:
    """Drop this process's handles of on-disk stores, so no RocksDB handle crosses a fork."""
    for store in list(_STORES):
        store._release()


def _after_fork_in_child() -> None:
    """Give every store a fresh lock: one held by another thread at fork time would never be released."""
    for store in list(_STORES):
        store._lock = threading.Lock()


os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)

class EmbeddedStore:
    """A graph version's on-disk pyoxigraph store, read-only, with a pool of killable query workers."""

    def __init__(self, store_dir: Path, *, version: str, query_workers: int = 2,
                 prefixes: dict[str, str] | None = None, triples: int | None = None,
                 sandbox: str = "required") -> None:
        self.version = version
        self.prefixes = prefixes or {}
        self.store_dir = Path(store_dir)
        self.query_workers = query_workers
        # user queries are parsed, planned and run in killable processes (api/sparql.py skips its own check)
        self.isolates_user_queries = query_workers > 0
        self.confined = sandbox != "off"
        self._sandbox = sandbox
        self._refusal: tuple[str | None] | None = None
        if self.confined and query_workers > 0:
            begin_trial()  # its verdict is read on first use of `refusal`, after the read model has loaded
        self._lock = threading.Lock()
        self._handle: ox.Store | None = None
        self._pool: QueryPool | None = None
        self._pool_pid = 0
        self._count = triples
        _STORES.add(self)

    @property
    def refusal(self) -> str | None:
        """Return why user queries are not evaluated here (no sandbox for them), else None."""
        if self._refusal is None:
            self._refusal = (sandbox_refusal(self._sandbox, self.query_workers),)
        return self._refusal[0]

    def _release(self) -> None:
        """Drop the on-disk handle (reopened on next use); called in the parent just before a fork."""
        with self._lock:
            self._handle = None

    def start(self) -> None:
        """Open the store and start the query processes without waiting (a gunicorn worker, after fork)."""
        self._query_pool(wait=False)
        self._store  # noqa: B018 - opens the handle now rather than on the first request

    @property
    def _store(self) -> ox.Store:
        """Return this process's pyoxigraph store (opening the on-disk one read-only on first use)."""
        handle = self._handle
        if handle is None:
            with self._lock:
                if self._handle is None:
                    self._handle = open_read_only(self.store_dir)
                handle = self._handle
        return handle

    def _query_pool(self, wait: bool = True) -> QueryPool | None:
        """Return this process's query pool, starting it on first use (a forked child starts its own)."""
        if self.query_workers <= 0 or self.refusal:
            return None
        if self._pool is None or self._pool_pid != os.getpid():
            with self._lock:
                if self._pool is None or self._pool_pid != os.getpid():
                    self._pool = QueryPool(self.store_dir, size=self.query_workers, wait=wait,
                                           confined=self.confined)
                    self._pool_pid = os.getpid()
        return self._pool

    def _bind(self, bindings: dict | None) -> dict | None:
        if not bindings:
            return None
        return {ox.Variable(name): value for name, value in bindings.items()}

    def ready(self) -> bool:
        """Return True when every query process of this process's pool is up (or none is configured)."""
        pool = self._query_pool(wait=False)
        return pool is None or pool.ready()

    def rows(self, query: str) -> list[tuple]:
        return [tuple(solution) for solution in self._store.query(query, prefixes=self.prefixes)]

    def triples(self, subject, predicate, obj) -> list[ox.Triple]:
        return [ox.Triple(q.subject, q.predicate, q.object)
                for q in self._store.quads_for_pattern(subject, predicate, obj)]

    def select(self, query: str, bindings: dict | None = None) -> list[dict]:
        result = self._store.query(query, prefixes=self.prefixes, substitutions=self._bind(bindings))
        names = [v.value for v in result.variables]
        return [{name: solution[name] for name in names} for solution in result]

    def ask(self, query: str, bindings: dict | None = None) -> bool:
        return bool(self._store.query(query, prefixes=self.prefixes, substitutions=self._bind(bindings)))

    def construct(self, query: str, bindings: dict | None = None) -> list[ox.Triple]:
        return list(self._store.query(query, prefixes=self.prefixes, substitutions=self._bind(bindings)))

    def describe(self, iri: str) -> list[ox.Triple]:
        return self.construct(CBD_QUERY, {"resource": ox.NamedNode(iri)})

    def triple_count(self) -> int:
        if self._count is None:
            self._count = len(self._store)
        return self._count

    def protocol_query(self, query: str, fmt: str, *, max_rows: int, timeout: float,
                       limit: int | None = None) -> QueryOutput:
        if self.refusal:
            raise QueryRefused(self.refusal)
        request = {"query": query, "format": fmt, "max_rows": max_rows, "prefixes": self.prefixes, "limit": limit}
        pool = self._query_pool()
        if pool is None:
            return run_query(self._store, query, fmt, max_rows, self.prefixes, limit=limit)
        return pool.execute(request, timeout)

    def close(self) -> None:
        if self._pool is not None and self._pool_pid == os.getpid():
            self._pool.close()
        self._pool = None
        self._release()
