"""`mkg serve`: gunicorn (workers x threads) in production, the Flask dev server only with --dev.

Usage::

    mkg serve                      # build content/ if needed, serve on http://127.0.0.1:8000
    mkg serve --graph graph.ttl --port 9000 --workers 2
    mkg serve --watch              # rebuild on content/ changes; kill -HUP <master pid> reloads too
    mkg serve --access-log -       # a line per request on stdout (none by default)
    mkg serve --store sparql+http://127.0.0.1:7878/   # stateless replicas on a remote store
"""

from __future__ import annotations

import argparse
import gc
import sys

from graph.config import Settings


def add_serve_command(commands) -> None:
    """Register the `serve` sub-command."""
    serve = commands.add_parser("serve", help="serve the graph over SPARQL, REST and Linked Data")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    graph = serve.add_mutually_exclusive_group()
    graph.add_argument("--content", dest="content_dir", help="articles to build and serve (default content/)")
    graph.add_argument("--graph", dest="graph_file", help="serve this .nt/.ttl file instead of building")
    serve.add_argument("--build-dir", dest="build_dir")
    serve.add_argument("--workers", type=int, help="gunicorn worker processes (default 2)")
    serve.add_argument("--threads", type=int, help="threads per worker (default 4)")
    serve.add_argument("--query-workers", dest="query_workers", type=int,
                       help="killable SPARQL processes per worker (default 2)")
    serve.add_argument("--access-log", dest="access_log",
                       help="write an access log line per request: - for stdout, or a file (default: none)")
    serve.add_argument("--sparql-sandbox", dest="sparql_sandbox", choices=("required", "off"),
                       help="required (default): SPARQL queries run only in processes that cannot open network "
                            "sockets, and are refused where that is impossible; off: opt out")
    serve.add_argument("--public-url", dest="public_url",
                       help="the URL clients reach this service at, for the SPARQL service description")
    serve.add_argument("--dev", action="store_true", help="Flask development server (single process)")
    serve.add_argument("--store", help="embedded (default) or a remote SPARQL store: sparql+http://host:port/…")
    serve.add_argument("--watch", action="store_true", default=None,
                       help="rebuild when content/ changes and reload without dropping a request "
                            "(with a remote --store: rebuild and push)")
    serve.set_defaults(func=cmd_serve)


def _pre_fork(server, worker) -> None:
    """Move everything the master loaded (indexes) out of the cyclic GC's reach, so workers keep sharing it."""
    gc.freeze()


def _post_fork(server, worker) -> None:
    """Open the store and start the query processes in the new worker (never inherited across fork)."""
    store = getattr(server.app.wsgi().extensions.get("mkg"), "store", None)
    if hasattr(store, "start"):
        store.start()


def _worker_exit(server, worker) -> None:
    """Stop the worker's query processes and drop its store handle before the interpreter tears down."""
    # left to interpreter exit, RocksDB's handle and the pool's threads are finalised in no particular order
    store = getattr(server.app.callable, "extensions", {}).get("mkg")
    store = getattr(store, "store", None)
    if hasattr(store, "close"):
        try:
            store.close()
        except Exception:  # the worker is exiting anyway: never let a hook error replace its exit
            server.log.exception("closing the store at worker exit failed")


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
        "worker_class": "gthread",
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
        # gunicorn's throughput on a no-op app (measured with wrk, 2026-12-04; README, Performance)
        "accesslog": settings.access_log or None,
        "errorlog": "-",
        "loglevel": "info",
        # gunicorn >= 25.1 opens one control socket per user ($HOME/.gunicorn/gunicorn.ctl): two servers on
        # one machine would take it from each other, and nothing here uses gunicornc
        "control_socket_disable": True,
    }


def _publish(settings: Settings) -> None:
    """Push the current build to the remote store (the serving replicas follow it by themselves)."""
    from graph.push import PushFailed, push_build

    try:
        result = push_build(settings, graph_file=settings.graph_file)
        print(f"mkg serve: pushed version {result.version} ({result.method})", file=sys.stderr)
        from api.reload import failure_path

        failure_path(settings).unlink(missing_ok=True)
    except PushFailed as exc:
        from api.reload import record_failure

        record_failure(settings, f"push failed: {exc}")


def _reload_hooks(settings: Settings) -> dict:
    """Return the gunicorn hooks of hot reload: the master rebuilds, reloads the app, and forks new workers."""
    import os
    import signal

    from api.reload import ContentWatcher, rebuild
    from graph.store.remote import is_remote
    from graph.vocab import Vocabulary

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
    import signal
    import threading

    from api import create_app
    from api.reload import ContentWatcher, rebuild, reload_app
    from graph.vocab import Vocabulary

    app = create_app(settings)

    def reload_now() -> None:
        rebuild(settings, Vocabulary(settings.base_iri))
        reload_app(app)

    if settings.watch:
        ContentWatcher(settings, on_built=lambda report: reload_app(app)).start()
    signal.signal(signal.SIGHUP, lambda *_: threading.Thread(target=reload_now, daemon=True).start())
    app.run(host=settings.host, port=settings.port, threaded=True, use_reloader=False)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from api import GraphUnavailable, create_app, resolve_graph
    from graph.store.remote import is_remote
    from graph.vocab import Vocabulary

    if not is_remote(settings.store):
        try:
            resolve_graph(settings, Vocabulary(settings.base_iri))  # build once, before the workers start
        except GraphUnavailable as exc:
            print(f"mkg serve: {exc}", file=sys.stderr)
            return 1
        from graph.store.sandbox import sandbox_refusal

        refusal = sandbox_refusal(settings.sparql_sandbox, settings.query_workers)
        if refusal:
            print(f"mkg serve: /sparql will answer 503: {refusal}", file=sys.stderr)
    elif settings.watch:  # this process publishes: build content/ and push it before serving
        from api.reload import rebuild

        rebuild(settings, Vocabulary(settings.base_iri))
        _publish(settings)
    if args.dev:
        _serve_dev(settings)
        return 0
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in {**gunicorn_options(settings), **_reload_hooks(settings)}.items():
                if key in self.cfg.settings:  # skip options older gunicorn releases do not know
                    self.cfg.set(key, value)

        def load(self):
            return create_app(settings)

    print(f"mkg serve: http://{settings.host}:{settings.port}/  (SPARQL at /sparql)", file=sys.stderr)
    _Server().run()
    return 0
