"""`mkg serve`: gunicorn (workers x threads) in production, the Flask dev server only with --dev.

Usage::

    mkg serve                      # build content/ if needed, serve on http://127.0.0.1:8000
    mkg serve --graph graph.ttl --port 9000 --workers 2
    mkg serve --watch              # rebuild on content/ changes; kill -HUP <master pid> reloads too
    mkg serve --access-log -       # a line per request on stdout (none by default)
    mkg serve --store sparql+http://127.0.0.1:7878/   # stateless replicas on a remote store

The command's flags are declared in graph/cli.py, which finds ``cmd_serve`` here by name at run time.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time

from gunicorn.app.base import BaseApplication

from api.app import create_app
from api.serving.reload import failure_path, record_failure, reload_app
from api.serving.watch import ContentWatcher, rebuild
from graph.config import Settings
from graph.push import PushFailed, push_build
from graph.sources import GraphUnavailable, open_source
from graph.store.remote import is_remote
from graph.store.sandbox import sandbox_refusal
from graph.vocab import Vocabulary

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
_forking_worker = False


def _pre_fork(server, worker) -> None:
    """Hold stop signals until the new worker can act on them; move the master's objects out of the GC's reach.

    A worker only installs its own SIGTERM handler late in its boot; until then it runs the master's
    handler, which queues the signal for a master loop that does not run in the worker: a stop sent to a
    booting worker was lost, and gunicorn killed it after graceful_timeout (10 s). Blocked here, a stop
    stays pending until `_post_fork` installs a handler that ends the worker once booted.
    """
    global _forking_worker
    gc.freeze()  # the read model loaded by the master: shared pages the workers' collectors must not write to
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    _forking_worker = True


def _after_fork_in_parent() -> None:
    """Let the master receive stop signals again once it has forked a worker."""
    global _forking_worker
    if _forking_worker:
        _forking_worker = False
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


os.register_at_fork(after_in_parent=_after_fork_in_parent)


def _post_fork(server, worker) -> None:
    """Take stop signals from now on; open the store and start the query processes (never inherited across fork)."""

    def stop_when_booted(signum, frame) -> None:
        worker.alive = False  # gunicorn's own handler replaces this one before the worker serves

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop_when_booted)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    graph = server.app.wsgi().extensions["mkg"].graph
    if graph is not None:
        graph.store.start()


def close_worker_store(server) -> None:
    """Stop the worker's query processes and drop its store handle."""
    app = server.app.callable
    graph = app.extensions["mkg"].graph if app is not None else None
    if graph is not None:
        try:
            graph.close()
        except Exception:  # the worker is exiting anyway: never let a hook error replace its exit
            server.log.exception("closing the store at worker exit failed")


def _exit_status(exc: BaseException | None) -> int:
    """Return the exit status a SystemExit in flight asks for (gunicorn's worker sets it), as sys.exit would."""
    if not isinstance(exc, SystemExit) or exc.code is None:
        return 0 if exc is None or isinstance(exc, SystemExit) else 1
    return exc.code if isinstance(exc.code, int) else 1


def _worker_exit(server, worker) -> None:
    """Close the worker's store and query processes, then end the worker process at once.

    The master writes RocksDB stores before it forks workers (a build, the first start's compaction), which
    starts RocksDB's process-wide background threads there. A forked worker inherits RocksDB's state but not
    those threads, and its exit-time C++ destructors wait on or tear down the missing threads: the worker
    hung until gunicorn's graceful_timeout (10 s) or died with SIGSEGV. So, once its own resources are
    closed, a worker leaves with os._exit (the status gunicorn's sys.exit asked for), skipping them.
    """
    close_worker_store(server)
    status = _exit_status(sys.exc_info()[1])  # hooks run in gunicorn's `finally`, with its SystemExit in flight
    for child in multiprocessing.active_children():  # as interpreter exit would: e.g. a query process still starting
        child.kill()
        child.join(timeout=5)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


STOP_LINGER = 0.25
"""Seconds a stopping worker keeps an idle kept-alive connection open, for a request already on its way."""


def serving_worker():
    """Return gunicorn's gthread worker class, made to stop at once on SIGTERM.

    gthread's event loop polls with a 1 s timeout and its SIGTERM handler only clears a flag, so a worker
    noticed a stop up to a second late: its handler now wakes the loop. Then gunicorn keeps each idle
    connection open for a while, so that a request racing onto it is answered: kept-alive ones until their
    keep-alive ends (2 s), one whose request ends after the stop began for 2 s more, one still waiting for its
    first bytes until its own timeout. Here every idle connection is closed STOP_LINGER after the stop began at
    the latest, which covers a request already sent and ends the stop in ~0.5 s.
    """
    from gunicorn.workers.gthread import ThreadWorker

    class ServingWorker(ThreadWorker):
        stop_deadline: float | None = None

        def handle_exit(self, sig, frame) -> None:
            super().handle_exit(sig, frame)
            wake = getattr(getattr(self, "method_queue", None), "defer", None)  # gunicorn >= 24
            if wake is not None:
                wake(lambda: None)  # a SimpleQueue put and a pipe write: safe in a signal handler

        def _cap_keepalive(self, deadline: float) -> None:  # gunicorn >= 27 calls it when a stop begins
            self.stop_deadline = min(deadline, time.monotonic() + STOP_LINGER)
            self._close_idle_by(self.stop_deadline)

        def finish_request(self, conn, fs) -> None:
            super().finish_request(conn, fs)
            if self.stop_deadline is not None:  # gunicorn gives a connection idle after the stop 2 s more
                self._close_idle_by(self.stop_deadline)

        def _close_idle_by(self, deadline: float) -> None:
            """Close kept-alive connections by `deadline`, and at once those that never sent a request."""
            super()._cap_keepalive(deadline)
            for conn in getattr(self, "pending_conns", ()):
                conn.timeout = min(conn.timeout, time.monotonic())
            murder_pending = getattr(self, "murder_pending", None)
            if murder_pending is not None:
                murder_pending()

    return ServingWorker


def gunicorn_options(settings: Settings) -> dict:
    """Return gunicorn settings: threads for I/O, the app preloaded once in the master, the hard timeout."""
    return {
        # the master creates the app (graph store handle dropped before fork, REST indexes read once) and forks
        # the workers, which share those pages and open their own store handle and query processes
        "preload_app": True,
        "pre_fork": _pre_fork,
        "post_fork": _post_fork,
        "worker_exit": _worker_exit,
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "threads": settings.threads,
        "worker_class": serving_worker,  # gthread
        "timeout": int(settings.query_timeout * 3 + 30),
        # bounded requests: 431 beyond 32 header fields or 8 KB in one (api/limits.py caps their total), 414
        # beyond an 8 KB request line (longer SPARQL queries go by POST)
        "limit_request_fields": 32,
        "limit_request_field_size": 8190,
        "limit_request_line": 8190,
        "graceful_timeout": 10,
        # recycling guards against slow leaks; a new worker is forked from the preloaded master (no graph or
        # index loading) but starts with empty answer caches and new query processes: keep it rare
        "max_requests": 500_000,
        "max_requests_jitter": 50_000,
        # none by default, as gunicorn's and Oxigraph server's own: a line per request costs about a quarter of
        # gunicorn's throughput on a no-op app (measured with wrk, 2026-12-04; bench/results/history.md)
        "accesslog": settings.access_log or None,
        "errorlog": "-",
        "loglevel": "info",
        # gunicorn >= 25.1 opens one control socket per user ($HOME/.gunicorn/gunicorn.ctl): two servers on
        # one machine would take it from each other, and nothing here uses gunicornc
        "control_socket_disable": True,
    }


def _publish(settings: Settings) -> None:
    """Push the current build to the remote store (the serving replicas follow it by themselves)."""
    try:
        result = push_build(settings, graph_file=settings.graph_file)
        print(f"mkg serve: pushed version {result.version} ({result.method})", file=sys.stderr)
        failure_path(settings).unlink(missing_ok=True)
    except PushFailed as exc:
        record_failure(settings, f"push failed: {exc}")


def _reload_hooks(settings: Settings) -> dict:
    """Return the gunicorn hooks of hot reload: the master rebuilds, reloads the app, and forks new workers."""
    vocab = Vocabulary(settings.base_iri)
    remote = is_remote(settings.store)

    def on_reload(server) -> None:
        # SIGHUP, from a user or from the watcher: runs in the master before the new workers are forked;
        # the old workers keep serving until then and finish their requests (graceful_timeout)
        if not remote or settings.watch:
            report = rebuild(settings, vocab)
            if report is not None and not report.written:
                return  # recorded and logged; the new workers serve the last good graph
            if remote and report is not None:
                _publish(settings)
        old = server.app.callable
        server.app.callable = None
        gc.unfreeze()
        try:
            server.app.wsgi()  # the preloaded app, on the new graph, for the new workers
        except Exception:
            server.log.exception("reload failed: the new workers serve the last good graph")
            server.app.callable = old

    def when_ready(server) -> None:
        if not settings.watch:
            return
        if remote:
            ContentWatcher(settings, on_built=lambda report: _publish(settings)).start()
        else:
            ContentWatcher(settings, on_built=lambda report: os.kill(os.getpid(), signal.SIGHUP)).start()

    return {"on_reload": on_reload, "when_ready": when_ready}


def _serve_dev(settings: Settings) -> None:
    """Run the Flask development server; --watch and SIGHUP reload the graph in this one process."""
    app = create_app(settings)

    def reload_now() -> None:
        rebuild(settings, Vocabulary(settings.base_iri))
        reload_app(app)

    if settings.watch:
        ContentWatcher(settings, on_built=lambda report: reload_app(app)).start()
    signal.signal(signal.SIGHUP, lambda *_: threading.Thread(target=reload_now, daemon=True).start())
    app.run(host=settings.host, port=settings.port, threaded=True, use_reloader=False)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Run `mkg serve`: open (or build, or import) the graph once, then serve it with gunicorn (or --dev)."""
    first = []
    if not is_remote(settings.store):
        try:
            first.append(open_source(settings, Vocabulary(settings.base_iri)))  # before the workers start
        except GraphUnavailable as exc:
            print(f"mkg serve: {exc}", file=sys.stderr)
            return 1
        refusal = sandbox_refusal(settings.sparql_sandbox, settings.query_workers)
        if refusal:
            print(f"mkg serve: /sparql will answer 503: {refusal}", file=sys.stderr)
    elif settings.watch:  # this process publishes: build content/ and push it before serving
        rebuild(settings, Vocabulary(settings.base_iri))
        _publish(settings)
    if args.dev:
        for graph in first:
            graph.close()
        _serve_dev(settings)
        return 0

    class _Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in {**gunicorn_options(settings), **_reload_hooks(settings)}.items():
                if key in self.cfg.settings:  # skip options older gunicorn releases do not know
                    self.cfg.set(key, value)

        def load(self):
            # the graph opened above for the first app; a reload (SIGHUP) opens the configured source again
            return create_app(settings, graph=first.pop() if first else None)

    print(f"mkg serve: http://{settings.host}:{settings.port}/  (SPARQL at /sparql)", file=sys.stderr)
    _Server().run()
    return 0
