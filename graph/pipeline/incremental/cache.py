"""Keep what each article's parse and extraction gave, keyed by its path and content hash, in build/cache/.

Three things are kept:
- per file, its index view and parse problems (graph.pipeline.resolve.index_view), by (path, sha256);
- per article and extraction phase (0: the extractors that read only the vocabulary, 1: the others),
  its sorted N-Triples lines, problems, mentions, text record, the aliases its links went through and
  the index reads it made (graph.pipeline.incremental.reads);
- the bucket files: the sorted distinct lines of the articles whose path hashes to one of BUCKETS
  buckets, each named after the digest of its members, so that an edit re-sorts one bucket only and
  a failed build never leaves a bucket that lies about its content.

Every entry says exactly what it was made from, so an entry written by a build that then failed is
still true. The settings fingerprint (ontology, shapes, code, base IRI, drafts, size limit) is
stored too: a cache made under other settings is never read.

Usage::

    cache = BuildCache.open(Path("build/cache"), settings="ab12...")
    cache.view("a.md", sha)                 # (index view, problems) or None
    cache.close()
"""

from __future__ import annotations

import hashlib
import pickle
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from graph.parse.content import Article, Problem

CACHE_DIR = "cache"
CACHE_DB = "cache.sqlite"
BUCKETS = 64
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS parsed (path TEXT PRIMARY KEY, sha TEXT NOT NULL, record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS extracted (
  path TEXT NOT NULL, phase INTEGER NOT NULL, sha TEXT NOT NULL, digest TEXT NOT NULL,
  lines BLOB NOT NULL, record BLOB NOT NULL, PRIMARY KEY (path, phase));
"""


def _dumps(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def bucket_of(path: str) -> int:
    """Return the bucket of an article path (stable across runs and machines)."""
    return zlib.crc32(path.encode()) % BUCKETS


@dataclass
class Extraction:
    """What one phase of extraction gave for one article, and what it read to give it."""

    path: str
    phase: int
    sha: str
    lines: bytes  # sorted distinct N-Triples lines
    problems: list[Problem]
    aliases: tuple[tuple[str, str | None], ...]  # graph.pipeline.incremental.reads.alias_reads
    reads: list  # graph.pipeline.incremental.reads.Read
    mentions: list[str] | None = None  # phase 1 only
    text: bytes = b""  # phase 1 only: the article text record (graph.parse.articletext)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.lines).hexdigest()[:24]

    def record(self) -> bytes:
        """Return the pickled fields other than the lines."""
        return _dumps((self.problems, self.aliases, self.reads, self.mentions, self.text))


class RecordWriter:
    """Append Extraction entries to a file (a worker's records, read back by BuildCache.ingest)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sink: IO[bytes] | None = None

    def write(self, extraction: Extraction) -> None:
        if self._sink is None:
            self._sink = self.path.open("ab")
        pickle.dump(extraction, self._sink, protocol=pickle.HIGHEST_PROTOCOL)

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None


def read_records(path: Path) -> Iterator[Extraction]:
    """Yield the Extraction entries a RecordWriter wrote to `path`."""
    with path.open("rb") as source:
        while True:
            try:
                yield pickle.load(source)
            except EOFError:
                return


class BuildCache:
    """The SQLite file and bucket files of build/cache/ (see the module docstring)."""

    def __init__(self, directory: Path, connection: sqlite3.Connection) -> None:
        self.directory = directory
        self.db = connection

    @classmethod
    def open(cls, directory: Path, settings: str, *, fresh: bool = False) -> BuildCache | None:
        """Open the cache in `directory` (created when fresh); None when missing, unreadable or made otherwise."""
        path = directory / CACHE_DB
        if not fresh and not path.is_file():
            return None
        try:
            directory.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, isolation_level=None)
            connection.execute("PRAGMA journal_mode=DELETE")
            connection.execute("PRAGMA synchronous=OFF")  # a torn cache is caught below and rebuilt
            connection.executescript(_SCHEMA)
            if fresh:
                connection.execute("INSERT OR REPLACE INTO meta VALUES ('settings', ?)", (settings,))
            else:
                row = connection.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
                if row is None or row[0] != settings:
                    connection.close()
                    return None
        except sqlite3.Error:
            return None
        return cls(directory, connection)

    def close(self) -> None:
        self.db.close()

    def views(self) -> dict[str, tuple[str, bytes]]:
        """Return path -> (sha256, pickled (index view, problems)) for every cached file."""
        return {path: (sha, record) for path, sha, record in self.db.execute("SELECT path, sha, record FROM parsed")}

    def put_views(self, entries: Iterable[tuple[Article, list[Problem]]]) -> None:
        """Keep each (index view, parse problems) by its path and content hash."""
        rows = [(view.path, view.sha256, _dumps((view, problems))) for view, problems in entries]
        with self._transaction():
            self.db.executemany("INSERT OR REPLACE INTO parsed VALUES (?, ?, ?)", rows)

    def extractions(self) -> dict[tuple[str, int], tuple[str, str, bytes]]:
        """Return (path, phase) -> (sha256, lines digest, pickled record) for every cached extraction."""
        return {(path, phase): (sha, digest, record) for path, phase, sha, digest, record
                in self.db.execute("SELECT path, phase, sha, digest, record FROM extracted")}

    def put_extractions(self, entries: Iterable[Extraction]) -> None:
        """Keep each extraction, replacing the one of the same article and phase."""
        with self._transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO extracted VALUES (?, ?, ?, ?, ?, ?)",
                ((e.path, e.phase, e.sha, e.digest, e.lines, e.record()) for e in entries))

    def ingest(self, record_files: Iterable[Path]) -> None:
        """Keep the extractions the workers wrote to `record_files`, then delete the files."""
        for path in record_files:
            if path.is_file():
                self.put_extractions(read_records(path))
                path.unlink()

    def lines(self, path: str, phase: int) -> bytes:
        row = self.db.execute("SELECT lines FROM extracted WHERE path = ? AND phase = ?", (path, phase)).fetchone()
        return row[0] if row else b""

    def bucket_files(self, members: dict[int, list[tuple[str, int, str]]]) -> list[Path]:
        """Return the bucket files of `members` (bucket -> (path, phase, digest)), writing the missing ones."""
        files = []
        for bucket in sorted(members):
            keys = sorted(members[bucket])
            digest = hashlib.sha256(repr(keys).encode()).hexdigest()[:24]
            target = self.directory / f"bucket-{bucket:02d}-{digest}.nt"
            if not target.is_file():
                lines: set[bytes] = set()
                for path, phase, _ in keys:
                    lines.update(self.lines(path, phase).splitlines(keepends=True))
                partial = target.with_suffix(".partial")
                partial.write_bytes(b"".join(sorted(lines)))
                partial.replace(target)
            files.append(target)
        return files

    def forget_others(self, paths: set[str], buckets: list[Path]) -> None:
        """Drop the entries of files no longer in the corpus and the bucket files not in `buckets`."""
        keep = {path.name for path in buckets}
        with self._transaction():
            for table in ("parsed", "extracted"):
                gone = [(p,) for (p,) in self.db.execute(f"SELECT DISTINCT path FROM {table}") if p not in paths]
                self.db.executemany(f"DELETE FROM {table} WHERE path = ?", gone)
        for stale in self.directory.glob("bucket-*"):
            if stale.name not in keep:
                stale.unlink(missing_ok=True)

    def _transaction(self) -> Any:
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN")

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")
