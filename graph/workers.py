"""Parse and extract the corpus on one persistent set of worker processes that keep what they parsed.

Phase 1, each worker parses the files it is handed (chunks go to whichever worker is free) and
keeps the Article records; only the part the concept index reads (graph.resolve.index_view,
~35 of ~160 MB at 10,000 articles) and the problems go back to the parent. While the parent
builds the index, the workers run the extractors that need none (prepare). Phase 2, the parent
sends the index once; each worker runs the other extractors on its own articles and writes its
distinct N-Triples lines, sorted, as shard files. Problems keep their file:line and come back in
corpus order. Workers are forked (the parent is small then); without fork, or for small corpora,
the parent does both phases itself.

Usage::

    with CorpusWorkers(jobs=2, size_hint=len(paths)) as workers:
        admitted = admit(workers.parse(paths, content_dir))   # index views, path order
        workers.prepare(Vocabulary(), admitted.kept, admitted.aliases)
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
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from graph.articletext import write_records
from graph.content import Article, Problem, parse_article
from graph.corpus import retarget
from graph.export import nt_line
from graph.extract import ExtractionContext, split_extractors
from graph.resolve import ConceptIndex, index_view
from graph.vocab import Vocabulary

CHUNK = 40  # files per parse message: small enough to balance two busy cores, large enough to amortise the pipe
SHARD_LINES = 250_000  # lines per shard file: a bulk load of graph.shards.write_disk_store holds one in memory
MIN_PARALLEL = 200  # below this many articles one process is faster than starting workers
Parsed = tuple[Article | None, list[Problem]]


@dataclass
class Extracted:
    """What phase 2 produced: the shard files, the problems in article order, the mentions per article slug."""

    shards: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    mentions: dict[str, list[str]] = field(default_factory=dict)
    lines: int = 0
    texts: list[Path] = field(default_factory=list)  # the article text files (graph.articletext), one per worker


class _Share:
    """The articles one worker holds, by corpus position, and the two phases run on them."""

    def __init__(self, articles: dict[int, Article] | None = None) -> None:
        self.articles: dict[int, Article] = dict(articles or {})
        self.lines: set[bytes] = set()
        self.problems: list[tuple[int, list[Problem]]] = []

    def parse(self, positions: list[int], paths: list[Path], root: Path, max_bytes: int) -> list[tuple[int, Parsed]]:
        """Parse `paths`, keep each Article at its position, and return its index view and problems."""
        out = []
        for position, path in zip(positions, paths, strict=True):
            article, problems = parse_article(path, root, max_bytes)
            if article is not None:
                self.articles[position] = article
                article = index_view(article)
            out.append((position, (article, problems)))
        return out

    def _run(self, extractors_: tuple, context: ExtractionContext, keep: set[int] | None) -> None:
        """Add the N-Triples lines of `extractors_` on the kept articles, and their problems by position."""
        update, encode = self.lines.update, str.encode
        for position in sorted(self.articles):
            if keep is not None and position not in keep:
                continue
            article = self.articles[position]
            before = len(context.problems)
            for extractor in extractors_:
                update(map(encode, map(nt_line, extractor(article, context))))  # no bytecode per triple
            if len(context.problems) > before:
                self.problems.append((position, context.problems[before:]))

    def prepare(self, vocab: Vocabulary, keep: set[int] | None, aliases: dict[str, str] | None = None) -> None:
        """Point links written to an alias at its article, then run the extractors that need no concept index."""
        if aliases:
            self.articles = {position: retarget(article, aliases) for position, article in self.articles.items()}
        self.lines, self.problems = set(), []
        vocabulary_only, _ = split_extractors()
        self._run(vocabulary_only, ExtractionContext(vocab=vocab, index=None), keep)  # type: ignore[arg-type]

    def extract(self, index: ConceptIndex, vocab: Vocabulary, keep: set[int] | None, shard: Path
                ) -> tuple[list[Path], int, list[tuple[int, list[Problem]]], dict[str, list[str]], Path]:
        """Run the other extractors, then write the sorted distinct lines to shard files named after `shard`.

        Returns (shard files, lines, problems by article position, mentions by article slug, the text file
        of the kept articles: graph.articletext).
        """
        context = ExtractionContext(vocab=vocab, index=index)
        self._run(split_extractors()[1], context, keep)
        # Bytes: UTF-8 byte order is code point order, memcmp sorts ~2x faster than str, and the
        # sorted list shares the set's objects instead of holding a second, encoded copy.
        body = sorted(self.lines)
        self.lines = set()
        # Pieces of SHARD_LINES: the on-disk store's bulk loader holds a whole file's worth in memory.
        shards = []
        for start in range(0, len(body), SHARD_LINES):
            shards.append(shard.with_name(f"{shard.stem}-{len(shards)}{shard.suffix}"))
            with shards[-1].open("wb") as sink:
                sink.writelines(body[start : start + SHARD_LINES])
        problems, self.problems = self.problems, []
        text = write_records((self.articles[p] for p in sorted(self.articles) if keep is None or p in keep),
                             shard.with_name(f"{shard.stem}.text.jsonl"))
        return (shards, len(body), sorted(problems, key=lambda item: item[0]), context.memo.get("mentions", {}),
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
                _, vocab, keep, shard = request
                index = pickle.loads(connection.recv_bytes())
                reply = share.extract(index, vocab, keep, shard)
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
        self.connections: list[Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        given = dict(enumerate(articles or ()))
        if self.jobs == 1:
            self.local = _Share(given)
            return
        split_extractors()  # import every extractor before forking: a child never takes the import lock
        context = multiprocessing.get_context("fork")
        for n in range(self.jobs):
            parent_end, child_end = context.Pipe()
            share = _Share({p: a for p, a in given.items() if p % self.jobs == n})
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
                collect(self._reply(connection))  # type: ignore[arg-type]
                busy[connection] -= 1
                if not busy[connection]:
                    del busy[connection]
                send(connection)
        return results  # type: ignore[return-value]

    def prepare(self, vocab: Vocabulary, keep: set[int] | None, aliases: dict[str, str] | None = None) -> None:
        """Start the extractors that need no concept index (returns at once; extract() collects them).

        `aliases` (graph.corpus.Admitted.aliases) points the links written to an alias at its article.
        """
        if self.local is not None:
            self.local.prepare(vocab, keep, aliases)
        else:
            for connection in self.connections:
                connection.send(("prepare", vocab, keep, aliases))
        self.prepared = True

    def extract(self, index: ConceptIndex, vocab: Vocabulary, keep: set[int] | None, scratch: Path) -> Extracted:
        """Have each worker write its kept articles' sorted N-Triples to shards in `scratch`."""
        extracted = Extracted()
        by_position: list[tuple[int, list[Problem]]] = []
        if not self.prepared:
            self.prepare(vocab, keep)
        self.prepared = False
        if self.local is not None:
            shard = scratch / ".shard-0.nt"
            replies = [self.local.extract(index, vocab, keep, shard)]
        else:
            body = pickle.dumps(index.for_extraction(), protocol=pickle.HIGHEST_PROTOCOL)
            for n, connection in enumerate(self.connections):
                shard = scratch / f".shard-{n}.nt"
                connection.send(("extract", vocab, keep, shard))
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
