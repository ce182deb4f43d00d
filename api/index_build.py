"""Build the REST indexes of a build's graph ahead of serving: from the build, or in a child process.

Usage (at the end of a build, so the first `mkg serve` only reads them)::

    seconds = write_indexes(Path("build"), report.version, Vocabulary(settings.base_iri))
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from pathlib import Path

from api.indexes import GraphIndexes
from graph.vocab import Vocabulary

_APART_BYTES = 64 << 20  # a graph file this big has its indexes built in a child process


def build_apart(store) -> bool:
    """Return True when the store's indexes are built from a big graph.nt in a child process."""
    # the scan's millions of short-lived objects would otherwise stay as fragmented heap in the serving
    # master, and in every worker forked from it
    graph = getattr(store, "graph_path", None)
    try:
        return (multiprocessing.parent_process() is None and graph is not None and graph.suffix == ".nt"
                and graph.stat().st_size > _APART_BYTES)
    except OSError:
        return False


def build_in_child(store, vocab: Vocabulary) -> bool:
    """Build and save the indexes in a spawned process; return whether it succeeded."""
    context = multiprocessing.get_context("spawn")
    child = context.Process(target=_write_in_child, name="mkg-index-build",
                            args=(str(store.graph_path), store.version, vocab.base, str(store.store_dir)))
    try:
        child.start()
    except (OSError, RuntimeError) as exc:  # e.g. spawning from a script without a __main__ guard
        logging.getLogger(__name__).warning("building the REST indexes in this process (%s)", str(exc)[:80])
        return False
    child.join()
    return child.exitcode == 0


def _write_in_child(graph: str, version: str, base: str, directory: str) -> None:
    """Build and save the indexes of a graph version (the body of _build_in_child's process)."""
    from graph.store.embedded import EmbeddedStore

    store = EmbeddedStore(Path(graph), version=version, query_workers=0, store_dir=Path(directory))
    try:
        GraphIndexes._load_or_build(store, Vocabulary(base))
    finally:
        store.close()


def write_indexes(build_dir: Path, version: str, vocab: Vocabulary) -> float:
    """Build and save the REST indexes (and concept facts) of a build's graph version; return the seconds taken."""
    from graph.store.disk import ensure_store, store_dir
    from graph.store.embedded import EmbeddedStore

    started = time.perf_counter()
    graph = Path(build_dir) / "graph.nt"
    directory = ensure_store(graph, store_dir(Path(build_dir), version))
    store = EmbeddedStore(graph, version=version, query_workers=0, store_dir=directory)
    try:
        GraphIndexes._load_or_build(store, vocab)
    finally:
        store.close()
    return time.perf_counter() - started
