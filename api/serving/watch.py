"""Watch content/ (or the served graph file) and rebuild when it changes; a failed build is recorded, never served.

Usage::

    ContentWatcher(settings, on_built=lambda report: reload_app(app)).start()
    report = rebuild(settings, vocab)     # None when nothing changed
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from api.serving.reload import failure_path, record_failure
from graph.vocab import Vocabulary

_LOG = logging.getLogger("mkg.reload")
_BUILD_LOCK = threading.Lock()


class ContentWatcher:
    """Poll content/ and rebuild when it changes; call `on_built(report)` after a good build."""

    def __init__(self, settings, on_built: Callable[[object], None]) -> None:
        self.settings = settings
        self.vocab = Vocabulary(settings.base_iri)
        self.on_built = on_built
        self._stop = threading.Event()
        self._seen = self._fingerprint()
        self.thread = threading.Thread(target=self._run, daemon=True, name="mkg-content-watch")

    def _fingerprint(self) -> str:
        from graph.pipeline.build import content_fingerprint  # the whole pipeline: only when watching

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
    from graph.pipeline.build import build, is_up_to_date  # the whole pipeline: only when rebuilding

    if settings.graph_file is not None:  # a given graph file is served as it is: nothing to build
        return None
    with _BUILD_LOCK:
        if is_up_to_date(settings.content_dir, settings.build_dir, vocab, settings.include_drafts):
            failure_path(settings).unlink(missing_ok=True)  # content is back to what the served build holds
            return None
        _LOG.info("content changed: rebuilding %s", settings.content_dir)
        report = build(settings.content_dir, settings.build_dir, vocab=vocab, jobs=settings.build_jobs,
                       max_file_bytes=settings.max_file_bytes, ontology_dir=settings.ontology_dir,
                       engine=settings.validation_engine, include_drafts=settings.include_drafts,
                       keep_versions=settings.keep_versions)
        if report.written:
            _LOG.info("rebuilt: version %s, %d triples", report.version, report.triples)
        else:
            errors = "; ".join(str(p) for p in report.problems if p.severity == "error")[:2000]
            record_failure(settings, f"build failed: {report.failure}. {errors}".strip())
        return report
