"""Full-text search over the articles' text: a SQLite FTS5 index made once per graph version, BM25-ranked.

The build keeps each article's text beside its store (``ARTICLE_TEXT``, written by graph.parse.articletext);
``TextDatabaseWriter`` turns it into ``mkg-text-<code>.sqlite`` in the version's directory: a contentless FTS5
table with one row per article (its headings, and its text: the description, body, take-aways, term
definitions and FAQ answers) in folded form (``graph.arabic.fold``: FTS5's own diacritic folding does not fold
Arabic marks), the passages as written (the blocks under each heading, with their lines), the sections, and the
link suggestions (graph.readmodel.text.linking). A query's words are folded the same way; each must be in the article
(an Arabic word with or without a definite article: ال، وال، بال، فال، كال، لل), ranked by FTS5's bm25() with
the headings weighted 2. Each hit shows its best passages (most distinct query words, then most matches),
with the words marked as written: one FTS5 query over articles and the passages of at most `limit` articles
read, so a common word costs the articles it is in, not every passage.

Usage::

    writer = TextDatabaseWriter(Path("build/store-abc/mkg-text-1234.sqlite"))
    for record in read_records(Path("build/store-abc/mkg-articles-2.jsonl")): writer.add(record, None)
    writer.close()
    index = TextIndex("build/store-abc/mkg-text-1234.sqlite")
    index.search("دلو الثلج", limit=5)   # [TextHit(slug='viral-marketing', score=..., passages=[...])]
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from graph.arabic import fold, fold_with_offsets, is_arabic, strip_article

_LOG = logging.getLogger("mkg.fulltext")
ARTICLE_TEXT = "mkg-articles-2.jsonl"
"""The file, in a version's directory, holding the text of its articles (written by the build); its number
changes with the records' format (graph.parse.articletext), so an older build's file is never misread."""
ARTICLES = ("", "ال", "وال", "بال", "فال", "كال", "لل")
"""The definite-article prefixes a query word is also looked for with."""
MAX_WORDS = 12  # query words used: the rest are dropped (a bounded MATCH expression)
PASSAGES_SHOWN = 3  # snippets per article
HEADING_WEIGHT = 2.0  # bm25 weight of an article's headings (section titles, FAQ questions) against its text
SNIPPET_CHARS = 220
_WORD = re.compile(r"[^\W_]+")


def read_records(path: Path) -> Iterator[dict]:
    """Yield the article records of an article text file (graph.parse.articletext), in file order."""
    with Path(path).open("rb") as source:
        for line in source:
            if line.strip():
                yield json.loads(line)


def word_key(word: str) -> str:
    """Return the form a folded word is compared in: lower case, without a leading definite article."""
    lowered = word.casefold()
    return strip_article(lowered) if is_arabic(lowered) else lowered


def query_keys(query: str) -> list[str]:
    """Return the distinct keys of a query's words, in order (at most MAX_WORDS)."""
    keys: list[str] = []
    for word in _WORD.findall(fold(query)):
        key = word_key(word)
        if key and key not in keys:
            keys.append(key)
    return keys[:MAX_WORDS]


def match_expression(keys: list[str]) -> str:
    """Return the FTS5 MATCH text for these keys: every key, each with or without a definite article."""
    groups = []
    for key in keys:
        forms = [prefix + key for prefix in ARTICLES] if is_arabic(key) and len(key) >= 2 else [key]
        groups.append("(" + " OR ".join('"' + form.replace('"', '""') + '"' for form in forms) + ")")
    return " AND ".join(groups)


_SCHEMA = """
    PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 8192;
    CREATE TABLE passage (id INTEGER PRIMARY KEY, slug TEXT, section INTEGER, heading TEXT, line INTEGER, text TEXT,
                          lines TEXT);
    CREATE TABLE section (slug TEXT, position INTEGER, level INTEGER, line INTEGER, name TEXT, parent INTEGER,
                          PRIMARY KEY (slug, position)) WITHOUT ROWID;
    CREATE TABLE article (id INTEGER PRIMARY KEY, slug TEXT, first INTEGER, last INTEGER);
    CREATE VIRTUAL TABLE article_text USING fts5(headings, text, content='', tokenize='unicode61 remove_diacritics 0');
    CREATE TABLE suggestion (slug TEXT PRIMARY KEY, path TEXT, body TEXT) WITHOUT ROWID;
"""
_BATCH = 2000  # passages handed to the writer thread at a time
_JOIN = "\n"  # between the passages of an article in its indexed text (never inside one: blocks are one line)


class TextDatabaseWriter:
    """Write a version's text database: the passages, their FTS5 index, the sections and the link suggestions.

    The caller folds the text and works out the suggestions; a thread of its own does SQLite's part (FTS5
    tokenising, B-trees), which runs without the GIL: the two overlap on two cores.

    Usage::

        writer = TextDatabaseWriter(Path("mkg-text-1234.sqlite"))
        for record in read_records(Path("mkg-articles-2.jsonl")):
            writer.add(record, suggestions_json)
        writer.close()          # raises what the thread raised
    """

    def __init__(self, path: Path) -> None:
        self.path, self.passages, self.articles = Path(path), 0, 0
        self._batches: queue.Queue = queue.Queue(maxsize=4)
        self._rows: tuple[list, list, list, list] = ([], [], [], [])
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._write, name="mkg-text-writer", daemon=True)
        self._thread.start()

    def add(self, record: dict, suggestions: str | None) -> None:
        """Queue one article record (graph.parse.articletext) and its suggestions as JSON (None: not a known concept)."""
        slug = record["slug"]
        sections, passages, articles, suggested = self._rows
        sections.extend((slug, *section) for section in record["sections"])
        first = self.passages + 1
        for section, heading, line, text, lines in record["passages"]:
            self.passages += 1
            passages.append((self.passages, slug, section, heading, line, text, json.dumps(lines) if lines else None))
        self.articles += 1
        headings = _JOIN.join(dict.fromkeys(p[1] for p in record["passages"] if p[1]))
        articles.append((self.articles, slug, first, self.passages, fold(headings),
                         fold(_JOIN.join(p[3] for p in record["passages"]))))
        if suggestions is not None:
            suggested.append((slug, record["path"], suggestions))
        if len(passages) >= _BATCH:
            self._hand_over()

    def _hand_over(self) -> None:
        if self._failure is not None:
            raise self._failure
        self._batches.put(self._rows)
        self._rows = ([], [], [], [])

    def close(self) -> int:
        """Write what is left, optimise the index and close; return the passages written."""
        try:
            if self._failure is None:
                self._batches.put(self._rows)
        finally:
            self._batches.put(None)  # the thread always stops, even after a failure
            self._thread.join()
        if self._failure is not None:
            raise self._failure
        return self.passages

    def _write(self) -> None:
        connection = None
        try:
            connection = sqlite3.connect(self.path)
            connection.executescript(_SCHEMA)
            while (batch := self._batches.get()) is not None:
                sections, passages, articles, suggested = batch
                with connection:
                    connection.executemany("INSERT INTO section VALUES (?, ?, ?, ?, ?, ?)", sections)
                    connection.executemany("INSERT INTO passage VALUES (?, ?, ?, ?, ?, ?, ?)", passages)
                    connection.executemany("INSERT INTO article VALUES (?, ?, ?, ?)", [a[:4] for a in articles])
                    connection.executemany("INSERT INTO article_text(rowid, headings, text) VALUES (?, ?, ?)",
                                           [(a[0], a[4], a[5]) for a in articles])
                    connection.executemany("INSERT OR REPLACE INTO suggestion VALUES (?, ?, ?)", suggested)
            with connection:
                connection.execute("INSERT INTO article_text(article_text) VALUES ('optimize')")
        except BaseException as exc:  # handed to close(); the queue is drained so the caller never blocks
            self._failure = exc
            while self._batches.get() is not None:
                pass
        finally:
            if connection is not None:
                connection.close()


@dataclass
class Passage:
    """A passage that matched: where it is (section, heading, line) and its snippet."""

    section: dict | None  # {"position", "name", "level", "line"} of the innermost section, None before the first
    heading: str | None  # the heading it is under (a section's, or an FAQ question)
    line: int | None  # the source line of its first block (None for the description)
    snippet: dict  # {"text", "highlights": [{"start", "end"}, ...]}: offsets in text


@dataclass
class TextHit:
    """One article that matched: its concept slug, best BM25 score (higher is better) and best passages."""

    slug: str
    score: float
    passages: list[Passage] = field(default_factory=list)
    matched: int = 0  # passages of this article holding a word of the query


class TextIndex:
    """Look-ups in one version's text index; one read-only connection per process and thread."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()

    def __getstate__(self) -> dict:
        return {"path": self.path}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"])

    def _connection(self) -> sqlite3.Connection:
        found = getattr(self._local, "connection", None)
        if found is None or self._local.pid != os.getpid():  # never a connection made before a fork
            found = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            self._local.connection, self._local.pid = found, os.getpid()
        return found

    def search(self, query: str, limit: int = 10) -> list[TextHit]:
        """Return up to `limit` articles holding every word of `query`, best BM25 first, with their best passages."""
        keys = query_keys(query)
        if not keys:
            return []
        connection = self._connection()
        try:
            rows = connection.execute(
                f"SELECT a.id, a.slug, a.first, a.last, bm25(article_text, {HEADING_WEIGHT}, 1.0) AS score "
                "FROM article_text JOIN article a ON a.id = article_text.rowid WHERE article_text MATCH ? "
                "ORDER BY score LIMIT ?", (match_expression(keys), limit)).fetchall()
        except sqlite3.OperationalError as exc:  # a word FTS5's tokenizer reads as no word at all: nothing matches
            _LOG.info("text search %r: %s", query[:80], exc)
            return []
        pattern = key_pattern(keys)
        hits = []
        for _, slug, first, last, score in rows:
            hit = TextHit(slug, round(-score, 6))
            found = []  # (distinct words, matches, -position, passage, spans) of each passage that matched
            passages = connection.execute("SELECT section, heading, line, text, lines FROM passage "
                                          "WHERE id BETWEEN ? AND ? ORDER BY id", (first, last)).fetchall()
            for position, passage in enumerate(passages):
                spans = marked_spans(passage[3], pattern)
                heading_words = {m.group().casefold() for m in pattern.finditer(fold(passage[1] or ""))}
                if spans or heading_words:
                    words = {word_key(fold(passage[3][a:b])) for a, b in spans} | {word_key(w) for w in heading_words}
                    found.append((len(words), len(spans), -position, passage, spans))
            hit.matched = len(found)
            best = sorted(found, key=lambda f: f[:3], reverse=True)[:PASSAGES_SHOWN]
            sections = _sections(connection, {(slug, f[3][0]) for f in best})
            for *_, (section, heading, line, text, lines), spans in sorted(best, key=lambda f: -f[2]):
                shown = window(text, spans)
                hit.passages.append(Passage(sections.get((slug, section)), heading,
                                            _line_at(line, lines, shown.pop("at")), shown))
            hits.append(hit)
        return hits

    def suggestions(self, slug: str) -> list[dict] | None:
        """Return the link suggestions saved for an article's concept (graph.readmodel.text.linking), None if none."""
        row = self._connection().execute("SELECT body FROM suggestion WHERE slug = ?", (slug,)).fetchone()
        return json.loads(row[0]) if row is not None else None

    def every_suggestion(self) -> Iterator[tuple[str, str, list[dict]]]:
        """Yield (concept slug, article path, suggestions) for every article, by path."""
        for slug, path, body in self._connection().execute("SELECT slug, path, body FROM suggestion ORDER BY path"):
            yield slug, path, json.loads(body)

    def sections(self, slug: str) -> list[dict]:
        """Return the sections of an article, in reading order."""
        rows = self._connection().execute(
            "SELECT position, level, line, name, parent FROM section WHERE slug = ? ORDER BY position", (slug,))
        return [{"position": p, "level": lv, "line": ln, "name": n, "parent": pa or None} for p, lv, ln, n, pa in rows]


def _line_at(line: int, lines: str | None, offset: int) -> int | None:
    """Return the source line of the block holding `offset` of a passage (None for the description)."""
    for start, block_line in json.loads(lines) if lines else ():
        if start <= offset:
            line = block_line
    return line or None


def _sections(connection: sqlite3.Connection, wanted: set[tuple[str, int]]) -> dict[tuple[str, int], dict]:
    """Return the named sections among (slug, position) pairs (position 0, before any section, has none)."""
    found = {}
    for slug, position in wanted:
        if position:
            row = connection.execute("SELECT level, line, name FROM section WHERE slug = ? AND position = ?",
                                     (slug, position)).fetchone()
            if row is not None:
                found[(slug, position)] = {"position": position, "name": row[2], "level": row[0], "line": row[1]}
    return found


def key_pattern(keys: Iterable[str]) -> re.Pattern[str]:
    """Return a regex finding, in folded text, the whole words whose word_key is one of `keys`."""
    alternatives = "|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True))
    articles = "|".join(prefix for prefix in ARTICLES if prefix)
    return re.compile(rf"(?<![^\W_])(?:{articles})?(?:{alternatives})(?![^\W_])", re.IGNORECASE)


def marked_spans(text: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Return the (start, end) offsets in `text` of the words `pattern` finds in its folded form."""
    folded = fold_with_offsets(text)
    if not folded.exact:
        return []
    return [(folded.place(m.start()), folded.place(m.end() - 1) + 1) for m in pattern.finditer(folded.text)]


def window(text: str, spans: list[tuple[int, int]], width: int = SNIPPET_CHARS) -> dict:
    """Return about `width` characters of `text` around the first of `spans`, cut at spaces, with the offsets of
    the spans inside it ("highlights") and where the first span is in `text` ("at")."""
    first, first_end = spans[0] if spans else (0, 0)
    start = max(0, first - width // 3)
    end = min(len(text), max(start + width, first_end))
    if start > 0:  # cut at word boundaries
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.rfind(" ", first_end, end)
        end = space if space >= 0 else end
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    shift = len(prefix) - start
    marks = [{"start": s + shift, "end": e + shift} for s, e in spans if s >= start and e <= end]
    return {"text": prefix + text[start:end].replace("\n", " ") + suffix, "highlights": marks, "at": first}
