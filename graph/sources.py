"""Every graph source served the same way: one graph version = an on-disk store + its read model, opened from files.

The sources, and where their version's directory (``store-<version>/``: the pyoxigraph store, the saved read
model and facts file) comes from:

* ``content/`` (the default, or ``--content DIR``): built when it changed (``graph.pipeline.build``), which writes the
  store and the read model into ``build/``;
* ``--graph FILE`` of a build (``graph.nt`` with its ``report.json``): that build's directory;
* any other ``--graph FILE`` (``.ttl``, ``.nt``, ``.jsonld``, ``.rdf``): imported once into the cache directory
  (``cache_dir``, keyed by the file's content hash), as sorted N-Triples, store and read model, and reused by
  the next start;
* a remote ``--store``: the version the store names as current, with its read model made from a local sorted
  N-Triples copy in ``build-remote/`` by the same code.

No process loads its own in-memory copy of a graph: servers only open these files (read-only, shared
through the page cache), and make what is missing once, under a file lock.

Usage::

    version = open_source(settings, vocab)        # GraphVersion(store, model, export_path, directory)
    version.model.concepts["viral-marketing"]; version.store.triple_count(); version.close()
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph.config import Settings, default_cache_dir
from graph.export import file_version
from graph.readmodel import persist
from graph.readmodel.indexes import ReadModel
from graph.readmodel.text.fulltext import ARTICLE_TEXT
from graph.store import Store
from graph.store.disk import GRAPH_NT, ensure_store, prior_build, store_dir, write_atomically
from graph.store.embedded import EmbeddedStore
from graph.store.remote import RemoteClient, RemoteStore, is_remote
from graph.vocab import Vocabulary

_LOG = logging.getLogger("mkg.sources")
REMOTE_COPIES = "-remote"
IMPORTS_KEPT = 4
TRIPLES_NOTE = "triples"  # an import's triple count, counted once in its store (1 s at 2.2 M triples)
_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".jsonld": ox.RdfFormat.JSON_LD,
            ".json": ox.RdfFormat.JSON_LD, ".rdf": ox.RdfFormat.RDF_XML, ".owl": ox.RdfFormat.RDF_XML,
            ".nq": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}


class GraphUnavailable(RuntimeError):
    """No graph could be built or read to serve."""


@dataclass
class GraphVersion:
    """One served graph version, the single owner of its store and read model (closed together)."""

    store: Store
    model: ReadModel
    export_path: Path | None  # the graph file /export and /api/validation read (sorted N-Triples, or as given)
    directory: Path | None  # the version's directory (store, read model), None for a store that keeps none

    @property
    def version(self) -> str:
        """Return the graph version (the sha256 prefix of the sorted N-Triples, or of the given file)."""
        return self.store.version

    def close(self) -> None:
        """Stop the store's query processes and drop its handles."""
        self.store.close()


def open_source(settings: Settings, vocab: Vocabulary) -> GraphVersion:
    """Open the configured source's current graph version, making what it lacks once (see the module doc)."""
    if is_remote(settings.store):
        return open_remote(settings, vocab)
    if settings.graph_file is not None:
        graph_file = Path(settings.graph_file)
        if not graph_file.is_file():
            raise GraphUnavailable(f"graph file {graph_file} does not exist")
        built = prior_build(graph_file)  # a build's graph.nt: its report knows the version
        if built is not None:
            return _open_built(settings, vocab, graph_file, built.version, built.triples)
        return _open_import(settings, vocab, graph_file)
    graph_nt, version, triples = _build(settings, vocab)
    return _open_built(settings, vocab, graph_nt, version, triples)


def _build(settings: Settings, vocab: Vocabulary) -> tuple[Path, str, int | None]:
    """Build content/ when it changed; return (graph.nt, version, triples) of the build directory."""
    # imports pyshacl (a second of start-up): only when a build may be needed
    from graph.pipeline import build

    if not build.is_up_to_date(settings.content_dir, settings.build_dir, vocab, settings.include_drafts):
        report = build.build(settings.content_dir, settings.build_dir, vocab=vocab, jobs=settings.build_jobs,
                             max_file_bytes=settings.max_file_bytes, ontology_dir=settings.ontology_dir,
                             engine=settings.validation_engine, include_drafts=settings.include_drafts,
                             keep_versions=settings.keep_versions)
        if not report.written and not (settings.build_dir / build.GRAPH_NT).is_file():
            problems = "; ".join(str(p) for p in report.problems if p.severity == "error")[:2000]
            raise GraphUnavailable(f"build failed: {report.failure}. {problems}")
    graph_nt = settings.build_dir / build.GRAPH_NT
    previous = build.read_report(settings.build_dir) or {}
    triples = previous.get("triples")
    return graph_nt, str(previous.get("version") or file_version(graph_nt)), triples if isinstance(
        triples, int) else None


def _open_built(settings: Settings, vocab: Vocabulary, graph_nt: Path, version: str,
                triples: int | None) -> GraphVersion:
    """Open a build's version directory (an older build gets its store and read model made once here)."""
    directory = ensure_store(graph_nt, store_dir(graph_nt.parent, version))
    store = EmbeddedStore(directory, version=version, query_workers=settings.query_workers,
                          prefixes=vocab.prefixes(), triples=triples, sandbox=settings.sparql_sandbox)
    return GraphVersion(store, persist.ensure(directory, store, vocab, graph_nt), graph_nt, directory)


# ------------------------------------------------------------------------------------------ imported files


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive file lock (concurrent first starts make an import once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _open_import(settings: Settings, vocab: Vocabulary, source: Path) -> GraphVersion:
    """Open a graph file imported into the cache directory: sorted N-Triples, on-disk store, read model."""
    root = Path(settings.cache_dir or default_cache_dir())
    version = _source_version(source, root)
    where = root / f"graph-{version}"
    graph_nt = where / "graph.nt"
    try:
        with _locked(root / f".graph-{version}.lock"):
            if not graph_nt.is_file():
                _import_apart(source, where, version)
            directory = ensure_store(graph_nt, store_dir(where, version))
            store = EmbeddedStore(directory, version=version, query_workers=settings.query_workers,
                                  prefixes=vocab.prefixes(), triples=_imported_triples(where),
                                  sandbox=settings.sparql_sandbox)
            model = persist.ensure(directory, store, vocab, graph_nt)
    except SyntaxError as exc:
        raise GraphUnavailable(f"{source}: cannot read the RDF ({exc}): fix the syntax") from None
    except OSError as exc:
        raise GraphUnavailable(f"cannot import {source} into {root} ({exc}): set cache_dir to a writable "
                               "directory") from None
    os.utime(where)  # in use: pruned last
    _prune(root, where)
    # a hand-made N-Triples file is exported as it is; other formats as the sorted N-Triples of the import
    return GraphVersion(store, model, source if source.suffix == ".nt" else graph_nt, directory)


def _source_version(source: Path, root: Path) -> str:
    """Return the content hash of `source`, read from a note kept beside the imports while the file is unchanged.

    Hashing a 10,000-article Turtle file costs 0.3 s of every start; the note is keyed by the file's path and
    holds its device, inode, size and modification time (ns) with the hash, so any change hashes it again.
    """
    stat = source.stat()
    key = f"{stat.st_dev}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}"
    note = root / f".version-{hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:16]}"
    with contextlib.suppress(OSError, ValueError):
        kept_key, version = note.read_text(encoding="utf-8").split()
        if kept_key == key:
            return version
    version = file_version(source)
    with contextlib.suppress(OSError):
        root.mkdir(parents=True, exist_ok=True)
        write_atomically(note, f"{key} {version}\n".encode())
    return version


def _import_apart(source: Path, where: Path, version: str) -> None:
    """Import `source` in a spawned process: its parser's objects and RocksDB's load buffers never reach this heap."""
    # the serving master would keep them (RSS), and so would every worker forked from it
    child = multiprocessing.get_context("spawn").Process(target=_import, args=(source, where, version),
                                                         name="mkg-import")
    try:
        child.start()
    except (OSError, RuntimeError) as exc:  # e.g. spawning from a script without a __main__ guard
        _LOG.warning("importing %s in this process (%s)", source, str(exc)[:80])
        _import(source, where, version)
        return
    child.join()
    if child.exitcode != 0 or not (where / "graph.nt").is_file():
        _import(source, where, version)  # raises the error (a syntax error, a full disk) here, for the caller


def _import(source: Path, where: Path, version: str) -> None:
    """Write `source` as sorted, de-duplicated N-Triples into `where`/graph.nt, then its store (compacted)."""
    started = time.perf_counter()
    rdf_format = _FORMATS.get(source.suffix.lower(), ox.RdfFormat.TURTLE)
    body = ox.serialize(ox.parse(path=str(source), format=rdf_format), format=ox.RdfFormat.N_TRIPLES)
    lines = sorted(set(body.decode("utf-8").splitlines(keepends=True)))
    del body
    shutil.rmtree(where, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{where.name}.", dir=where.parent))
    try:
        (staging / "graph.nt").write_text("".join(lines), encoding="utf-8")
        triples = len(lines)
        del lines
        ensure_store(staging / "graph.nt", store_dir(staging, version))
        counted = ox.Store.read_only(str(store_dir(staging, version)))
        (staging / TRIPLES_NOTE).write_text(f"{len(counted)}\n", encoding="utf-8")  # /ready's count, kept
        del counted
        staging.rename(where)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _LOG.info("imported %s (%d triples) into %s in %.1f s", source, triples, where,
              time.perf_counter() - started)


def _imported_triples(where: Path) -> int | None:
    """Return the triple count the import noted (None for an import without the note: counted on first use)."""
    try:
        return int((where / TRIPLES_NOTE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _prune(root: Path, keep: Path) -> None:
    """Drop all but the IMPORTS_KEPT most recently used imports (never `keep`)."""
    imports = sorted((p for p in root.glob("graph-*") if p.is_dir()), key=lambda p: p.stat().st_mtime,
                     reverse=True)
    for old in imports[IMPORTS_KEPT:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
            (root / f".{old.name}.lock").unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------ remote stores


def open_remote(settings: Settings, vocab: Vocabulary) -> GraphVersion:
    """Open the remote store's current version with its read model: the build's own when this machine's build
    directory holds that version (the build machine, or a replica reading it from a shared directory), else
    one made once from a local sorted N-Triples copy and reused by every later start."""
    store = RemoteStore.open_current(RemoteClient.from_settings(settings), vocab.base, prefixes=vocab.prefixes())
    built = _built_version(settings, vocab, store)
    if built is not None:
        return built
    copy = local_copy(store, settings)
    directory = None
    if copy is not None:
        directory = copy.with_suffix("")
        with contextlib.suppress(OSError):
            directory.mkdir(exist_ok=True)
    # the article text is not in the graph: a build of this version (`mkg build --push`, `serve --watch`) has it
    built_text = store_dir(settings.build_dir, store.version) / ARTICLE_TEXT
    model = persist.ensure(directory, store, vocab, copy, built_text if built_text.is_file() else None) \
        if directory is not None and directory.is_dir() else ReadModel.build(store, vocab)
    return GraphVersion(store, model, copy, directory)


def _built_version(settings: Settings, vocab: Vocabulary, store: RemoteStore) -> GraphVersion | None:
    """Return the store's version served with the read model `mkg build` wrote for it, if the build directory
    holds that version (graph.nt of that version and its saved read model), else None."""
    built = prior_build(Path(settings.build_dir) / GRAPH_NT)
    if built is None or built.version != store.version:
        return None
    directory = store_dir(built.path.parent, built.version)
    model = persist.read(directory, store.version, vocab)
    if model is None:
        return None
    return GraphVersion(store, model, built.path, directory)


def local_copy(store: RemoteStore, settings: Settings) -> Path | None:
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
    body = store.ntriples()  # one predicate at a time, checked against the store's count
    temporary = where / f".{store.version}.{os.getpid()}.{threading.get_ident()}"
    temporary.write_bytes(body)
    os.replace(temporary, target)
    for old in sorted(where.glob("*.nt"), key=lambda p: p.stat().st_mtime)[:-max(2, settings.keep_versions)]:
        old.unlink(missing_ok=True)
        shutil.rmtree(old.with_suffix(""), ignore_errors=True)
    return target
