"""`mkg serve`: gunicorn (workers x threads) in production, the Flask dev server only with --dev.

Usage::

    mkg serve                      # build content/ if needed, serve on http://127.0.0.1:8000
    mkg serve --graph graph.ttl --port 9000 --workers 2
"""

from __future__ import annotations

import argparse
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
    serve.add_argument("--dev", action="store_true", help="Flask development server (single process)")
    serve.set_defaults(func=cmd_serve)


def gunicorn_options(settings: Settings) -> dict:
    """Return gunicorn settings: threads for I/O, the hard timeout as a last-resort stop."""
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "threads": settings.threads,
        "worker_class": "gthread",
        "timeout": int(settings.query_timeout * 3 + 30),
        "graceful_timeout": 10,
        # recycling guards against slow leaks, but a new worker reloads the whole graph and its indexes:
        # keep it rare (measured: 20,000 restarted workers every minute or two under benchmark load)
        "max_requests": 500_000,
        "max_requests_jitter": 50_000,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        # gunicorn >= 25.1 opens one control socket per user ($HOME/.gunicorn/gunicorn.ctl): two servers on
        # one machine would take it from each other, and nothing here uses gunicornc
        "control_socket_disable": True,
    }


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from api import GraphUnavailable, create_app, resolve_graph
    from graph.vocab import Vocabulary

    try:
        resolve_graph(settings, Vocabulary(settings.base_iri))  # build once, before the workers start
    except GraphUnavailable as exc:
        print(f"mkg serve: {exc}", file=sys.stderr)
        return 1
    if args.dev:
        create_app(settings).run(host=settings.host, port=settings.port, threaded=True)
        return 0
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(settings).items():
                if key in self.cfg.settings:  # skip options older gunicorn releases do not know
                    self.cfg.set(key, value)

        def load(self):
            return create_app(settings)

    print(f"mkg serve: http://{settings.host}:{settings.port}/  (SPARQL at /sparql)", file=sys.stderr)
    _Server().run()
    return 0
