"""The build's workers hold one batch of lines at a time: shards of at most SHARD_LINES lines, same graph.

A worker spills its parsed articles to a scratch file and writes its lines as sorted shards of at
most graph.pipeline.workers.SHARD_LINES distinct lines, so its memory does not grow with the corpus. With
a tiny batch, the build writes many shards and still the same graph.nt.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import graph.pipeline.build
import graph.pipeline.workers
from graph.pipeline.build import build

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))

from bench.corpus import generate  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("memory-corpus")
    generate(260, root, seed=3)  # over graph.pipeline.workers.MIN_PARALLEL: two forked workers
    return root


@pytest.mark.parametrize("jobs", [1, 2])
def test_small_batches_give_the_same_graph(corpus, tmp_path, monkeypatch, jobs):
    whole = build(corpus, tmp_path / "whole", jobs=jobs)
    assert whole.written, whole.failure
    shards: list[list[int]] = []
    merge = graph.pipeline.build.merge_shards

    def counting(paths, output):
        shards.append([len(path.read_bytes().splitlines()) for path in paths])
        return merge(paths, output)

    monkeypatch.setattr(graph.pipeline.workers, "SHARD_LINES", 500)  # inherited by the forked workers
    monkeypatch.setattr(graph.pipeline.build, "merge_shards", counting)
    batched = build(corpus, tmp_path / "batched", jobs=jobs)
    assert batched.written, batched.failure
    sizes = shards[0][:-1]  # the last is the corpus-wide shard, written by the parent
    assert len(sizes) > whole.triples / (500 + 400)
    # a batch is written once it reaches SHARD_LINES: at most one article's lines more
    assert max(sizes) < 500 + 400
    assert (tmp_path / "batched" / "graph.nt").read_bytes() == (tmp_path / "whole" / "graph.nt").read_bytes()
    assert batched.version == whole.version and batched.counts == whole.counts
    assert [p.as_dict() for p in batched.problems] == [p.as_dict() for p in whole.problems]
