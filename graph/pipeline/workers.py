"""Parse and extract the corpus on one persistent set of worker processes, in memory that does not grow with it.

Phase 1, each worker parses the files it is handed (chunks go to whichever worker is free) and
spills the Article records to a scratch file; only the part the concept index reads
(graph.pipeline.resolve.index_view) and the problems go back to the parent. While the parent builds the
index, the workers run the extractors that need none (prepare), reading their articles back.
Phase 2, the parent sends the index once; each worker reads its articles again and runs the
other extractors. Both phases write their distinct N-Triples lines, sorted, as shard files of at
most SHARD_LINES lines, so a worker holds one article and one batch of lines at a time. Problems
keep their file:line and come back in corpus order. Workers are forked (the parent is small
then); without fork, or for small corpora, the parent does both phases itself.

Usage::

    with CorpusWorkers(jobs=2, size_hint=len(paths)) as workers:
        admitted = admit(workers.parse(paths, content_dir))   # index views, path order
        workers.prepare(Vocabulary(), admitted.kept, admitted.aliases, scratch=Path("staging"))
        index = ConceptIndex.build(admitted.articles)
        extracted = workers.extract(index, Vocabulary(), admitted.kept, scratch=Path("staging"))
        extracted.shards, extracted.problems, extracted.mentions
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import IO

from graph.export import nt_line
from graph.extract import ExtractionContext, split_extractors
from graph.parse.articletext import record_line
from graph.parse.content import Article, Problem, parse_article
from graph.pipeline.corpus import retarget
from graph.pipeline.incremental.cache import RecordWriter
from graph.pipeline.incremental.extract import extract_recorded
from graph.pipeline.incremental.reads import RecordingIndex
from graph.pipeline.resolve import ConceptIndex, index_view
from graph.vocab import Vocabulary

CHUNK = 40  # files per parse message: small enough to balance two busy cores, large enough to amortise the pipe
SHARD_LINES = 250_000  # lines per shard file: a worker's batch, and what a bulk load of write_disk_store holds
MIN_PARALLEL = 200  # below this many articles one process is faster than starting workers
Parsed = tuple[Article | None, list[Problem]]


@dataclass
class Extracted:
    """What phase 2 produced: the shard files, the problems in article order, the mentions per article slug."""

    shards: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    mentions: dict[str, list[str]] = field(default_factory=dict)
    lines: int = 0
    texts: list[Path] = field(default_factory=list)  # the article text files (graph.parse.articletext), one per worker


class _Share:
    """The articles one worker holds, spilled to a scratch file in corpus order, and the two phases run on them.

    Memory does not grow with the corpus: parsed articles go to the spill file (pickled, ~0.1 ms
    each to read back), and extracted lines are sorted and written out as shards of at most
    SHARD_LINES distinct lines (duplicates across shards go at the merge).
    """

    def __init__(self, articles: dict[int, Article] | None = None) -> None:
        self.given = dict(articles or {})  # articles handed over by the parent: spilled in the worker
        self.spill: IO[bytes] | None = None  # opened by the process that uses it (never across a fork)
        self.positions: list[int] = []
        self.aliases: dict[str, str] = {}
        self.problems: list[tuple[int, list[Problem]]] = []
        self.shards: list[Path] = []
        self.count = 0

    def _file(self) -> IO[bytes]:
        if self.spill is None:
            # Open for the worker's life (closed by close()); deleted by the system when closed.
            self.spill = tempfile.TemporaryFile(prefix="mkg-articles-")  # noqa: SIM115
            given, self.given = self.given, {}
            for position in sorted(given):
                self._keep(position, given[position])
        return self.spill

    def close(self) -> None:
        """Drop the spilled articles."""
        if self.spill is not None:
            self.spill.close()
            self.spill = None

    def _keep(self, position: int, article: Article) -> None:
        pickle.dump((position, article), self._file(), protocol=pickle.HIGHEST_PROTOCOL)
        self.positions.append(position)

    def _articles(self, keep: set[int] | None) -> Iterator[tuple[int, Article, Article]]:
        """Read the kept articles back, in corpus order, with links written to an alias pointing at its article.

        Yields (position, article, the article as parsed).
        """
        spill = self._file()
        spill.seek(0)
        load, aliases = pickle.load, self.aliases
        for _ in range(len(self.positions)):
            position, article = load(spill)
            if keep is None or position in keep:
                yield position, (retarget(article, aliases) if aliases else article), article
        spill.seek(0, os.SEEK_END)

    def parse(self, positions: list[int], paths: list[Path], root: Path, max_bytes: int) -> list[tuple[int, Parsed]]:
        """Parse `paths`, spill each Article at its position, and return its index view and problems."""
        out = []
        for position, path in zip(positions, paths, strict=True):
            article, problems = parse_article(path, root, max_bytes)
            if article is not None:
                self._keep(position, article)
                article = index_view(article)
            out.append((position, (article, problems)))
        return out

    def _run(self, extractors_: tuple, context: ExtractionContext, keep: set[int] | None, shard: Path,
             text: IO[bytes] | None = None, record: RecordWriter | None = None, phase: int = 0) -> None:
        """Write the N-Triples lines of `extractors_` on the kept articles as shards; keep their problems by position.

        With `text`, also write each kept article's text record (graph.parse.articletext) there, in the same pass.
        With `record`, also write each article's extraction there (graph.pipeline.incremental), as `phase`.
        """
        lines: set[bytes] = set()
        update, encode = lines.update, str.encode
        for position, article, original in self._articles(keep):
            line = record_line(article) if text is not None else b""
            if text is not None:
                text.write(line)
            before = len(context.problems)
            if record is not None:
                extraction = extract_recorded(article, original, phase, extractors_, context, self.aliases, line)
                update(extraction.lines.splitlines(keepends=True))
                record.write(extraction)
            else:
                for extractor in extractors_:
                    update(map(encode, map(nt_line, extractor(article, context))))  # no bytecode per triple
            if len(context.problems) > before:
                self.problems.append((position, context.problems[before:]))
            if len(lines) >= SHARD_LINES:
                self._write(lines, shard)
        self._write(lines, shard)

    def _write(self, lines: set[bytes], shard: Path) -> None:
        """Write `lines` sorted as one more shard file named after `shard`, and empty the set."""
        if not lines:
            return
        # Bytes: UTF-8 byte order is code point order and memcmp sorts ~2x faster than str.
        path = shard.with_name(f"{shard.stem}-{len(self.shards)}{shard.suffix}")
        with path.open("wb") as sink:
            sink.writelines(sorted(lines))
        self.shards.append(path)
        self.count += len(lines)
        lines.clear()

    def prepare(self, vocab: Vocabulary, keep: set[int] | None, aliases: dict[str, str] | None, shard: Path,
                record: bool = False) -> None:
        """Point links written to an alias at its article, then run the extractors that need no concept index.

        With `record`, each article's extraction is also written to `shard`'s .records file (see extract).
        """
        self.aliases = aliases or {}
        self.problems, self.shards, self.count = [], [], 0
        vocabulary_only, _ = split_extractors()
        context = ExtractionContext(vocab=vocab, index=None)  # type: ignore[arg-type]
        writer = RecordWriter(shard.with_suffix(".records")) if record else None
        self._run(vocabulary_only, context, keep, shard.with_name(f"{shard.stem}-p{shard.suffix}"), record=writer)
        if writer is not None:
            writer.close()

    def extract(self, index: ConceptIndex, vocab: Vocabulary, keep: set[int] | None, shard: Path,
                record: bool = False
                ) -> tuple[list[Path], int, list[tuple[int, list[Problem]]], dict[str, list[str]], Path]:
        """Run the other extractors into more shards named after `shard`, and write the kept articles' text.

        Returns (shard files, lines written, problems by article position, mentions by article slug, the
        text file of the kept articles: graph.parse.articletext). With `record`, each article's extraction
        and the index reads it made go to `shard`'s .records file (graph.pipeline.incremental.cache).
        """
        writer = RecordWriter(shard.with_suffix(".records")) if record else None
        context = ExtractionContext(vocab=vocab, index=RecordingIndex(index) if record else index)  # type: ignore[arg-type]
        text = shard.with_name(f"{shard.stem}.text.jsonl")
        with text.open("wb") as sink:
            self._run(split_extractors()[1], context, keep, shard, sink, record=writer, phase=1)
        if writer is not None:
            writer.close()
        problems, self.problems = self.problems, []
        shards, self.shards = self.shards, []
        return (shards, self.count, sorted(problems, key=lambda item: item[0]), context.memo.get("mentions", {}),
                text)


def _serve(connection: Connection, share: _Share) -> None:
    """Answer the parent's requests until it says stop (runs in a forked worker)."""
    while True:
        try:
            request = connection.recv()
        except EOFError:
            return
        try:
            if request[0] == "parse":
                reply = share.parse(*request[1:])
                # The kept articles live until the worker exits: keep the cyclic collector from
                # re-scanning them at every collection (measured: 20 % of the parse CPU).
                gc.freeze()
            elif request[0] == "prepare":
                reply = share.prepare(*request[1:])
            elif request[0] == "extract":
                _, vocab, keep, shard, record = request
                index = pickle.loads(connection.recv_bytes())
                reply = share.extract(index, vocab, keep, shard, record)
            else:
                return
        except OSError as exc:  # disk full, unreadable directory...: the parent re-raises it as it is
            connection.send(("oserror", exc))
            continue
        except BaseException:  # the parent re-raises it with the worker's traceback
            connection.send(("error", traceback.format_exc()))
            continue
        connection.send(("ok", reply))


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (the parent receives ~1 M acyclic objects), then restore it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class WorkerError(RuntimeError):
    """A worker process failed or died; the message holds its traceback."""


class CorpusWorkers:
    """A fixed set of forked worker processes (or, with jobs=1, the parent itself) holding the corpus.

    `articles` hands already-parsed articles to the workers (each inherits its share through fork)
    instead of parsing files.
    """

    def __init__(self, jobs: int = 0, articles: list[Article] | None = None, size_hint: int = 0) -> None:
        jobs = jobs or os.cpu_count() or 1
        size = len(articles) if articles is not None else size_hint
        forking = "fork" in multiprocessing.get_all_start_methods()
        self.jobs = jobs if jobs > 1 and size >= MIN_PARALLEL and forking else 1
        self.local: _Share | None = None
        self.prepared = False
        self.record = False
        self.connections: list[Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self.slugs: list[set[str]] = []  # per worker: the slugs of the articles it holds
        given = dict(enumerate(articles or ()))
        if self.jobs == 1:
            self.local = _Share(given)
            return
        split_extractors()  # import every extractor before forking: a child never takes the import lock
        context = multiprocessing.get_context("fork")
        for n in range(self.jobs):
            parent_end, child_end = context.Pipe()
            share = _Share({p: a for p, a in given.items() if p % self.jobs == n})
            self.slugs.append({a.slug for a in share.given.values()})
            process = context.Process(target=_serve, args=(child_end, share), daemon=True,
                                      name=f"mkg-corpus-worker-{n}")
            process.start()
            child_end.close()
            self.connections.append(parent_end)
            self.processes.append(process)

    def __enter__(self) -> CorpusWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (their articles go with them)."""
        if self.local is not None:
            self.local.close()
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.send(("stop",))
            connection.close()
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        self.connections, self.processes = [], []

    def _reply(self, connection: Connection) -> object:
        try:
            status, reply = connection.recv()
        except EOFError as exc:
            raise WorkerError("a corpus worker died (killed, or out of memory)") from exc
        if status == "oserror":
            raise reply  # type: ignore[misc]
        if status == "error":
            raise WorkerError(f"a corpus worker failed:\n{reply}")
        return reply

    def parse(self, paths: list[Path], root: Path, max_bytes: int = 5 * 1024 * 1024,
              progress: Callable[[int, int], None] | None = None) -> list[Parsed]:
        """Parse every path (each worker keeps its articles); return (index view or None, problems), path order."""
        results: list[Parsed | None] = [None] * len(paths)
        chunks: Iterator[list[int]] = iter([list(range(start, min(start + CHUNK, len(paths))))
                                            for start in range(0, len(paths), CHUNK)])
        done = 0

        def collect(replies: Iterable[tuple[int, Parsed]]) -> None:
            nonlocal done
            for position, parsed in replies:
                results[position] = parsed
                done += 1
                if progress is not None:
                    progress(done, len(paths))

        if self.local is not None:
            for chunk in chunks:
                collect(self.local.parse(chunk, [paths[p] for p in chunk], root, max_bytes))
            return results  # type: ignore[return-value]
        busy: dict[Connection, int] = {}

        def send(connection: Connection) -> None:
            chunk = next(chunks, None)
            if chunk is not None:
                connection.send(("parse", chunk, [paths[p] for p in chunk], root, max_bytes))
                busy[connection] = busy.get(connection, 0) + 1

        for connection in self.connections:  # two requests in flight each: no worker waits on the parent
            send(connection)
            send(connection)
        while busy:
            for connection in wait(list(busy)):
                replies = self._reply(connection)
                self.slugs[self.connections.index(connection)].update(
                    view.slug for _, (view, _) in replies if view is not None)  # type: ignore[attr-defined]
                collect(replies)  # type: ignore[arg-type]
                busy[connection] -= 1
                if not busy[connection]:
                    del busy[connection]
                send(connection)
        return results  # type: ignore[return-value]

    def prepare(self, vocab: Vocabulary, keep: set[int] | None, aliases: dict[str, str] | None, scratch: Path,
                record: bool = False) -> None:
        """Start the extractors that need no concept index, writing shards to `scratch` (extract() collects them).

        `aliases` (graph.pipeline.corpus.Admitted.aliases) points the links written to an alias at its article.
        With `record`, each article's extraction also goes to `scratch`/*.records (graph.pipeline.incremental).
        """
        self.record = record
        if self.local is not None:
            self.local.prepare(vocab, keep, aliases, scratch / ".shard-0.nt", record)
        else:
            for n, connection in enumerate(self.connections):
                connection.send(("prepare", vocab, keep, aliases, scratch / f".shard-{n}.nt", record))
        self.prepared = True

    def extract(self, index: ConceptIndex, vocab: Vocabulary, keep: set[int] | None, scratch: Path) -> Extracted:
        """Have each worker write its kept articles' sorted N-Triples to shards in `scratch`."""
        extracted = Extracted()
        by_position: list[tuple[int, list[Problem]]] = []
        if not self.prepared:
            self.prepare(vocab, keep, None, scratch)
        self.prepared = False
        if self.local is not None:
            shard = scratch / ".shard-0.nt"
            replies = [self.local.extract(index, vocab, keep, shard, self.record)]
        else:
            for n, connection in enumerate(self.connections):  # each worker gets its own articles' terms only
                body = pickle.dumps(index.for_extraction(self.slugs[n]), protocol=pickle.HIGHEST_PROTOCOL)
                shard = scratch / f".shard-{n}.nt"
                connection.send(("extract", vocab, keep, shard, self.record))
                connection.send_bytes(body)
                del body
            for connection in self.connections:
                self._reply(connection)  # the prepare step's
            replies = [self._reply(connection) for connection in self.connections]  # type: ignore[misc]
        for shards, count, problems, mentions, text in replies:
            extracted.texts.append(text)
            extracted.shards.extend(shards)
            extracted.lines += count
            by_position.extend(problems)
            extracted.mentions.update(mentions)
        by_position.sort(key=lambda item: item[0])
        extracted.problems = [p for _, problems in by_position for p in problems]
        return extracted
