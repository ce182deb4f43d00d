"""Hot reload: swap the served graph (store + indexes) atomically in a running process.

Each request sees one GraphService, pinned at its first use (``LiveService``), so an answer is wholly
old or wholly new. A new version is opened and its REST indexes built before the swap; the old store
closes once in-flight requests had time to finish. Three triggers:

* remote store: a thread polls the control graph every ``watch_interval`` s and swaps to a new version;
* ``mkg serve --watch`` / SIGHUP under gunicorn: the master rebuilds, then HUPs itself (gunicorn.py);
* ``mkg serve --dev --watch`` / SIGHUP: the one process rebuilds and calls ``reload_app``.

A failed build keeps the last good graph and is reported by /ready and the log; the failure is written
to ``build/reload-failure.json`` (the next good build replaces the directory, and so clears it).

Usage::

    install(app)                   # done by create_app
    reload_app(app)                # re-open the configured graph; True when the version changed
    ContentWatcher(settings, on_built=lambda report: reload_app(app)).start()      # watch.py
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import threading
import time
from pathlib import Path

from flask import Flask, g, has_request_context, request

from api.http import problem_response
from graph.config import Settings
from graph.sources import GraphUnavailable, GraphVersion, open_remote, open_source
from graph.store.pool import QueryFailed, QueryTimeout
from graph.store.remote import (
    NoGraphVersion,
    RemoteClient,
    RemoteStore,
    StoreUnavailable,
    current_pointer,
    is_remote,
)
from graph.vocab import Vocabulary

_LOG = logging.getLogger("mkg.reload")
FAILURE_FILE = "reload-failure.json"
_WITHOUT_GRAPH = frozenset({"/health", "/ready", "/openapi.json", "/docs"})


@dataclasses.dataclass
class GraphService:
    """What the blueprints share: settings, vocabulary, and the graph version served (None while unavailable)."""

    settings: Settings
    vocab: Vocabulary
    graph: GraphVersion | None
    last_failure: str | None = None


class LiveService:
    """The app's GraphService as requests see it: pinned per request, swapped between requests."""

    def __init__(self, service) -> None:
        object.__setattr__(self, "_current", service)
        object.__setattr__(self, "_lock", threading.Lock())
        object.__setattr__(self, "store_error", None)
        object.__setattr__(self, "stop_polling", threading.Event())
        object.__setattr__(self, "_pin", f"_mkg_service_{id(self)}")  # this service's name in flask.g

    def snapshot(self):
        """Return the GraphService of this request (pinned at first use), or the current one outside requests."""
        if not has_request_context():
            return self._current
        pinned = g.get(self._pin)
        if pinned is None:
            pinned = self._current
            setattr(g, self._pin, pinned)
        return pinned

    def __getattr__(self, name: str):
        return getattr(self.snapshot(), name)

    def __setattr__(self, name: str, value) -> None:
        if name in ("store_error",):
            object.__setattr__(self, name, value)
        else:
            setattr(self._current, name, value)

    def close(self) -> None:
        """Stop following the remote store and close the served graph version."""
        self.stop_polling.set()
        if self._current.graph is not None:
            self._current.graph.close()

    def swap(self, graph: GraphVersion) -> None:
        """Serve `graph` from the next request on; close the old version once in-flight requests are done."""
        with self._lock:
            old = self._current
            object.__setattr__(self, "_current", dataclasses.replace(old, graph=graph, last_failure=None))
        _LOG.info("now serving graph version %s (was %s)", graph.version,
                  old.graph.version if old.graph is not None else "none")
        if old.graph is not None and old.graph is not graph:
            grace = old.settings.query_timeout + 5
            timer = threading.Timer(grace, _close_quietly, args=(old.graph,))
            timer.daemon = True
            timer.start()


def _close_quietly(graph: GraphVersion) -> None:
    """Close a graph version that is no longer served."""
    with contextlib.suppress(Exception):
        graph.close()


def failure_path(settings) -> Path:
    """Return where a failed rebuild is recorded (inside the build dir the next good build replaces)."""
    return Path(settings.build_dir) / FAILURE_FILE


def record_failure(settings, message: str) -> None:
    """Log a failed rebuild and record it for /ready (of every worker)."""
    _LOG.error("rebuild failed, still serving the last good graph: %s", message)
    path = failure_path(settings)
    if path.parent.is_dir():
        payload = {"failure": message, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)


def recorded_failure(settings) -> dict | None:
    """Return the last recorded rebuild failure ({'failure', 'at'}) still standing, else None."""
    try:
        return json.loads(failure_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------------------------------ remote


def open_remote_or_none(settings, vocab) -> GraphVersion | None:
    """Open the remote store's current version, or return None while it is unreachable or empty."""
    try:
        return open_remote(settings, vocab)
    except (StoreUnavailable, QueryTimeout, QueryFailed, NoGraphVersion, OSError) as exc:
        _LOG.warning("remote store: %s; serving 503 until it answers", exc)
        return None


def check_remote(app: Flask) -> bool:
    """Swap to the remote store's current version when it changed; return True when it did."""
    live: LiveService = app.extensions["mkg"]
    settings, vocab, graph = live._current.settings, live._current.vocab, live._current.graph
    store = graph.store if graph is not None else None
    client = store.client if isinstance(store, RemoteStore) else RemoteClient.from_settings(settings)
    try:
        pointer = current_pointer(client, vocab.base)
        if pointer is None:
            raise NoGraphVersion("no graph version has been pushed yet: run mkg push")
        live.store_error = None
        if store is not None and pointer[0] == store.version:
            return False
        new_graph = open_remote(settings, vocab)  # its read model made before the swap
    except (StoreUnavailable, QueryTimeout, QueryFailed, NoGraphVersion, OSError) as exc:
        if live.store_error != str(exc):
            _LOG.warning("remote store: %s", exc)
        live.store_error = str(exc)
        return False
    live.swap(new_graph)
    return True


def _poll(app: Flask, interval: float) -> None:
    live: LiveService = app.extensions["mkg"]
    while not live.stop_polling.wait(interval):
        try:
            check_remote(app)
        except Exception:  # a poller that dies would leave the replica on its version for good
            _LOG.exception("remote version check failed")


# ------------------------------------------------------------------------------------------ install


def install(app: Flask) -> LiveService:
    """Make the app's service swappable, map StoreUnavailable to 503, and follow a remote store's version."""
    service = app.extensions["mkg"]
    live = service if isinstance(service, LiveService) else LiveService(service)
    app.extensions["mkg"] = live
    settings = live._current.settings

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(exc: StoreUnavailable):
        live.store_error = str(exc)  # /ready tells operators what failed; clients get no address or host error
        _LOG.warning("remote store: %s", exc)
        return problem_response(503, "store-unavailable", "Store Unavailable",
                                "the graph store is not answering; the service answers again as soon as it is back",
                                {"Retry-After": str(exc.retry_after)})

    @app.errorhandler(QueryTimeout)
    def store_too_slow(exc: QueryTimeout):  # an internal query to a remote store (/sparql maps its own)
        return problem_response(503, "store-timeout", "Store Too Slow", f"{exc}; try again shortly",
                                {"Retry-After": "5"})

    if is_remote(settings.store) and settings.watch_interval > 0:
        poller = {"pid": None}
        poller_lock = threading.Lock()

        @app.before_request
        def follow_remote_versions():
            # started by the first request of each process (a preloaded gunicorn master forks its workers,
            # and threads do not survive a fork), which first catches up with pushes made since the fork
            if poller["pid"] != os.getpid():
                with poller_lock:
                    if poller["pid"] != os.getpid():
                        poller["pid"] = os.getpid()
                        check_remote(app)
                        threading.Thread(target=_poll, args=(app, settings.watch_interval), daemon=True,
                                         name="mkg-remote-version").start()

    @app.before_request
    def graph_loaded():
        if live.graph is None and request.path not in _WITHOUT_GRAPH and not request.path.startswith("/static"):
            detail = live.store_error or live.last_failure or "no graph is loaded yet"
            return problem_response(503, "graph-unavailable", "Graph Unavailable", detail, {"Retry-After": "5"})
        return None

    return live


def reload_app(app: Flask) -> bool:
    """Re-open the configured graph (rebuilding content when needed) and swap it in if its version changed."""
    live: LiveService = app.extensions["mkg"]
    if is_remote(live._current.settings.store):
        return check_remote(app)
    current = live._current
    try:
        graph = open_source(current.settings, current.vocab)
    except GraphUnavailable as exc:
        current.last_failure = str(exc)
        record_failure(current.settings, str(exc))
        return False
    if current.graph is not None and graph.version == current.graph.version:
        _close_quietly(graph)
        return False
    live.swap(graph)
    return True


# ------------------------------------------------------------------------------------------ watching
