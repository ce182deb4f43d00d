"""The on-disk pyoxigraph store of one graph version: found beside the build, created when missing, opened read-only.

A build directory holds ``graph.nt`` and ``report.json`` (with the graph ``version``); its RocksDB store lives
at ``store_dir(build_dir, version)``, beside the read model (graph.readmodel.persist). Every serving process opens that directory with
``pyoxigraph.Store.read_only`` (after fork, never sharing a handle), so the graph's pages are shared through
the page cache instead of being loaded into each process.

Usage::

    build = prior_build(Path("build/graph.nt"))           # BuildGraph(path, version, triples) or None
    directory = ensure_store(build.path, store_dir(build.path.parent, build.version))  # created, compacted
    handle = open_read_only(directory)
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

_LOG = logging.getLogger("mkg.disk_store")
REPORT_FILE = "report.json"
GRAPH_NT = "graph.nt"
STORE_PREFIX = "store-"


@dataclass(frozen=True)
class BuildGraph:
    """A graph file written by `mkg build`, with the version and triple count its report records."""

    path: Path
    version: str
    triples: int | None


def store_dir(build_dir: Path, version: str) -> Path:
    """Return where the on-disk store (and read model) of graph version `version` of a build lives."""
    return Path(build_dir) / f"{STORE_PREFIX}{version}"


def prior_build(graph_path: Path) -> BuildGraph | None:
    """Return the build that wrote `graph_path` (an N-Triples file with a newer report.json beside it), else None."""
    graph_path = Path(graph_path)
    report = graph_path.parent / REPORT_FILE
    if graph_path.suffix != ".nt":
        return None
    try:
        if report.stat().st_mtime_ns < graph_path.stat().st_mtime_ns:
            return None  # the graph file was replaced after the build: its recorded version is no longer its own
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    if not data.get("written") or not isinstance(version, str) or not version:
        return None
    triples = data.get("triples")
    return BuildGraph(graph_path, version, triples if isinstance(triples, int) else None)


def ensure_store(graph_path: Path, directory: Path) -> Path:
    """Return `directory` ready to open read-only: bulk-loaded from `graph_path` when missing, compacted once."""
    directory = Path(directory)
    if not directory.is_dir():
        _create(graph_path, directory)
    compact(directory)
    return directory


def _create(graph_path: Path, directory: Path) -> None:
    """Bulk-load the N-Triples file `graph_path` into a new store at `directory` (a temp dir renamed into place)."""
    started = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    try:
        store = ox.Store(str(staging))
        store.bulk_load(path=str(graph_path), format=ox.RdfFormat.N_TRIPLES)
        store.flush()
        del store  # closes RocksDB before the directory is renamed
        try:
            staging.rename(directory)
        except OSError:
            if not directory.is_dir():  # not a concurrent writer that got there first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _LOG.info("created the on-disk store %s from %s in %.1f s", directory, graph_path, time.perf_counter() - started)


def compact(directory: Path) -> bool:
    """Compact an on-disk store once, before anything opens it read-only; return whether it is compact.

    A build loads its store from several shards (bounded memory), which leaves overlapping files
    that every look-up must visit: a full compaction (2 s at 10,000 articles) makes the SPARQL
    queries of the bench ~1.7x faster. A file lock makes concurrent first servers wait for one
    compaction; the mark file tells later ones it is done. A read-only or full file system leaves
    the store as built (logged).
    """
    directory = Path(directory)
    mark = index_file(directory, "compacted")
    if mark.exists():
        return True
    started = time.perf_counter()
    try:
        with (directory / ".mkg-compact.lock").open("a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if mark.exists():
                return True
            store = ox.Store(str(directory))
            store.optimize()
            store.flush()
            del store  # closes RocksDB before any read-only open
            mark.write_bytes(b"")
    except OSError as exc:
        _LOG.warning("cannot compact the on-disk store %s (%s); serving it as built", directory, exc)
        return False
    _LOG.info("compacted the on-disk store %s in %.1f s", directory, time.perf_counter() - started)
    return True


def open_read_only(directory: Path) -> ox.Store:
    """Open an on-disk store read-only (many processes may do so at once)."""
    return ox.Store.read_only(str(directory))


def index_file(directory: Path, name: str) -> Path:
    """Return the path of a per-version derived file (such as the REST indexes) kept inside a store directory."""
    return Path(directory) / f"mkg-{name}"


def write_atomically(path: Path, data: bytes) -> bool:
    """Write `data` to `path` through a temp file and a rename; return False (logged) when the directory is read-only."""
    temp = None
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
        return True
    except OSError as exc:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
        _LOG.warning("cannot write %s (%s); the next process will rebuild it", path, exc)
        return False


def line_blocks(path: Path, size: int) -> Iterator[tuple[int, bytes]]:
    """Yield (offset, block) of a file in blocks of whole lines of about `size` bytes (each ends with a newline)."""
    offset, rest = 0, b""
    with Path(path).open("rb") as stream:
        while block := stream.read(size):
            data = rest + block
            end = data.rfind(b"\n") + 1
            rest = data[end:]
            if end:
                yield offset, data[:end]
                offset += end
    if rest:
        yield offset, rest + b"\n"
