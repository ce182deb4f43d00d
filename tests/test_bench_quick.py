"""`python -m bench --quick` runs the suite end to end and writes real figures (no timing assertions).

It builds the seeds and a generated 1,000-article corpus, serves the latter with gunicorn beside
`oxigraph serve-read-only` under wrk, and writes suite-<UTC>.json/.md and suite-latest.json/.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import suite
from bench.__main__ import make_parser, with_default_command

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[1]
SEED_COUNT = len(list((ROOT / "content").glob("*.md")))


def test_no_subcommand_runs_the_whole_suite():
    assert with_default_command([]) == ["all"]
    assert with_default_command(["--quick"]) == ["all", "--quick"]
    assert with_default_command(["serve", "--quick"]) == ["serve", "--quick"]
    full = suite.make_plan(make_parser().parse_args(with_default_command([])))
    assert full.sizes == (1_000, 10_000, 100_000) and full.serve_size == 10_000
    assert full.connections == (1, 8, 32) and not full.quick
    quick = suite.make_plan(make_parser().parse_args(with_default_command(["--quick"])))
    assert quick.sizes == (1_000,) and quick.serve_size == 1_000 and quick.quick


def test_scaling_exponent_of_linear_and_quadratic_builds():
    def row(n: int, seconds: float) -> dict:
        return {"corpus": f"{n}", "n": n, "ok": True, "build_s": seconds, "ms_per_article": seconds / n * 1000,
                "stages_s": {stage: seconds / 4 for stage in suite.STAGES}}

    linear = suite.scaling([row(1000, 4.0), row(10_000, 40.0)])
    assert linear["steps"][0]["build"] == 1.0 and linear["linear"] is True
    quadratic = suite.scaling([row(1000, 4.0), row(10_000, 400.0), row(100_000, 4000.0)])
    assert [s["build"] for s in quadratic["steps"]] == [2.0, 1.0] and quadratic["linear"] is False
    assert suite.scaling([row(1000, 4.0)])["linear"] is None


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[dict, str, subprocess.CompletedProcess]:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed: the serving bench drives load with it (apt-get install wrk)")
    results = tmp_path_factory.mktemp("bench-results")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--results-dir", str(results)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=280, check=False)
    assert done.returncode == 0, f"python -m bench --quick exited {done.returncode}\n--- stdout (end):\n" \
        f"{done.stdout[-3000:]}\n--- stderr (end):\n{done.stderr[-3000:]}"
    payload = json.loads((results / "suite-latest.json").read_text(encoding="utf-8"))
    stamped = sorted(results.glob("suite-2*.json"))
    assert len(stamped) == 1 and json.loads(stamped[0].read_text(encoding="utf-8")) == payload
    return payload, (results / "suite-latest.md").read_text(encoding="utf-8"), done


def test_quick_run_records_the_machine(quick_run):
    payload, _, _ = quick_run
    machine = payload["machine"]
    assert payload["kind"] == "suite" and payload["plan"]["quick"] is True and payload["complete"] is True
    assert machine["cpu_count"] >= 1 and machine["memory_total_mb"] > 0 and machine["python"]
    assert machine["packages"]["pyoxigraph"] and machine["tools"]["wrk"] and machine["tools"]["oxigraph"]


def test_quick_run_builds_seeds_and_a_thousand_articles(quick_run):
    payload, _, _ = quick_run
    seeds, generated = payload["build"]
    assert seeds["corpus"] == "seeds" and seeds["articles"] == SEED_COUNT and seeds["ok"]
    assert generated["n"] == 1000 and generated["articles"] == 1000 and generated["ok"]
    for row in (seeds, generated):
        assert row["conforms"] is True and row["triples"] > 0 and row["build_s"] > 0
        assert all(row["stages_s"][stage] > 0 for stage in ("parse", "extract", "validate"))
        assert row["peak_rss_mb"] > 0 and row["floor_s"] is not None
    assert generated["triples"] > 100 * seeds["triples"]
    assert payload["scaling"]["ms_per_article"] == {"1000": generated["ms_per_article"]}


def test_quick_run_serves_beside_oxigraph(quick_run):
    payload, _, _ = quick_run
    serve, judged = payload["serve"], payload["serve_judged"]
    assert serve["n"] == 1000 and serve["concepts"] >= 1000
    assert judged["ready_s"] > 0 and judged["rss_ready_mb"] > 0 and judged["rss_ready_mb_per_10k_concepts"] > 0
    assert judged["answers_5xx"] == 0 and judged["peer_load_s"] > 0
    workloads = {v["workload"] for v in judged["ratios"]}
    assert len(workloads) >= 8 and {w.split(",")[0].split(" ")[0] for w in workloads} >= {"sparql", "search", "related"}
    assert {suite.serve_target(w) for w in workloads} == {0.5, 1.0, None}  # None: the worst neighbourhood
    for verdict in judged["ratios"]:
        assert verdict["ours_rps"] > 0 and verdict["peer_rps"] > 0 and verdict["ratio"] > 0, verdict
        assert verdict["met"] is (None if verdict["target"] is None else verdict["ratio"] >= verdict["target"])


def test_quick_run_writes_the_markdown_report(quick_run):
    payload, markdown, done = quick_run
    generated = payload["build"][1]
    assert markdown.startswith("# Benchmark suite") and "(quick)" in markdown
    assert f"| 1,000 generated | 1,000 | {generated['triples']:,} | {generated['build_s']:.2f} |" in markdown
    assert "## Serving, 1,000 articles" in markdown
    for verdict in payload["serve_judged"]["ratios"]:
        assert f"| {verdict['workload']} | {verdict['connections']} | {verdict['ours_rps']:,.0f} |" in markdown
    assert markdown in done.stdout
