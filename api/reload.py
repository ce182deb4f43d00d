"""Hot reload: swap the served graph (store + indexes) atomically in a running process.

Each request sees one GraphService, pinned at its first use (``LiveService``), so an answer is wholly
old or wholly new. A new version is opened and its REST indexes built before the swap; the old store
closes once in-flight requests had time to finish. Three triggers:

* remote store: a thread polls the control graph every ``watch_interval`` s and swaps to a new version;
* ``mkg serve --watch`` / SIGHUP under gunicorn: the master rebuilds, then HUPs itself (api.serve);
* ``mkg serve --dev --watch`` / SIGHUP: the one process rebuilds and calls ``reload_app``.

A failed build keeps the last good graph and is reported by /ready and the log; the failure is written
to ``build/reload-failure.json`` (the next good build replaces the directory, and so clears it).

Usage::

    install(app)                   # done by create_app
    reload_app(app)                # re-open the configured graph; True when the version changed
    watcher = ContentWatcher(settings, on_built=lambda report: reload_app(app)); watcher.start()
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, g, has_request_context, request

from api.problems import problem_response
from graph.store.pool import QueryFailed, QueryTimeout
from graph.store.remote import (
    N_TRIPLES,
    NoGraphVersion,
    RemoteClient,
    RemoteStore,
    StoreUnavailable,
    current_pointer,
    is_remote,
)

_LOG = logging.getLogger("mkg.reload")
FAILURE_FILE = "reload-failure.json"
REMOTE_COPIES = "-remote"
_BUILD_LOCK = threading.Lock()
_WITHOUT_GRAPH = frozenset({"/health", "/ready", "/openapi.json", "/docs"})


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
        """Stop following the remote store and close the served store."""
        self.stop_polling.set()
        if self._current.store is not None:
            self._current.store.close()

    def swap(self, store, graph_path: Path | None) -> None:
        """Serve `store` from the next request on; close the old store once in-flight requests are done."""
        with self._lock:
            old = self._current
            object.__setattr__(self, "_current", dataclasses.replace(old, store=store, graph_path=graph_path,
                                                                     last_failure=None))
        _LOG.info("now serving graph version %s (was %s)", store.version,
                  old.store.version if old.store is not None else "none")
        if old.store is not None and old.store is not store:
            grace = old.settings.query_timeout + 5
            timer = threading.Timer(grace, _close_quietly, args=(old.store,))
            timer.daemon = True
            timer.start()


def _close_quietly(store) -> None:
    """Close a store that is no longer served and forget its REST indexes."""
    from api.indexes import GraphIndexes

    with contextlib.suppress(Exception):
        store.close()
    GraphIndexes.forget(store)


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


def open_remote(settings, vocab) -> tuple[RemoteStore, Path | None]:
    """Open the remote store's current version, with a local sorted N-Triples copy for exports and SHACL."""
    store = RemoteStore.open_current(RemoteClient.from_settings(settings), vocab.base, prefixes=vocab.prefixes())
    return store, local_copy(store, settings)


def open_remote_or_none(settings, vocab) -> tuple[RemoteStore | None, Path | None]:
    """Open the remote store's current version, or return (None, None) while it is unreachable or empty."""
    try:
        return open_remote(settings, vocab)
    except (StoreUnavailable, QueryTimeout, QueryFailed, NoGraphVersion, OSError) as exc:
        _LOG.warning("remote store: %s; serving 503 until it answers", exc)
        return None, None


def local_copy(store: RemoteStore, settings) -> Path | None:
    """Download the version's triples once into build-remote/{version}.nt (sorted, as a build writes them)."""
    build_dir = Path(settings.build_dir)
    where = build_dir.with_name(build_dir.name + REMOTE_COPIES)  # beside build/: a build swap would drop it
    target = where / f"{store.version}.nt"
    if target.is_file():
        return target
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    response = store.client.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", N_TRIPLES, store.graph_iri)
    lines = sorted({line + b"\n" for line in response.content.splitlines() if line.strip()})
    temporary = where / f".{store.version}.{os.getpid()}.{threading.get_ident()}"
    temporary.write_bytes(b"".join(lines))
    os.replace(temporary, target)
    for old in sorted(where.glob("*.nt"), key=lambda p: p.stat().st_mtime)[:-max(2, settings.keep_versions)]:
        old.unlink(missing_ok=True)
    return target


def check_remote(app: Flask) -> bool:
    """Swap to the remote store's current version when it changed; return True when it did."""
    live: LiveService = app.extensions["mkg"]
    settings, vocab, store = live._current.settings, live._current.vocab, live._current.store
    client = store.client if isinstance(store, RemoteStore) else RemoteClient.from_settings(settings)
    try:
        pointer = current_pointer(client, vocab.base)
        if pointer is None:
            raise NoGraphVersion("no graph version has been pushed yet: run mkg push")
        live.store_error = None
        if store is not None and pointer[0] == store.version:
            return False
        new_store, graph_path = open_remote(settings, vocab)
        _warm(new_store, vocab)
    except (StoreUnavailable, QueryTimeout, QueryFailed, NoGraphVersion, OSError) as exc:
        if live.store_error != str(exc):
            _LOG.warning("remote store: %s", exc)
        live.store_error = str(exc)
        return False
    live.swap(new_store, graph_path)
    return True


def _warm(store, vocab) -> None:
    """Build the REST indexes of a store before it is served."""
    from api.indexes import GraphIndexes

    GraphIndexes.for_store(store, vocab)


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
        if live.store is None and request.path not in _WITHOUT_GRAPH and not request.path.startswith("/static"):
            detail = live.store_error or live.last_failure or "no graph is loaded yet"
            return problem_response(503, "graph-unavailable", "Graph Unavailable", detail, {"Retry-After": "5"})
        return None

    return live


def reload_app(app: Flask) -> bool:
    """Re-open the configured graph (rebuilding content when needed) and swap it in if its version changed."""
    from api import GraphUnavailable, open_graph

    live: LiveService = app.extensions["mkg"]
    if is_remote(live._current.settings.store):
        return check_remote(app)
    current = live._current
    try:
        store, graph_path = open_graph(current.settings, current.vocab)
    except GraphUnavailable as exc:
        current.last_failure = str(exc)
        record_failure(current.settings, str(exc))
        return False
    if current.store is not None and store.version == current.store.version:
        _close_quietly(store)
        return False
    _warm(store, current.vocab)
    live.swap(store, graph_path)
    return True


# ------------------------------------------------------------------------------------------ watching


class ContentWatcher:
    """Poll content/ and rebuild when it changes; call `on_built(report)` after a good build."""

    def __init__(self, settings, on_built: Callable[[object], None]) -> None:
        from graph.vocab import Vocabulary

        self.settings = settings
        self.vocab = Vocabulary(settings.base_iri)
        self.on_built = on_built
        self._stop = threading.Event()
        self._seen = self._fingerprint()
        self.thread = threading.Thread(target=self._run, daemon=True, name="mkg-content-watch")

    def _fingerprint(self) -> str:
        from graph.build import content_fingerprint

        if self.settings.graph_file is not None:  # serving a graph file: watch the file itself
            stat = Path(self.settings.graph_file).stat()
            return f"{stat.st_size}:{stat.st_mtime_ns}"
        return content_fingerprint(self.settings.content_dir, self.vocab, self.settings.ontology_dir,
                                   self.settings.include_drafts)

    def start(self) -> ContentWatcher:
        """Start polling in a daemon thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.settings.watch_interval):
            try:
                fingerprint = self._fingerprint()
                if fingerprint == self._seen:
                    continue
                time.sleep(min(0.5, self.settings.watch_interval))  # let an editor finish writing
                self._seen = self._fingerprint()
                if self.settings.graph_file is not None:
                    self.on_built(None)
                    continue
                report = rebuild(self.settings, self.vocab)
                if report is not None and report.written:
                    self.on_built(report)
            except Exception:
                _LOG.exception("content watch failed")


def rebuild(settings, vocab):
    """Build content/ when it changed since the last good build; record a failure. Return the report or None."""
    from graph.build import build, is_up_to_date

    if settings.graph_file is not None:  # a given graph file is served as it is: nothing to build
        return None
    with _BUILD_LOCK:
        if is_up_to_date(settings.content_dir, settings.build_dir, vocab, settings.include_drafts):
            failure_path(settings).unlink(missing_ok=True)  # content is back to what the served build holds
            return None
        _LOG.info("content changed: rebuilding %s", settings.content_dir)
        report = build(settings.content_dir, settings.build_dir, vocab=vocab, jobs=settings.build_jobs,
                       max_file_bytes=settings.max_file_bytes, ontology_dir=settings.ontology_dir,
                       engine=settings.validation_engine, include_drafts=settings.include_drafts)
        if report.written:
            _LOG.info("rebuilt: version %s, %d triples", report.version, report.triples)
        else:
            errors = "; ".join(str(p) for p in report.problems if p.severity == "error")[:2000]
            record_failure(settings, f"build failed: {report.failure}. {errors}".strip())
        return report
