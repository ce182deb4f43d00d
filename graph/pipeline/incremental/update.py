"""Rebuild from the previous build's cache: parse the changed files, extract again what a change reaches.

The steps are those of a full build (graph.pipeline.build), in the same order and on the same
records, so the output is the same bytes:
1. every file is hashed; a file whose (path, sha256) is cached gets its index view and parse
   problems from the cache, any other is parsed;
2. admission, the concept index, link typos and the corpus-wide extractors run on the whole corpus
   (they are cheap next to parsing and extraction, and they are where one article's name reaches the others);
3. each kept article's two extraction phases are reused when its content hash, the aliases its links
   went through and every index read it made are unchanged (graph.pipeline.incremental.reads), and run again
   otherwise (parsing the file if step 1 did not);
4. the lines are handed on as bucket files (graph.pipeline.incremental.cache), each re-sorted only when one
   of its articles changed; graph.nt is their merge, as it is the workers' shards' in a full build.

Usage::

    parsed, articles = read_changed(cache, paths, Path("content"))
    extracted, index, typos = extract_changed(cache, admitted, parsed, articles, paths, root, vocab, scratch)
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from graph.extract import ExtractionContext, split_extractors
from graph.parse.articletext import record_line
from graph.parse.content import Article, Problem, parse_article
from graph.pipeline.corpus import Admitted, retarget
from graph.pipeline.incremental.cache import BuildCache, Extraction, bucket_of
from graph.pipeline.incremental.extract import extract_recorded
from graph.pipeline.incremental.reads import RecordingIndex, still_valid
from graph.pipeline.link_typos import link_typos
from graph.pipeline.resolve import ConceptIndex, index_view
from graph.pipeline.workers import Extracted
from graph.vocab import Vocabulary

Parsed = tuple[Article | None, list[Problem]]


def _relative(path: Path, root: Path) -> str:
    """Return the path as parse_article names it."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def read_changed(cache: BuildCache, paths: list[Path], root: Path, max_bytes: int
                 ) -> tuple[list[Parsed], dict[str, Article], int]:
    """Return (index view or None, problems) per path, the articles parsed now by path, and how many were."""
    cached = cache.views()
    parsed: list[Parsed] = []
    articles: dict[str, Article] = {}
    fresh = []
    for path in paths:
        relative = _relative(path, root)
        entry = cached.get(relative)
        if entry is not None:
            try:
                sha = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                sha = ""
            if sha == entry[0]:
                parsed.append(pickle.loads(entry[1]))
                continue
        article, problems = parse_article(path, root, max_bytes)
        if article is None:
            parsed.append((None, problems))
            continue
        articles[article.path] = article
        view = index_view(article)
        fresh.append((view, problems))
        parsed.append((view, problems))
    cache.put_views(fresh)
    return parsed, articles, len(articles)


def extract_changed(cache: BuildCache, admitted: Admitted, views: list[Article], articles: dict[str, Article],
                    paths: list[Path], root: Path, max_bytes: int, vocab: Vocabulary, scratch: Path
                    ) -> tuple[Extracted, ConceptIndex, list[Problem], int, list[Path]]:
    """Extract what changed; return (Extracted as the workers give it, the index, typos, articles redone, buckets).

    `views` are the index views of the kept articles in path order (admitted.articles), `paths` every
    discovered file in path order (positions as admitted.kept counts them).
    """
    index = ConceptIndex.build(views)
    typos = list(link_typos(index))
    index = index.for_extraction()
    aliases = admitted.aliases
    known = cache.extractions()
    phases = split_extractors()
    contexts = (ExtractionContext(vocab=vocab, index=None),  # type: ignore[arg-type]
                ExtractionContext(vocab=vocab, index=RecordingIndex(index)))  # type: ignore[arg-type]
    extracted = Extracted()
    text = scratch / ".shard-incremental.text.jsonl"
    members: dict[int, list[tuple[str, int, str]]] = {}
    fresh: list[Extraction] = []
    redone = 0
    with text.open("wb") as sink:
        for position, view in zip(sorted(admitted.kept), views, strict=True):
            path = view.path
            original: Article | None = articles.get(path)
            for phase in (0, 1):
                record = _still_good(known.get((path, phase)), view.sha256, aliases, index if phase else None)
                if record is None:
                    if original is None:
                        original = _parse_again(paths[position], root, max_bytes, view.sha256)
                    article = retarget(original, aliases) if aliases else original
                    extraction = extract_recorded(article, original, phase, phases[phase], contexts[phase], aliases,
                                                  record_line(article) if phase else b"")
                    fresh.append(extraction)
                    record = extraction.problems, extraction.mentions, extraction.text, extraction.digest
                    redone += phase
                problems, mentions, line, digest = record
                extracted.problems.extend(problems)
                if phase:
                    extracted.mentions[view.slug] = mentions or []
                    sink.write(line)
                members.setdefault(bucket_of(path), []).append((path, phase, digest))
    cache.put_extractions(fresh)
    extracted.texts.append(text)
    buckets = cache.bucket_files(members)
    for n, bucket in enumerate(buckets):
        link = scratch / f".shard-bucket-{n}.nt"
        os.link(bucket, link)  # the build deletes its shards: the cache keeps the bucket
        extracted.shards.append(link)
    return extracted, index, typos, redone, buckets


class ContentChanged(Exception):
    """A file changed while the build read it: the caller builds again from scratch."""


def _still_good(entry: tuple[str, str, bytes] | None, sha: str, aliases: dict[str, str],
                index: ConceptIndex | None) -> tuple[list[Problem], list[str] | None, bytes, str] | None:
    """Return (problems, mentions, text record, lines digest) of a cached extraction that still holds, else None."""
    if entry is None or entry[0] != sha:
        return None
    problems, seen, reads, mentions, text = pickle.loads(entry[2])
    if any(aliases.get(target) != where for target, where in seen):
        return None
    if index is not None and not still_valid(reads, index):
        return None
    return problems, mentions, text, entry[1]


def _parse_again(path: Path, root: Path, max_bytes: int, sha: str) -> Article:
    """Parse a file whose index view came from the cache; raise ContentChanged if it is not that file any more."""
    article, _ = parse_article(path, root, max_bytes)
    if article is None or article.sha256 != sha:
        raise ContentChanged(f"{path} changed during the build")
    return article
