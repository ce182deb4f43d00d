"""Orchestrate a build: parse, resolve, extract, validate, then write to a temp dir and swap it in.

Usage::

    report = build(content_dir=Path("content"), out_dir=Path("build"))
    report.written, report.triples, report.timings   # (True, 1234, {'parse': 0.01, ...})
"""

from __future__ import annotations

import hashlib
import heapq
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from graph.config import ONTOLOGY_DIR
from graph.content import Article, Problem, discover, read_content
from graph.export import convert, nt_line
from graph.extract import ExtractionContext, extractors
from graph.resolve import ConceptIndex
from graph.validate import ValidationReport, validate_graph, validate_store
from graph.vocab import Vocabulary

BUILD_FORMAT = 1
REPORT_FILE = "report.json"
GRAPH_NT = "graph.nt"
GRAPH_TTL = "graph.ttl"
PYSHACL_MAX_TRIPLES = 150_000
"""Up to this size pyshacl (the reference engine) validates; above it, the SPARQL engine on pyoxigraph."""


@dataclass
class BuildReport:
    """What a build did: counts, problems, validation, timings, and whether it replaced the output."""

    articles: int = 0
    triples: int = 0
    version: str = ""
    fingerprint: str = ""
    engine: str = ""
    written: bool = False
    failure: str | None = None
    problems: list[Problem] = field(default_factory=list)
    validation: ValidationReport | None = None
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

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


def content_fingerprint(content_dir: Path, vocab: Vocabulary, ontology_dir: Path = ONTOLOGY_DIR) -> str:
    """Hash what a build depends on: file names, sizes and mtimes, base IRI, shapes and code version."""
    digest = hashlib.sha256(f"{BUILD_FORMAT}\n{vocab.base}\n".encode())
    for name in ("marketing.ttl", "shapes.ttl"):
        path = ontology_dir / name
        if path.is_file():
            digest.update(path.read_bytes())
    for module in sorted((Path(__file__).parent).rglob("*.py")):
        stat = module.stat()
        digest.update(f"{module.name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    if content_dir.is_dir():
        paths, _ = discover(content_dir)
        for path in paths:
            stat = path.stat()
            digest.update(f"{path.relative_to(content_dir)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def read_report(out_dir: Path) -> dict | None:
    """Return the report.json of a previous build in out_dir, or None."""
    try:
        return json.loads((out_dir / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_up_to_date(content_dir: Path, out_dir: Path, vocab: Vocabulary) -> bool:
    """Tell whether out_dir holds a successful build of exactly this content."""
    previous = read_report(out_dir)
    return bool(
        previous
        and previous.get("written")
        and previous.get("fingerprint") == content_fingerprint(content_dir, vocab)
        and (out_dir / GRAPH_NT).is_file()
    )


_SHARED: dict[str, object] = {}


def _extract_shard(job: tuple[int, int, str]) -> tuple[int, list[Problem]]:
    """Write the sorted distinct N-Triples of articles[start:end] to a shard file (forked worker)."""
    start, end, path = job
    context: ExtractionContext = _SHARED["context"]  # type: ignore[assignment]
    articles: list[Article] = _SHARED["articles"]  # type: ignore[assignment]
    article_extractors, _ = extractors()
    before = len(context.problems)
    lines = {nt_line(t) for article in articles[start:end] for extractor in article_extractors
             for t in extractor(article, context)}
    Path(path).write_text("".join(sorted(lines)), encoding="utf-8")
    return len(lines), context.problems[before:]


def extract_to_file(articles: list[Article], vocab: Vocabulary, output: Path,
                    jobs: int = 0) -> tuple[int, str, list[Problem]]:
    """Extract every fact into `output` as sorted distinct N-Triples; return (triples, version, problems).

    Workers (forked, so the corpus index is inherited) each write a sorted shard next to `output`;
    the shards are merged by streaming, so the parent never holds the triples as Python objects.
    """
    context = ExtractionContext(vocab=vocab, index=ConceptIndex.build(articles))
    _, corpus_extractors = extractors()
    jobs = jobs or os.cpu_count() or 1
    problems: list[Problem] = []
    shard_paths: list[Path] = []
    _SHARED.update(context=context, articles=articles)
    try:
        parallel = jobs > 1 and len(articles) >= 400 and "fork" in multiprocessing.get_all_start_methods()
        step = -(-len(articles) // (jobs * 4)) if parallel else max(1, len(articles))
        shards = [(start, min(start + step, len(articles)), str(output.with_name(f".shard-{n}.nt")))
                  for n, start in enumerate(range(0, len(articles), step))]
        shard_paths = [Path(path) for _, _, path in shards]
        if parallel:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                for _, shard_problems in pool.imap(_extract_shard, shards):
                    problems.extend(shard_problems)
        else:
            for shard in shards:
                problems.extend(_extract_shard(shard)[1])
        start = len(context.problems)
        corpus_lines = {nt_line(t) for extractor in corpus_extractors for t in extractor(context)}
        problems.extend(context.problems[start:])
        corpus_path = output.with_name(".shard-corpus.nt")
        corpus_path.write_text("".join(sorted(corpus_lines)), encoding="utf-8")
        shard_paths.append(corpus_path)
        count, digest = _merge_shards(shard_paths, output)
    finally:
        _SHARED.clear()
        for path in shard_paths:
            path.unlink(missing_ok=True)
    return count, digest, problems


def _merge_shards(paths: list[Path], output: Path) -> tuple[int, str]:
    """Merge sorted shard files into `output`, dropping duplicates; return (lines, sha256 prefix)."""
    digest = hashlib.sha256()
    count = 0
    previous = None
    handles = [path.open("rb") for path in paths]
    try:
        with output.open("wb") as sink:
            for line in heapq.merge(*handles):
                if line != previous:
                    sink.write(line)
                    digest.update(line)
                    count += 1
                    previous = line
    finally:
        for handle in handles:
            handle.close()
    return count, digest.hexdigest()[:16]


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
_CLASS_COUNTS = {"keywords": "mkg:Keyword", "links": "mkg:Link", "questions": "schema:Question",
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


def validate_lines(body: bytes | Path, triples: int, vocab: Vocabulary, ontology_dir: Path,
                   engine: str = "auto") -> tuple[ValidationReport, dict[str, int], str]:
    """Validate built N-Triples (bytes or a file) with pyshacl (small graphs) or the SPARQL engine."""
    store = ox.Store()
    if isinstance(body, Path):
        store.bulk_load(path=str(body), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    else:
        store.bulk_load(input=body, format=ox.RdfFormat.N_TRIPLES, lenient=True)
    if engine == "auto":
        engine = "pyshacl" if triples <= PYSHACL_MAX_TRIPLES else "sparql"
    if engine == "pyshacl":
        graph = Graph()
        if isinstance(body, Path):
            graph.parse(body, format="nt")
        else:
            graph.parse(data=body.decode("utf-8"), format="nt")
        validation = validate_graph(graph, vocab, ontology_dir)
    elif engine == "sparql":
        validation = validate_store(store, vocab, ontology_dir)
    else:
        raise ValueError(f"unknown validation engine {engine!r}: use auto, pyshacl or sparql")
    return validation, _counts(store, vocab), engine


def _abandon(report: BuildReport, staging: Path, exc: OSError) -> BuildReport:
    """Record a write failure, drop the staging dir and keep the previous build."""
    report.written = False
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
    progress: Callable[[int, int], None] | None = None,
    engine: str = "auto",
) -> BuildReport:
    """Build the graph from content_dir into out_dir; out_dir is only replaced by a build that passes."""
    vocab = vocab or Vocabulary()
    report = BuildReport(fingerprint=content_fingerprint(content_dir, vocab, ontology_dir))
    clock = time.perf_counter()

    articles, problems = read_content(content_dir, max_bytes=max_file_bytes, jobs=jobs, progress=progress)
    report.problems.extend(problems)
    report.articles = len(articles)
    report.timings["parse"] = time.perf_counter() - clock
    if report.rejected and not keep_going:
        report.failure = f"{len(report.rejected)} file(s) rejected (use --keep-going to build the rest)"
        return report
    if not articles:
        report.failure = "no article could be read"
        return report

    # Extract straight into graph.nt of a staging dir, stream Turtle from it in a thread while
    # validation runs (both spend their time in pyoxigraph); staging only replaces out_dir if all passes.
    clock = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    with ThreadPoolExecutor(max_workers=1) as writer:
        try:
            report.triples, report.version, extract_problems = extract_to_file(
                articles, vocab, staging / GRAPH_NT, jobs)
            del articles  # the graph file holds everything from here on
            report.problems.extend(extract_problems)
            report.timings["extract"] = time.perf_counter() - clock
            turtle = writer.submit(convert, staging / GRAPH_NT, "turtle", vocab, staging / GRAPH_TTL)
        except OSError as exc:
            return _abandon(report, staging, exc)
        written_at = time.perf_counter()
        report.validation, report.counts, report.engine = validate_lines(
            staging / GRAPH_NT, report.triples, vocab, ontology_dir, engine)
        validated_at = time.perf_counter()
        report.timings["validate"] = validated_at - written_at
        try:
            turtle.result()
        except OSError as exc:
            return _abandon(report, staging, exc)
        report.timings["write"] = time.perf_counter() - validated_at
    failure = None
    if not report.validation.conforms:
        failure = f"{report.validation.counts()['Violation']} SHACL violation(s)"
    elif strict and (any(p.severity == "warning" for p in report.problems)
                     or report.validation.counts()["Warning"]):
        failure = "warnings present and --strict given"
    if failure:
        report.failure = failure
        shutil.rmtree(staging, ignore_errors=True)
        return report
    try:
        report.written = True
        (staging / REPORT_FILE).write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2),
                                           encoding="utf-8")
        _swap_in(staging, out_dir)
    except OSError as exc:
        return _abandon(report, staging, exc)
    return report
