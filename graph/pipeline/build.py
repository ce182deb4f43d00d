"""Orchestrate a build: parse, resolve, extract, validate, then write to a temp dir and swap it in.

A build directory holds graph.nt, graph.ttl, report.json and store-<version>/: the on-disk
pyoxigraph store of graph.nt (compacted) and its read model (graph.readmodel.persist), which
servers only open; the previous version's directory is kept beside it for servers still reading
it, older ones are dropped.

Usage::

    report = build(content_dir=Path("content"), out_dir=Path("build"))
    report.written, report.triples, report.timings   # (True, 1234, {'parse': 0.01, ...})
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from graph import changes
from graph.built import read_report, source_fingerprint
from graph.config import ONTOLOGY_DIR, ONTOLOGY_FILES, ConfigError, ontology_file
from graph.export import convert, nt_line
from graph.extract import ExtractionContext, extractors
from graph.parse.articletext import ARTICLE_TEXT
from graph.parse.content import Article, Problem, discover
from graph.pipeline.corpus import Admitted, admit
from graph.pipeline.incremental import (
    CACHE_DIR,
    BuildCache,
    ContentChanged,
    extract_changed,
    keep_cache,
    patch_store,
    previous_cache,
    read_changed,
)
from graph.pipeline.link_typos import link_typos
from graph.pipeline.progress import Reporter
from graph.pipeline.resolve import ConceptIndex
from graph.pipeline.shards import keep_store, merge_shards, write_disk_store
from graph.pipeline.validate import (
    ValidationReport,
    store_source_files,
    validate_file,
    validate_graph,
    with_sources,
)
from graph.pipeline.workers import CorpusWorkers, Extracted, collector_paused
from graph.readmodel import persist
from graph.store.disk import GRAPH_NT, REPORT_FILE, compact, store_dir
from graph.vocab import Vocabulary

BUILD_FORMAT = 1
GRAPH_TTL = "graph.ttl"
DISK_STORE_NICE = 10
"""Nice value of the on-disk store load: the merge, load and validation chain goes first on the cores."""


@dataclass
class BuildReport:
    """What a build did: counts, problems, validation, timings, and whether it replaced the output."""

    articles: int = 0
    triples: int = 0
    version: str = ""
    fingerprint: str = ""
    content_dir: str = ""  # absolute: commands that read the build tell whether it is stale
    source: str = ""  # source_fingerprint of content_dir
    engine: str = ""
    written: bool = False
    failure: str | None = None
    problems: list[Problem] = field(default_factory=list)
    validation: ValidationReport | None = None
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    reparsed: int | None = None  # incremental builds: the files parsed again (None: a full build)
    reextracted: int | None = None  # and the articles extracted again

    @property
    def conforms(self) -> bool:
        return self.validation is not None and self.validation.conforms

    @property
    def rejected(self) -> list[str]:
        return sorted({p.path for p in self.problems if p.severity == "error"})

    def to_json(self) -> dict[str, object]:
        return {
            "format": BUILD_FORMAT,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "content_dir": self.content_dir,
            "source_fingerprint": self.source,
            "validation_engine": self.engine,
            "written": self.written,
            "failure": self.failure,
            "articles": self.articles,
            "triples": self.triples,
            "counts": self.counts,
            "rejected": self.rejected,
            "problems": [p.as_dict() for p in self.problems],
            "validation": self.validation.to_json() if self.validation else None,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def content_fingerprint(content_dir: Path, vocab: Vocabulary, ontology_dir: Path = ONTOLOGY_DIR,
                        include_drafts: bool = False, *, source: str | None = None) -> str:
    """Hash what a build depends on: the articles (`source`, when known), base IRI, drafts, shapes and code."""
    digest = hashlib.sha256(f"{BUILD_FORMAT}\n{vocab.base}\n{'drafts' if include_drafts else ''}\n".encode())
    for name in ONTOLOGY_FILES:
        digest.update(ontology_file(ontology_dir, name).read_bytes())
    for module in sorted(Path(__file__).parents[1].rglob("*.py")):  # all of graph/
        stat = module.stat()
        digest.update(f"{module.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    digest.update((source_fingerprint(content_dir) if source is None else source).encode())
    return digest.hexdigest()[:32]


def is_up_to_date(content_dir: Path, out_dir: Path, vocab: Vocabulary, include_drafts: bool = False) -> bool:
    """Tell whether out_dir holds a successful build of exactly this content (drafts in or out)."""
    previous = read_report(out_dir)
    return bool(
        previous
        and previous.get("written")
        and previous.get("fingerprint") == content_fingerprint(content_dir, vocab, include_drafts=include_drafts)
        and (out_dir / GRAPH_NT).is_file()
        and store_dir(out_dir, str(previous.get("version"))).is_dir()
    )


def _corpus_shard(index: ConceptIndex, vocab: Vocabulary, extracted: Extracted, scratch: Path) -> list[Problem]:
    """Run the corpus-wide extractors into one more shard of `extracted`; return their problems."""
    context = ExtractionContext(vocab=vocab, index=index)
    context.memo["mentions"] = extracted.mentions  # computed by the workers, article by article
    missing = set(index.articles) - set(extracted.mentions)
    if missing:
        raise RuntimeError(f"no mentions extracted for {len(missing)} article(s), e.g. {min(missing)!r}")
    _, corpus_extractors = extractors()
    lines = {nt_line(t) for extractor in corpus_extractors for t in extractor(context)}
    path = scratch / ".shard-corpus.nt"
    path.write_bytes(b"".join(sorted(line.encode() for line in lines)))
    extracted.shards.append(path)
    return context.problems


def extract_to_file(articles: list[Article], vocab: Vocabulary, output: Path,
                    jobs: int = 0) -> tuple[int, str, list[Problem]]:
    """Extract every fact into `output` as sorted distinct N-Triples; return (triples, version, problems).

    Workers (forked, each inheriting its share of the articles) write sorted shards next to
    `output`, merged by streaming: the parent never holds the triples as Python objects.
    """
    extracted = Extracted()
    try:
        with CorpusWorkers(jobs, articles=articles) as workers:
            workers.prepare(vocab, None, None, output.parent)  # the workers start while the index is built
            index = ConceptIndex.build(articles)
            typos = list(link_typos(index))
            extracted = workers.extract(index, vocab, None, output.parent)
        problems = extracted.problems + _corpus_shard(index, vocab, extracted, output.parent) + typos
        count, digest = merge_shards(extracted.shards, output)
    finally:
        for path in (*extracted.shards, *extracted.texts):
            path.unlink(missing_ok=True)
    return count, digest, problems


def extract_lines(articles: list[Article], vocab: Vocabulary, jobs: int = 0) -> tuple[list[str], list[Problem]]:
    """Return the sorted distinct N-Triples lines of the corpus (see extract_to_file)."""
    with tempfile.TemporaryDirectory(prefix="mkg-extract-") as scratch:
        output = Path(scratch) / GRAPH_NT
        _, _, problems = extract_to_file(articles, vocab, output, jobs)
        return output.read_text(encoding="utf-8").splitlines(keepends=True), problems


_COUNTS = """
SELECT
  (COUNT(DISTINCT ?concept) AS ?concepts) (COUNT(DISTINCT ?withArticle) AS ?concepts_with_article)
  (COUNT(DISTINCT ?red) AS ?red_links) (COUNT(DISTINCT ?term) AS ?defined_terms)
WHERE {
  ?concept a mkg:Concept .
  OPTIONAL { ?concept mkg:hasArticle true . BIND(?concept AS ?withArticle) }
  OPTIONAL { ?concept mkg:hasArticle false . FILTER EXISTS { ?any mkg:linksTo ?concept } BIND(?concept AS ?red) }
  OPTIONAL { ?concept a mkg:DefinedTerm ; mkg:hasArticle false . BIND(?concept AS ?term) }
}"""
_CLASS_COUNTS = {"keywords": "mkg:Keyword", "links": "mkg:Link", "sections": "mkg:Section",
                 "term_definitions": "mkg:TermDefinition", "questions": "schema:Question",
                 "key_figures": "mkg:KeyFigure", "organizations": "schema:Organization"}


def _counts(store: ox.Store, vocab: Vocabulary) -> dict[str, int]:
    """Count concepts by kind, and the other node kinds, with SPARQL on the built graph."""
    prefixes = vocab.prefixes()
    row = next(iter(store.query(_COUNTS, prefixes=prefixes)))
    counts = {name: int(row[name].value) for name in
              ("concepts", "concepts_with_article", "red_links", "defined_terms")}
    for name, cls in _CLASS_COUNTS.items():
        result = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?x a {cls} }}", prefixes=prefixes)
        counts[name] = int(next(iter(result))["n"].value)
    return counts


ENGINES = ("auto", "shacl", "pyshacl")
"""auto is shacl; pyshacl is the reference engine (slower, for checking)."""


def validate_built(source: bytes | Path, vocab: Vocabulary, ontology_dir: Path, engine: str = "auto",
                   sources: dict[str, str] | None = None) -> tuple[ValidationReport, str]:
    """Validate built N-Triples (bytes or a file) with the shacl engine, or pyshacl; return (report, engine).

    `sources` ({} to leave them for graph.pipeline.validate.with_sources) names each result's markdown file.
    """
    engine = "shacl" if engine in ("auto", "sparql") else engine  # sparql: the engine shacl replaced
    if engine == "shacl":
        return validate_file(source, vocab, ontology_dir, sources=sources), engine
    if engine != "pyshacl":
        raise ValueError(f"unknown validation engine {engine!r}: use {', '.join(ENGINES)}")
    graph = Graph()
    if isinstance(source, Path):
        graph.parse(source, format="nt")
    else:
        graph.parse(data=source.decode("utf-8"), format="nt")
    return validate_graph(graph, vocab, ontology_dir), engine


def validate_lines(body: bytes | Path, triples: int, vocab: Vocabulary, ontology_dir: Path,
                   engine: str = "auto") -> tuple[ValidationReport, dict[str, int], str]:
    """Validate built N-Triples (bytes or a file) and count its nodes by kind: (report, counts, engine)."""
    store = ox.Store()
    if isinstance(body, Path):
        store.bulk_load(path=str(body), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    else:
        store.bulk_load(input=body, format=ox.RdfFormat.N_TRIPLES, lenient=True)
    validation, engine = validate_built(body, vocab, ontology_dir, engine)
    return validation, _counts(store, vocab), engine


def _abandon(report: BuildReport, staging: Path, exc: OSError | None) -> BuildReport:
    """Record a write failure (`exc`, or the failure already named), drop the staging dir, keep the previous build."""
    report.written = False
    if exc is not None:
        report.failure = f"cannot write the build output ({exc.strerror or exc}); the previous build is kept"
    shutil.rmtree(staging, ignore_errors=True)
    return report


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Replace out_dir by staging; on failure, leave the previous out_dir in place."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}-{time.monotonic_ns()}")
        out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except OSError:
        if old is not None:
            old.rename(out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _timed(timings: dict[str, float], name: str, work: Callable[[], object]) -> Callable[[], object]:
    """Wrap `work` to record its wall time as timings[name] (it runs in a thread)."""
    def run() -> object:
        started = time.perf_counter()
        try:
            return work()
        finally:
            timings[name] = time.perf_counter() - started
    return run


def _write_outputs(report: BuildReport, shards: list[Path], staging: Path, vocab: Vocabulary,
                   ontology_dir: Path, engine: str, texts: list[Path], previous: tuple[Path, Path] | None = None
                   ) -> None:
    """Merge the shards into graph.nt, write graph.ttl, the on-disk store and the read model, and validate; all at once.

    The two cores share: from the start, the on-disk store load from the shards (two pyoxigraph
    bulk loads, GIL released, at a lower priority, then its compaction) and the `sort -m` merge;
    after the merge, the validation of graph.nt by the shacl engine beside the Turtle conversion
    and the read model, made from graph.nt alone (a spawned process for big graphs; dropped with
    the staging directory when validation fails). The counts are then read from the on-disk
    store. No whole-graph store is held in memory. With `previous` (the previous version's store and
    graph.nt), the store is that one patched once graph.nt is merged (graph.pipeline.incremental.store).
    """
    loading, model_files = staging / ".store-loading", staging / ".readmodel"
    model_files.mkdir()
    timings: dict[str, float] = {}
    not_needed = threading.Event()  # validation failed: no read model

    def write_store() -> None:
        if previous is None:
            write_disk_store(shards, loading, nice=DISK_STORE_NICE)
        else:  # the patch is compared once: the store applies it, the changeset keeps it (graph.changes.record)
            merged.result()
            changes.compare(previous[1], staging / GRAPH_NT, *_patch(staging))
            patch_store(previous[0], *_patch(staging), loading)
        compact(loading)  # once, before anything opens it read-only (a patched compacted store stays so)

    with ThreadPoolExecutor(max_workers=4) as pool:
        merged = pool.submit(merge_shards, shards, staging / GRAPH_NT)
        disk = pool.submit(_timed(timings, "store", write_store))

        def write_turtle() -> None:
            merged.result()
            convert(staging / GRAPH_NT, "turtle", vocab, staging / GRAPH_TTL)

        def write_model() -> None:
            _, version = merged.result()
            _keep_article_text(texts, model_files / ARTICLE_TEXT)
            if not_needed.is_set():
                return
            try:
                persist.write_from_file(model_files, version, vocab, staging / GRAPH_NT, model_files / ARTICLE_TEXT)
            except persist.ReadModelStopped:
                if not not_needed.is_set():  # killed by something else: made here, as persist.ensure would
                    persist.write(model_files, None, vocab, staging / GRAPH_NT, model_files / ARTICLE_TEXT,
                                  version=version)

        turtle = pool.submit(write_turtle)
        model = pool.submit(_timed(timings, "readmodel", write_model))
        started = time.perf_counter()
        report.triples, report.version = merged.result()
        report.validation, report.engine = validate_built(staging / GRAPH_NT, vocab, ontology_dir, engine, {})
        validated = time.perf_counter()
        report.timings["validate"] = validated - started
        if not report.validation.conforms:  # the build fails: the read model would be dropped
            not_needed.set()
            persist.stop_read_models()
        turtle.result()
        disk.result()
        model.result()
    store = ox.Store.read_only(str(loading))  # the source files and counts come from the store
    report.validation = with_sources(report.validation, store_source_files(store, vocab))
    report.counts = _counts(store, vocab)
    del store
    report.timings["write"] = time.perf_counter() - validated
    report.timings["store"] = timings["store"]
    report.timings["readmodel"] = timings["readmodel"]
    for shard in shards:
        shard.unlink()
    directory = store_dir(staging, report.version)
    loading.rename(directory)
    for made in model_files.iterdir():  # saved by name: they move with their directory
        made.rename(directory / made.name)
    model_files.rmdir()


def _keep_article_text(texts: list[Path], target: Path) -> None:
    """Join the workers' article text files (graph.parse.articletext) into the version's directory."""
    with target.open("wb") as sink:
        for text in texts:
            with text.open("rb") as source:
                shutil.copyfileobj(source, sink, 1 << 20)
            text.unlink()


def _patch(staging: Path) -> tuple[Path, Path]:
    """Return where an incremental build keeps the triples removed and added since the previous version."""
    return staging / ".patch-removed.nt", staging / ".patch-added.nt"


def _previous_store(out_dir: Path) -> tuple[Path, Path] | None:
    """Return the previous build's store and graph.nt, when both are there to patch."""
    version = (read_report(out_dir) or {}).get("version")
    if isinstance(version, str) and version and store_dir(out_dir, version).is_dir():
        return store_dir(out_dir, version), out_dir / GRAPH_NT
    return None


def _keep_previous_store(out_dir: Path, staging: Path, version: str) -> None:
    """Carry the previous build's store into staging (a server may still read it); older ones are dropped."""
    previous = (read_report(out_dir) or {}).get("version")
    if isinstance(previous, str) and previous and previous != version:
        source = store_dir(out_dir, previous)
        if source.is_dir():
            keep_store(source, store_dir(staging, previous))


def build(
    content_dir: Path,
    out_dir: Path,
    *,
    vocab: Vocabulary | None = None,
    keep_going: bool = False,
    strict: bool = False,
    jobs: int = 0,
    max_file_bytes: int = 5 * 1024 * 1024,
    ontology_dir: Path = ONTOLOGY_DIR,
    progress: Reporter | None = None,
    engine: str = "auto",
    include_drafts: bool = False,
    full: bool = False,
    keep_versions: int = 3,
) -> BuildReport:
    """Build the graph from content_dir into out_dir; out_dir is only replaced by a build that passes.

    Drafts (`draft: true`, `published: false`) are left out unless include_drafts (a preview build).
    `progress` (graph.pipeline.progress) is told each stage, and the files parsed out of the total.
    Unless `full`, the previous build's cache (graph.pipeline.incremental) spares what did not change.
    What changed since the previous build is kept for the last `keep_versions` versions (graph.changes).
    """
    stage = progress or (lambda _stage, _done, _total: None)
    vocab = vocab or Vocabulary()
    content_dir, out_dir = Path(content_dir), Path(out_dir)
    try:
        source = source_fingerprint(content_dir)
        report = BuildReport(fingerprint=content_fingerprint(content_dir, vocab, ontology_dir, include_drafts,
                                                             source=source),
                             content_dir=str(content_dir.resolve()), source=source)
        settings = content_fingerprint(content_dir, vocab, ontology_dir, include_drafts,
                                       source=f"{max_file_bytes}:{report.content_dir}")
    except ConfigError as exc:  # no shapes to validate against: nothing can be built
        return BuildReport(failure=str(exc))
    clock = time.perf_counter()
    if content_dir.is_dir():
        paths, problems = discover(content_dir)
    else:
        paths, problems = [], [Problem("error", str(content_dir), None, "no-content",
                                       "content directory does not exist: create it or pass --content DIR")]
    cache = None if full else previous_cache(out_dir, settings)
    try:
        gathered: BuildReport | tuple
        with collector_paused():
            if cache is not None:
                try:
                    gathered = _gather_incremental(report, cache, paths, problems, content_dir, out_dir, vocab,
                                                   keep_going, max_file_bytes, include_drafts, clock)
                except ContentChanged:
                    cache.close()
                    cache = None
                    report = replace(report, problems=[], timings={}, counts={}, reparsed=None, reextracted=None)
            if cache is None:
                gathered = _gather_full(report, paths, problems, content_dir, out_dir, vocab, keep_going, jobs,
                                        max_file_bytes, include_drafts, stage, clock, settings)
        if isinstance(gathered, BuildReport):
            return gathered
        extracted, index, typos, staging, buckets = gathered
        try:
            report.problems.extend(extracted.problems + _corpus_shard(index, vocab, extracted, staging) + typos)
            del index
            report.timings["extract"] = time.perf_counter() - clock
            stage("write", 0, 0)
            _write_outputs(report, extracted.shards, staging, vocab, ontology_dir, engine, extracted.texts,
                           None if cache is None else _previous_store(out_dir))
        except OSError as exc:
            return _abandon(report, staging, exc)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        failure = None
        assert report.validation is not None
        if not report.validation.conforms:
            failure = f"{report.validation.counts()['Violation']} SHACL violation(s)"
        elif strict and (warnings := sum(p.severity == "warning" for p in report.problems)
                         + report.validation.counts()["Warning"]):
            failure = f"--strict given and {warnings} warning(s) found: fix them, or build without --strict"
        if failure:
            report.failure = failure
            return _abandon(report, staging, None)
        try:
            _keep_previous_store(out_dir, staging, report.version)
            if cache is not None:  # the cache moves on with the build it served
                keep_cache(cache, paths, content_dir, buckets, staging)
            report.written = True
            written = report.to_json()
            previous = read_report(out_dir)
            changes.record(out_dir, staging, previous if previous and previous.get("written") else None, written,
                           keep_versions, vocab, _patch(staging))
            (staging / REPORT_FILE).write_text(json.dumps(written, ensure_ascii=False, indent=2), encoding="utf-8")
            _swap_in(staging, out_dir)
        except OSError as exc:
            return _abandon(report, staging, exc)
        return report
    finally:  # one owner: closed however the build ends (closing twice is harmless)
        if cache is not None:
            cache.close()


def _admit(report: BuildReport, parsed: list, problems: list[Problem], include_drafts: bool, keep_going: bool,
           clock: float) -> Admitted | BuildReport:
    """Admit the parsed articles into `report`; return them, or `report` with the failure that stops the build."""
    admitted = admit(parsed, include_drafts=include_drafts)
    report.problems.extend(problems + admitted.problems)
    report.articles = len(admitted.articles)
    report.timings["parse"] = time.perf_counter() - clock
    if report.rejected and not keep_going:
        report.failure = f"{len(report.rejected)} file(s) rejected (use --keep-going to build the rest)"
        return report
    if not admitted.articles:
        report.failure = (f"every article is a draft ({admitted.drafts}): --include-drafts previews them"
                          if admitted.drafts else "no article could be read")
        return report
    return admitted


def _staging(report: BuildReport, out_dir: Path) -> Path | BuildReport:
    """Make the staging directory beside out_dir, or return `report` saying why it cannot be written."""
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    except OSError as exc:  # a read-only or full file system: nothing written yet
        report.failure = f"cannot write the build output ({exc.strerror or exc}); the previous build is kept"
        return report


def _gather_full(report: BuildReport, paths: list[Path], problems: list[Problem], content_dir: Path, out_dir: Path,
                 vocab: Vocabulary, keep_going: bool, jobs: int, max_file_bytes: int, include_drafts: bool,
                 stage: Reporter, clock: float, settings: str) -> BuildReport | tuple:
    """Parse and extract every article on the workers, recording each into a fresh cache in the staging dir."""
    # One worker set parses (keeping the articles) and then extracts: see graph/pipeline/workers.py.
    with CorpusWorkers(jobs, size_hint=len(paths)) as workers:
        parsed = workers.parse(paths, content_dir, max_file_bytes, lambda done, total: stage("parse", done, total))
        views = [(view, found) for view, found in parsed if view is not None]
        admitted = _admit(report, parsed, problems, include_drafts, keep_going, clock)
        del parsed
        if isinstance(admitted, BuildReport):
            return admitted
        articles, admitted.articles = admitted.articles, []  # one reference, dropped once the index is built
        clock = time.perf_counter()
        stage("extract", 0, 0)
        staging = _staging(report, out_dir)
        if isinstance(staging, BuildReport):
            return staging
        try:
            # the extractors needing no index run meanwhile
            workers.prepare(vocab, admitted.kept, admitted.aliases, staging, record=True)
            # The index without the blocks it was built from: all the extractors read. Link typos read
            # the links, so they are found first.
            index = ConceptIndex.build(articles)
            typos = list(link_typos(index))
            index = index.for_extraction()
            del articles  # index views: the workers hold the articles
            extracted = workers.extract(index, vocab, admitted.kept, staging)
            cache = BuildCache.open(staging / CACHE_DIR, settings, fresh=True)
            if cache is not None:
                cache.put_views(views)
                cache.ingest(sorted(staging.glob("*.records")))
                cache.close()
        except OSError as exc:
            return _abandon(report, staging, exc)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return extracted, index, typos, staging, []


def _gather_incremental(report: BuildReport, cache: BuildCache, paths: list[Path], problems: list[Problem],
                        content_dir: Path, out_dir: Path, vocab: Vocabulary, keep_going: bool, max_file_bytes: int,
                        include_drafts: bool, clock: float) -> BuildReport | tuple:
    """Parse and extract what changed since the build the cache served (graph.pipeline.incremental.update)."""
    parsed, articles, report.reparsed = read_changed(cache, paths, content_dir, max_file_bytes)
    admitted = _admit(report, parsed, problems, include_drafts, keep_going, clock)
    del parsed
    if isinstance(admitted, BuildReport):
        return admitted
    staging = _staging(report, out_dir)
    if isinstance(staging, BuildReport):
        return staging
    try:
        extracted, index, typos, report.reextracted, buckets = extract_changed(
            cache, admitted, admitted.articles, articles, paths, content_dir, max_file_bytes, vocab, staging)
    except OSError as exc:
        return _abandon(report, staging, exc)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return extracted, index, typos, staging, buckets
