"""Evaluate user queries in killable worker processes, so a runaway query is really stopped.

pyoxigraph has no query timeout (oxigraph #1926) and a thread cannot be killed, so each worker is a
process. It opens the on-disk store of the graph read-only (its pages shared with every other process
through the page cache), or, for a plain graph file, loads a private in-memory copy. A query that
outlives its timeout gets its worker killed and replaced; the caller gets QueryTimeout at once, and
the other workers keep serving.

Usage::

    pool = QueryPool(Path("build/graph.nt"), size=2, store_dir=Path("build/store-abc"))
    output = pool.execute({"query": "ASK {}", "format": "json", "max_rows": 10}, timeout=10)
    pool.close()
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import os
import queue
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from graph.store.results import QueryOutput

_LOG = logging.getLogger("mkg.query_pool")


class QueryTimeout(Exception):
    """The query did not finish within its time budget; its worker was stopped."""


class QueryBusy(Exception):
    """No worker became free within the time budget."""


class QueryFailed(Exception):
    """The query was rejected (syntax) or failed during evaluation."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _load_store(graph_path: str):
    import pyoxigraph as ox

    store = ox.Store()
    rdf_format = ox.RdfFormat.N_TRIPLES if graph_path.endswith(".nt") else ox.RdfFormat.TURTLE
    store.bulk_load(path=graph_path, format=rdf_format)
    return store


def _open(graph_path: str, store_dir: str | None):
    """Return the on-disk store opened read-only, else a private in-memory copy of the graph file."""
    if store_dir is not None:
        from graph.store.disk import open_read_only

        return open_read_only(Path(store_dir))
    return _load_store(graph_path)


def _exit_with_parent(parent: int) -> None:
    """Stop this worker once its parent is gone (a killed gunicorn worker must not leave a runaway query)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _worker_main(conn: Connection, graph_path: str, store_dir: str | None = None) -> None:
    """Serve queries from `conn` on the graph until told to stop."""
    from graph.store.results import run_query

    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()

    store = _open(graph_path, store_dir)
    conn.send(("ready", 0))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        try:
            output = run_query(store, request["query"], request["format"], request["max_rows"],
                               request.get("prefixes"), limit=request.get("limit"))
            conn.send(("ok", output))
        except SyntaxError as exc:
            conn.send(("syntax", str(exc)))
        except ValueError as exc:
            conn.send(("format", str(exc)))
        except Exception as exc:  # evaluation errors of every kind go back to the caller
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection


class QueryPool:
    """A fixed number of query worker processes with per-query timeouts."""

    def __init__(self, graph_path: Path, size: int = 2, start_timeout: float = 120.0, *,
                 store_dir: Path | None = None, wait: bool = True) -> None:
        self.graph_path = str(graph_path)
        self.store_dir = str(store_dir) if store_dir is not None else None
        self.size = max(1, size)
        self.start_timeout = start_timeout
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closed = False
        self._lock = threading.Lock()
        self._all: set[int] = set()
        self.timeouts = 0
        # at exit, before multiprocessing kills its daemon children: a replacement worker still starting
        # then dies quietly instead of raising EOFError in its starter thread
        atexit.register(self.close)
        starters = [threading.Thread(target=self._start_worker, daemon=True) for _ in range(self.size)]
        for thread in starters:
            thread.start()
        if wait:  # else execute() waits for the first worker to become idle
            for thread in starters:
                thread.join()

    def _start_worker(self) -> None:
        try:
            self._spawn()
        except (OSError, EOFError, RuntimeError) as exc:
            if not self._closed:  # e.g. the server is stopping and killed the starting worker
                _LOG.warning("query worker failed to start (%s); %d running", exc, len(self._all))

    def _spawn(self) -> None:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, args=(child, self.graph_path, self.store_dir), daemon=True,
                                        name="mkg-query-worker")
        process.start()
        child.close()
        if not parent.poll(self.start_timeout):
            process.kill()
            raise RuntimeError(f"query worker did not load {self.graph_path} in {self.start_timeout} s")
        parent.recv()
        worker = _Worker(process, parent)
        with self._lock:
            if self._closed:
                self._stop(worker)
                return
            self._all.add(id(worker))
        self._idle.put(worker)

    def _stop(self, worker: _Worker) -> None:
        try:
            worker.process.kill()
            worker.process.join(timeout=5)
        finally:
            worker.conn.close()

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(id(worker))
        self._stop(worker)
        if not self._closed:
            threading.Thread(target=self._start_worker, daemon=True).start()

    def execute(self, request: dict, timeout: float) -> QueryOutput:
        """Run one query request in a free worker; raise QueryTimeout/QueryBusy/QueryFailed."""
        deadline = time.monotonic() + timeout
        try:
            worker = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise QueryBusy("every query worker stayed busy for the whole time budget") from None
        try:
            worker.conn.send(request)
            remaining = max(0.0, deadline - time.monotonic())
            if not worker.conn.poll(remaining):
                self.timeouts += 1
                self._replace(worker)
                worker = None
                raise QueryTimeout(f"query stopped after {timeout:g} s")
            status, payload = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            if worker is not None:
                self._replace(worker)
                worker = None
            raise QueryFailed("error", f"query worker died ({exc})") from exc
        finally:
            if worker is not None:
                self._idle.put(worker)
        if status == "ok":
            return payload
        raise QueryFailed(status, payload)

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            with contextlib.suppress(OSError):
                worker.conn.send(None)
            self._stop(worker)
