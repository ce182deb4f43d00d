"""The on-disk store contract: build_dir/store-<version>/ holds graph.nt's triples, swapped in with the rest.

Also the worker set that parses and extracts (graph/pipeline/workers.py): forked workers give the same
graph and the same file:line problems as one process, and a failing worker fails the build loudly.
"""

from __future__ import annotations

import errno
import gc
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.pipeline.build import GRAPH_NT, build, is_up_to_date, store_dir
from graph.pipeline.workers import WorkerError
from graph.vocab import Vocabulary
from tests.conftest import article_text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))

from bench.corpus import generate  # noqa: E402


def stores(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("store-"))


def triples_in(directory: Path) -> int:
    store = ox.Store.read_only(str(directory))
    try:
        return len(store)
    finally:
        del store


def nt_lines(out: Path) -> int:
    return (out / GRAPH_NT).read_bytes().count(b"\n")


def test_build_writes_a_store_holding_exactly_graph_nt(write_article, tmp_path):
    write_article("a.md", article_text(title="أ", body="[ب](/b) و[ج](/c)."))
    write_article("b.md", article_text(title="ب", body="**مصطلح (TRM):** شرح.\n"))
    out = tmp_path / "build"
    report = build(tmp_path / "content", out)
    assert report.written, report.failure
    assert stores(out) == [f"store-{report.version}"] == [store_dir(out, report.version).name]
    assert triples_in(store_dir(out, report.version)) == report.triples == nt_lines(out)
    store = ox.Store.read_only(str(store_dir(out, report.version)))
    from_file = {q.triple for q in ox.parse(path=str(out / GRAPH_NT), format=ox.RdfFormat.N_TRIPLES)}
    assert {q.triple for q in store} == from_file
    del store
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["cache", "changes", "graph.nt", "graph.ttl", "report.json", f"store-{report.version}"])  # no shard left
    assert sorted(p.name for p in (out / "cache").iterdir()) == ["cache.sqlite"]  # no worker record left
    assert report.timings["store"] > 0 and report.timings["readmodel"] > 0  # both written, both timed
    assert is_up_to_date(tmp_path / "content", out, Vocabulary())


def test_a_new_version_keeps_the_previous_store_and_drops_older_ones(write_article, tmp_path):
    out = tmp_path / "build"
    versions = []
    for n in range(3):
        write_article(f"a{n}.md", article_text(title=f"مقال {n}"))
        report = build(tmp_path / "content", out)
        assert report.written, report.failure
        versions.append((report.version, report.triples))
    assert len({v for v, _ in versions}) == 3
    assert stores(out) == sorted(f"store-{v}" for v, _ in versions[1:])
    for version, triples in versions[1:]:  # the kept one still opens and holds its own graph
        assert triples_in(store_dir(out, version)) == triples


def test_the_same_content_rebuilt_keeps_one_store(write_article, tmp_path):
    write_article("a.md", article_text())
    out = tmp_path / "build"
    first = build(tmp_path / "content", out)
    second = build(tmp_path / "content", out)
    assert first.version == second.version and stores(out) == [f"store-{first.version}"]
    assert triples_in(store_dir(out, first.version)) == first.triples


def test_a_rejected_build_keeps_the_previous_store(write_article, tmp_path):
    write_article("good.md", article_text(title="جيد"))
    out = tmp_path / "build"
    good = build(tmp_path / "content", out)
    write_article("broken.md", "---\ntitle: [\n---\n")
    assert not build(tmp_path / "content", out).written
    assert gc.isenabled()  # the collector paused while parsing is back on after an early return
    assert stores(out) == [f"store-{good.version}"]
    assert triples_in(store_dir(out, good.version)) == good.triples
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "content"]


def test_a_failed_swap_keeps_the_previous_build_and_its_store(write_article, tmp_path, monkeypatch):
    write_article("a.md", article_text(title="أ"))
    out = tmp_path / "build"
    good = build(tmp_path / "content", out)
    write_article("b.md", article_text(title="ب"))

    def cannot_rename(staging, out_dir):
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("graph.pipeline.build._swap_in", cannot_rename)
    report = build(tmp_path / "content", out)
    assert not report.written and "previous build is kept" in report.failure
    assert stores(out) == [f"store-{good.version}"]
    assert triples_in(store_dir(out, good.version)) == good.triples == nt_lines(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "content"]


def test_a_store_write_failure_keeps_the_previous_build(write_article, tmp_path, monkeypatch):
    write_article("a.md", article_text(title="أ"))
    out = tmp_path / "build"
    good = build(tmp_path / "content", out)
    write_article("b.md", article_text(title="ب"))

    def disk_full(*args, **options):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("graph.pipeline.build.write_disk_store", disk_full)  # a full build loads the store
    report = build(tmp_path / "content", out, full=True)
    assert not report.written and "No space left on device" in report.failure
    assert stores(out) == [f"store-{good.version}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "content"]
    monkeypatch.setattr("graph.pipeline.build.patch_store", disk_full)  # an incremental one patches the last
    report = build(tmp_path / "content", out)
    assert report.reparsed == 1 and not report.written and "No space left on device" in report.failure
    assert stores(out) == [f"store-{good.version}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build", "content"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A generated corpus big enough for the worker processes, with a duplicate slug and raw HTML."""
    root = tmp_path_factory.mktemp("workers") / "content"
    generate(260, root, seed=3)
    first = sorted(root.glob("*.md"))[0]
    (root / "zz-duplicate.md").write_text(
        first.read_text(encoding="utf-8").replace("---\n", f"---\nslug: {first.stem}\n", 1), encoding="utf-8")
    (root / "zz-html.md").write_text(article_text(title="خام", body="<div>خام</div>\n\n[س](/s)"),
                                     encoding="utf-8")
    return root


def test_workers_give_the_graph_and_problems_of_one_process(corpus, tmp_path):
    one = build(corpus, tmp_path / "one", jobs=1, keep_going=True)
    two = build(corpus, tmp_path / "two", jobs=2, keep_going=True)
    assert one.written and two.written, (one.failure, two.failure)
    assert (tmp_path / "one" / GRAPH_NT).read_bytes() == (tmp_path / "two" / GRAPH_NT).read_bytes()
    assert one.version == two.version and one.counts == two.counts
    assert [str(p) for p in one.problems] == [str(p) for p in two.problems]
    assert two.rejected == ["zz-duplicate.md"]
    assert any(p.code == "raw-html" and p.path == "zz-html.md" and p.line == 9 for p in two.problems)
    assert triples_in(store_dir(tmp_path / "two", two.version)) == two.triples


def test_a_failing_worker_fails_the_build_with_its_traceback(corpus, tmp_path, monkeypatch):
    def explode(path, root, max_bytes):
        raise ValueError(f"cannot parse {path.name}")

    monkeypatch.setattr("graph.pipeline.workers.parse_article", explode)  # inherited by the forked workers
    with pytest.raises(WorkerError, match="ValueError: cannot parse"):
        build(corpus, tmp_path / "build", jobs=2)
    assert not (tmp_path / "build").exists()


def test_a_full_disk_in_a_worker_keeps_the_previous_build(corpus, tmp_path, monkeypatch):
    out = tmp_path / "build"
    good = build(corpus, out, jobs=2, keep_going=True)
    assert good.written, good.failure

    def disk_full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("graph.pipeline.workers._Share.extract", disk_full)  # inherited by the forked workers
    report = build(corpus, out, jobs=2, keep_going=True, full=True)
    assert not report.written and "No space left on device" in report.failure
    assert stores(out) == [f"store-{good.version}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]
    # an incremental build that cannot write its buckets keeps the previous build too
    monkeypatch.setattr("graph.pipeline.incremental.cache.BuildCache.bucket_files", disk_full)
    report = build(corpus, out, jobs=2, keep_going=True)
    assert not report.written and "No space left on device" in report.failure
    assert stores(out) == [f"store-{good.version}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_merge_with_sort_equals_the_heapq_merge(tmp_path, monkeypatch):
    from graph.pipeline.shards import merge_shards

    shards = [tmp_path / f"{n}.nt" for n in range(3)]
    lines = [f'<s{n % 7}> <p> "{chr(0x627 + n % 5)} {n}" .\n'.encode() for n in range(40)]
    for n, shard in enumerate(shards):  # overlapping, each sorted by bytes, duplicates across shards
        shard.write_bytes(b"".join(sorted(set(lines[n * 10 : n * 10 + 20]))))
    with_sort = merge_shards(shards, tmp_path / "sorted.nt")
    monkeypatch.setattr("graph.pipeline.shards.shutil.which", lambda name: None)
    with_heapq = merge_shards(shards, tmp_path / "heapq.nt")
    assert with_sort == with_heapq and with_sort[0] == 40
    assert (tmp_path / "sorted.nt").read_bytes() == (tmp_path / "heapq.nt").read_bytes() == b"".join(sorted(lines))
