"""Evaluate user queries in killable worker processes, so a runaway query is really stopped.

pyoxigraph has no query timeout (oxigraph #1926) and a thread cannot be killed, so each worker is a
process. It opens the on-disk store of the graph version read-only (its pages shared with every other
process through the page cache). A query that
outlives its timeout gets its worker killed and replaced; the caller gets QueryTimeout at once, and
the other workers keep serving. A worker that dies under a query (a stack overflow in the engine) is
replaced too, and the caller gets QueryCrashed.

Each worker confines itself before it reads a query (graph.store.sandbox: no network sockets), unless
the pool is made with confined=False, and evaluates queries in a thread with a QUERY_STACK_BYTES stack.
Evaluation errors go back as a kind and a message: "syntax" (the parser's message), "format",
"service" (a SERVICE the engine tried, always refused here) or "error" (logged, never shown to clients).

Usage::

    pool = QueryPool(Path("build/store-abc"), size=2)
    output = pool.execute({"query": "ASK {}", "format": "json", "max_rows": 10}, timeout=10)
    pool.close()
"""

from __future__ import annotations

import atexit
import contextlib
import io
import logging
import multiprocessing
import os
import queue
import threading
import time
from dataclasses import dataclass
from multiprocessing import popen_spawn_posix, reduction, resource_tracker, spawn, util
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext, SpawnProcess, set_spawning_popen
from pathlib import Path

from graph.store.disk import open_read_only
from graph.store.results import QueryOutput, run_query

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


class QueryCrashed(Exception):
    """The query process died while evaluating the query; it was replaced."""


class QueryRefused(Exception):
    """User queries are not evaluated here (no sandbox for them); the message says why and what to do."""


QUERY_STACK_BYTES = 64 << 20  # the engine recurses on the query's trees (graph.store.guard bounds them)
_SERVICE_ERRORS = ("is not supported", "service name", "os error 13")


def _exit_with_parent(parent: int) -> None:
    """Stop this worker once its parent is gone (a killed gunicorn worker must not leave a runaway query)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _worker_main(conn: Connection, store_dir: str, confined: bool = True) -> None:
    """Confine this process, then serve queries from `conn` on the graph until told to stop."""
    if confined:
        from graph.store.sandbox import SandboxUnavailable, confine

        try:
            confine()  # first: no query, and no thread, before the filter
        except SandboxUnavailable as exc:
            conn.send(("sandbox", str(exc)))
            return
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    store = open_read_only(Path(store_dir))
    conn.send(("ready", 0))
    threading.stack_size(QUERY_STACK_BYTES)
    serving = threading.Thread(target=_serve, args=(conn, store), name="mkg-query")
    serving.start()
    serving.join()


def _serve(conn: Connection, store) -> None:
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
            message = f"{type(exc).__name__}: {exc}"
            service = isinstance(exc, PermissionError) or any(m in str(exc) for m in _SERVICE_ERRORS)
            conn.send(("service" if service else "error", message))


class _LeanPopen(popen_spawn_posix.Popen):
    """Spawn a query process without running the parent's ``__main__`` again in it.

    multiprocessing's spawn re-runs the parent's main module in the child (as ``__mp_main__``), so that objects
    defined there can be unpickled. The parent here is ``mkg`` (its script imports the whole CLI) or
    ``python -m graph.cli``: each query process spent 0.3-1 s importing what it never uses, four of them at
    every start of `mkg serve` (measured: a pool of 4 ready in 1.1-2.9 s instead of 0.5 s). The query
    processes' target lives in this module, so the main module is left out of what the child prepares;
    the rest is CPython's ``popen_spawn_posix.Popen._launch``.
    """

    def _launch(self, process_obj) -> None:
        tracker_fd = resource_tracker.getfd()
        self._fds.append(tracker_fd)
        prep_data = {key: value for key, value in spawn.get_preparation_data(process_obj._name).items()
                     if key not in ("init_main_from_name", "init_main_from_path")}
        buffer = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buffer)
            reduction.dump(process_obj, buffer)
        finally:
            set_spawning_popen(None)
        parent_r = child_w = child_r = parent_w = None
        try:
            parent_r, child_w = os.pipe()
            child_r, parent_w = os.pipe()
            command = spawn.get_command_line(tracker_fd=tracker_fd, pipe_handle=child_r)
            self._fds.extend([child_r, child_w])
            self.pid = util.spawnv_passfds(spawn.get_executable(), command, self._fds)
            self.sentinel = parent_r
            with open(parent_w, "wb", closefd=False) as out:
                out.write(buffer.getbuffer())
        finally:
            self.finalizer = util.Finalize(self, util.close_fds, [fd for fd in (parent_r, parent_w) if fd is not None])
            for fd in (child_r, child_w):
                if fd is not None:
                    os.close(fd)


class _LeanProcess(SpawnProcess):
    @staticmethod
    def _Popen(process_obj):
        return _LeanPopen(process_obj)


class _LeanContext(SpawnContext):
    Process = _LeanProcess


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection


class QueryPool:
    """A fixed number of query worker processes with per-query timeouts."""

    def __init__(self, store_dir: Path, size: int = 2, start_timeout: float = 120.0, *, wait: bool = True,
                 confined: bool = True) -> None:
        self.store_dir = str(store_dir)
        self.confined = confined
        self.unconfinable: str | None = None  # why a worker could not confine itself: none will serve
        self.size = max(1, size)
        self.start_timeout = start_timeout
        self._context = _LeanContext()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closed = False
        self._lock = threading.Lock()
        self._all: set[int] = set()
        self._started = threading.Event()  # set once every first worker is up; a replacement never clears it
        self.timeouts = 0
        self.crashes = 0
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
        except QueryRefused as exc:
            self.unconfinable = str(exc)
            _LOG.error("query worker refused to serve: %s", exc)
        except (OSError, EOFError, RuntimeError) as exc:
            if not self._closed:  # e.g. the server is stopping and killed the starting worker
                _LOG.warning("query worker failed to start (%s); %d running", exc, len(self._all))

    def _spawn(self) -> None:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, daemon=True, name="mkg-query-worker",
                                        args=(child, self.store_dir, self.confined))
        process.start()
        child.close()
        if not parent.poll(self.start_timeout):
            process.kill()
            raise RuntimeError(f"query worker did not open {self.store_dir} in {self.start_timeout} s")
        status, detail = parent.recv()
        if status == "sandbox":
            process.join(timeout=5)
            parent.close()
            raise QueryRefused(f"a query process could not forbid itself network sockets: {detail}")
        worker = _Worker(process, parent)
        with self._lock:
            if self._closed:
                self._stop(worker)
                return
            self._all.add(id(worker))
            if len(self._all) >= self.size:
                self._started.set()
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

    def ready(self) -> bool:
        """Return True once every first query worker has started (a killed one's replacement does not undo it)."""
        return self._started.is_set()

    def execute(self, request: dict, timeout: float) -> QueryOutput:
        """Run one query request in a free worker; raise QueryTimeout/QueryBusy/QueryFailed."""
        deadline = time.monotonic() + timeout
        if self.unconfinable:
            raise QueryRefused(self.unconfinable)
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
                worker.process.join(timeout=1)
                _LOG.warning("a query process died under a query (exit code %s); replacing it",
                             worker.process.exitcode)
                self.crashes += 1
                self._replace(worker)
                worker = None
            raise QueryCrashed("the query process evaluating the query died; it was replaced") from exc
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
