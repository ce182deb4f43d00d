"""`python -m bench` (or `python -m bench all`): the whole benchmark suite end to end, one report.

Usage::

    python -m bench                      # seeds, 1,000 / 10,000 / 100,000-article builds, serve at 10,000
    python -m bench --quick              # seeds + 1,000 only and a short serve run (what CI runs)
    python -m bench all --results-dir /tmp/r --sizes 1000,10000 --serve-size 1000

Steps, each in fresh child processes so no figure is skewed by the previous one:

* build: the seed articles of content/ and each generated corpus (bench/.cache/, as `bench build`),
  timed by bench.probe with the per-stage times of graph.pipeline.build (parse, extract, validate, write, and
  the on-disk store written beside them) and the
  peak memory of the process tree; the markdown-it parse floor for corpora up to FLOOR_MAX_ARTICLES;
* scaling: the exponent k of time ~ n^k between successive generated sizes (1 is linear);
* serve: bench.serve.run.measure at one size (our gunicorn service beside `oxigraph serve-read-only`
  under wrk), from which the start-up time to /ready, the memory per 10,000 concepts and the ours/peer
  ratios are judged against the issue's targets.

Writes suite-<UTC>.json / suite-latest.json (with the machine description) and the same report as
markdown in suite-<UTC>.md / suite-latest.md under --results-dir (default bench/results/).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import machine
from bench.build_bench import (
    PROJECT_ROOT,
    RESULTS_DIR,
    _fmt,
    _tree_pids,
    cached_corpus,
    exponent,
    judge,
    run_probe,
)
from bench.cli_common import positive_ints, write_results
from bench.serve.load import Plan as LoadPlan
from bench.serve.servers import BenchError

SEEDS_DIR = PROJECT_ROOT / "content"
FULL_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000,)
FULL_SERVE = {"size": 10_000, "connections": (1, 8, 32), "duration": 3, "warmup_s": 10.0}  # the whole suite < 15 min
QUICK_SERVE = {"size": 1_000, "connections": (8,), "duration": 1, "warmup_s": 2.0}
FLOOR_MAX_ARTICLES = 10_000  # the markdown-it floor of 100,000 articles costs ~2 minutes and says nothing new
LINEAR_MAX_EXPONENT = 1.15  # time ~ n^k: up to this k the build counts as linear (timing noise included)
STAGES = ("parse", "extract", "validate", "write", "store")
STARTUP_TARGET = {"articles": 10_000, "max_ready_s": 2.0}


def serve_target(workload: str) -> float | None:
    """Return the issue's ours/peer req/s target: SPARQL 0.5x uncached and 1x repeated, REST look-ups 1x.

    The worst neighbourhood parameters have none: they are held to a few concept details (serve_report).
    """
    if "worst" in workload:
        return None
    if workload.startswith("sparql"):
        return 1.0 if "repeated" in workload else 0.5
    return 1.0


@dataclass(frozen=True)
class SuitePlan:
    """What one suite run measures."""

    quick: bool
    sizes: tuple[int, ...]
    serve_size: int | None
    connections: tuple[int, ...]
    duration: int
    warmup_s: float
    seed: int
    timeout: float
    results_dir: Path
    reuse_build: bool = False


def measure_build(name: str, content: Path, n: int | None, timeout: float, *, floor: bool) -> dict[str, Any]:
    """Time one build of `content` in a child process (and its parse floor); return one table row."""
    floor_result = run_probe(["floor", str(content)], timeout) if floor else None
    out_dir = Path(tempfile.mkdtemp(prefix="mkg-bench-suite-"))
    try:
        result = run_probe(["build", str(content), str(out_dir / "build")], timeout)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    ok = bool(result.get("ok")) and bool(result.get("written"))
    articles = result.get("articles")
    timings = result.get("timings") or {}
    peak = [result.get(k) for k in ("peak_rss_mb", "children_peak_rss_mb", "tree_peak_pss_mb")]
    row: dict[str, Any] = {
        "corpus": name,
        "n": n if n is not None else articles,
        "ok": ok,
        "error": None if ok else (result.get("error") or result.get("failure") or "build not written"),
        "articles": articles,
        "triples": result.get("triples"),
        "conforms": result.get("conforms"),
        "build_s": result.get("build_s") if ok else None,
        "stages_s": {stage: timings.get(stage) for stage in STAGES},
        "peak_rss_mb": max((v for v in peak if isinstance(v, int | float)), default=None) if ok else None,
        "floor_s": (floor_result or {}).get("floor_s"),
        "probe": result,
    }
    row["ms_per_article"] = round(1000 * row["build_s"] / articles, 3) if ok and articles else None
    row["target"] = judge(row) if ok else None
    print(f"[build {name}] {row['build_s']} s, {row['triples']} triples, peak {row['peak_rss_mb']} MB"
          + ("" if ok else f": FAILED {row['error']}"), file=sys.stderr)
    return row


def scaling(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Fit time ~ n^k between successive generated corpus sizes, for the build and each stage."""
    done = sorted((r for r in rows if r["ok"] and r["corpus"] != "seeds"), key=lambda r: r["n"])
    steps = []
    for small, large in itertools.pairwise(done):
        sizes = (small["n"], large["n"])
        steps.append({
            "from": small["n"], "to": large["n"],
            "build": exponent(sizes, small["build_s"], large["build_s"]),
            "stages": {s: exponent(sizes, small["stages_s"].get(s), large["stages_s"].get(s)) for s in STAGES},
        })
    exponents = [s["build"] for s in steps if s["build"] is not None]
    return {
        "steps": steps,
        "max_exponent": max(exponents) if exponents else None,
        "linear": all(k <= LINEAR_MAX_EXPONENT for k in exponents) if exponents else None,
        "rule": f"linear when time ~ n^k has k <= {LINEAR_MAX_EXPONENT} between every pair of sizes",
        "ms_per_article": {r["n"]: r["ms_per_article"] for r in done},
    }


def measure_serve(plan: SuitePlan) -> dict[str, Any]:
    """Run the serve benchmark at plan.serve_size; return its row (or an error row)."""
    from bench.serve import run as serve_bench

    wrk = shutil.which("wrk")
    if wrk is None:
        return {"n": plan.serve_size, "error": "`wrk` not found on PATH (Debian: apt-get install -y wrk)"}
    # Virtuoso and a replica on it (bench serve's second peer) double the run: the full suite only
    args = argparse.Namespace(seed=plan.seed, refresh=False, reuse_build=plan.reuse_build, virtuoso=not plan.quick)
    load = LoadPlan(wrk, plan.connections, plan.duration, plan.warmup_s)
    try:
        return serve_bench.measure(plan.serve_size, args, load)
    except BenchError as exc:
        return {"n": plan.serve_size, "error": str(exc)}


def judge_serve(row: dict[str, Any]) -> dict[str, Any]:
    """Compare the serve row with the issue's targets: ours/peer req/s, start-up time, memory."""
    if "error" in row:
        return {"error": row["error"]}
    verdicts = []
    for result in row["results"]:
        want = serve_target(result["workload"])
        for c in row["connections"]:
            ours, peer = result["ours"]["runs"].get(str(c)), result["peer"]["runs"].get(str(c))
            ratio = None
            if ours and peer and ours.get("ok") and peer.get("ok") and peer["rps"]:
                ratio = round(ours["rps"] / peer["rps"], 2)
            verdicts.append({
                "workload": result["workload"], "connections": c,
                "ours_rps": ours.get("rps") if ours else None, "peer_rps": peer.get("rps") if peer else None,
                "ours_p50_ms": ours.get("p50_ms") if ours else None,
                "ours_p99_ms": ours.get("p99_ms") if ours else None,
                "peer_p50_ms": peer.get("p50_ms") if peer else None,
                "peer_p99_ms": peer.get("p99_ms") if peer else None,
                "ours_bad": ours.get("bad") if ours else None,
                "ratio": ratio, "target": want,
                "met": None if ratio is None or want is None else ratio >= want,
            })
    ours = row["ours"]
    startup_applies = row["n"] == STARTUP_TARGET["articles"]
    return {
        "ratios": verdicts,
        "ready_s": ours["ready_s"],
        "first_start_ready_s": ours.get("first_start_ready_s"),
        "startup_met": ours["ready_s"] <= STARTUP_TARGET["max_ready_s"] if startup_applies else None,
        "rss_ready_mb": ours["rss_ready_mb"],
        "rss_ready_mb_per_10k_concepts": ours["rss_ready_mb_per_10k_concepts"],
        "rss_after_mb_per_10k_concepts": ours["rss_after_mb_per_10k_concepts"],
        "pss_ready_mb": ours.get("pss_ready_mb"),
        "answers_5xx": ours.get("answers_5xx"),
        "peer_load_s": row["peer"]["load_s"],
        "peer_rss_ready_mb": row["peer"]["rss_ready_mb"],
    }


def _f(value: Any, spec: str = "") -> str:
    """Format one table cell; a missed target reads NO."""
    return _fmt(value, spec, false="NO")


def markdown(payload: dict[str, Any]) -> str:
    """Render the suite's results as one markdown report."""
    m = payload["machine"]
    lines = [
        f"# Benchmark suite {payload['timestamp']}{' (quick)' if payload['plan']['quick'] else ''}"
        f"{'' if payload['complete'] else ' (INCOMPLETE: interrupted or still running)'}",
        "",
        f"{m['cpu_count']} × {m['cpu_model']}, {m['memory_total_mb']:,.0f} MB, Python {m['python']}, "
        f"load average before {m['load_average']}; commit {m['source']['commit']}"
        f"{' (modified)' if m['source']['modified'] else ''}; {payload['elapsed_s']:.0f} s in all.",
        "",
        "## Build",
        "",
        "| corpus | articles | triples | build s | parse / extract / validate / write / store s | ms per article "
        "| peak MB | markdown-it floor s | conforms |",
        "|:---|---:|---:|---:|---:|---:|---:|---:|:---|",
    ]
    for r in payload["build"]:
        stages = " / ".join(_f(r["stages_s"].get(s), ".2f") for s in STAGES)
        lines.append(f"| {r['corpus']} | {_f(r['articles'], ',')} | {_f(r['triples'], ',')} | "
                     f"{_f(r['build_s'], '.2f')} | {stages} | {_f(r['ms_per_article'], '.2f')} | "
                     f"{_f(r['peak_rss_mb'], ',.0f')} | {_f(r['floor_s'], '.2f')} | "
                     f"{_f(r['conforms']) if r['ok'] else 'FAILED: ' + str(r['error'])[:120]} |")
    sc = payload["scaling"]
    lines += ["", f"**Scaling** ({sc['rule']}): "
              + ("; ".join(f"{s['from']:,}→{s['to']:,}: k = {_f(s['build'])} (" + ", ".join(
                  f"{k} {_f(v)}" for k, v in s["stages"].items()) + ")" for s in sc["steps"])
                 or "needs two generated corpus sizes")
              + (f"; linear: {_f(sc['linear'])}" if sc["linear"] is not None else "")]
    serve, verdict = payload["serve"], payload["serve_judged"]
    if serve is None:
        return "\n".join([*lines, ""])
    lines += ["", f"## Serving, {serve['n']:,} articles", ""]
    if "error" in verdict:
        return "\n".join([*lines, f"FAILED: {verdict['error']}", ""])
    lines += [
        f"Start-up to ready from a prior build: {verdict['ready_s']} s (target ≤ {STARTUP_TARGET['max_ready_s']} s "
        f"at {STARTUP_TARGET['articles']:,} articles: {_f(verdict['startup_met'])}; first start "
        f"{_f(verdict['first_start_ready_s'])} s). Memory: "
        f"{verdict['rss_ready_mb']} MB RSS at ready = {verdict['rss_ready_mb_per_10k_concepts']} MB per 10,000 "
        f"concepts ({verdict['rss_after_mb_per_10k_concepts']} after the load); peer: load "
        f"{verdict['peer_load_s']} s, {verdict['peer_rss_ready_mb']} MB. 5xx answers from ours (wrk): "
        f"{verdict['answers_5xx']}.",
        "",
        "| workload | conns | ours req/s | peer req/s | ours/peer | target | met | ours p50 / p99 ms "
        "| peer p50 / p99 ms | ours bad |",
        "|:---|---:|---:|---:|---:|---:|:---|---:|---:|---:|",
    ]
    for v in verdict["ratios"]:
        lines.append(f"| {v['workload']} | {v['connections']} | {_f(v['ours_rps'], ',.0f')} | "
                     f"{_f(v['peer_rps'], ',.0f')} | {_f(v['ratio'], '.2f')} | {_f(v['target'])} | "
                     f"{_f(v['met'])} | {_f(v['ours_p50_ms'])} / {_f(v['ours_p99_ms'])} | "
                     f"{_f(v['peer_p50_ms'])} / {_f(v['peer_p99_ms'])} | {_f(v['ours_bad'])} |")
    from bench.serve.report import table

    return "\n".join([*lines, "", "<details><summary>full serve table</summary>", "", table(serve), "",
                      "</details>", ""])


def _save(payload: dict[str, Any], plan: SuitePlan, started: float) -> Path:
    """Refresh the derived figures and write the JSON and markdown (after every step); return the JSON path."""
    rows, serve = payload["build"], payload["serve"]
    payload["scaling"] = scaling(rows)
    payload["serve_judged"] = judge_serve(serve) if serve is not None else None
    payload["elapsed_s"] = round(time.perf_counter() - started, 1)
    payload["load_average_after"] = machine.load_average()
    json_path = write_results(payload, plan.results_dir)
    write_markdown(payload, json_path)
    return json_path


def run(plan: SuitePlan) -> tuple[dict[str, Any], int]:
    """Run every step, saving the results after each; return (payload, exit status).

    Builds up to the served size come first, then the serve benchmark, then the larger builds: a run cut
    short (Ctrl-C, `kill`) still has its headline figures on disk, marked `"complete": false`.
    """
    started = time.perf_counter()
    payload: dict[str, Any] = {
        "kind": "suite",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "complete": False,
        "plan": {**asdict(plan), "results_dir": str(plan.results_dir)},
        "machine": machine.describe(),
        "build": [],
        "serve": None,
    }
    rows: list[dict[str, Any]] = payload["build"]
    try:
        rows.append(measure_build("seeds", SEEDS_DIR, None, plan.timeout, floor=True))
        first = [n for n in plan.sizes if plan.serve_size is None or n <= plan.serve_size]
        for n in [*first, None, *[n for n in plan.sizes if n not in first]]:
            if n is None:
                if plan.serve_size:
                    payload["serve"] = measure_serve(plan)
                    _save(payload, plan, started)
                continue
            content, generated_s = cached_corpus(n, plan.seed)
            row = measure_build(f"{n:,} generated", content, n, plan.timeout, floor=n <= FLOOR_MAX_ARTICLES)
            row["corpus_generate_s"] = generated_s
            rows.append(row)
            _save(payload, plan, started)
        payload["complete"] = True
    finally:
        _save(payload, plan, started)
    serve = payload["serve"]
    failed = not all(r["ok"] for r in rows) or (serve is not None and "error" in serve)
    return payload, 1 if failed else 0


def write_markdown(payload: dict[str, Any], json_path: Path) -> Path:
    """Write the markdown report beside the JSON (stamped and -latest); return the stamped path."""
    text = markdown(payload)
    stamped = json_path.with_suffix(".md")
    for path in (stamped, json_path.with_name("suite-latest.md")):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return stamped


def make_plan(args: argparse.Namespace) -> SuitePlan:
    """Turn the command-line options into a plan: --quick picks small defaults, explicit options win."""
    serve = QUICK_SERVE if args.quick else FULL_SERVE
    return SuitePlan(
        quick=args.quick,
        sizes=args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES),
        serve_size=None if args.no_serve else (args.serve_size or serve["size"]),
        connections=args.connections or serve["connections"],
        duration=args.duration or serve["duration"],
        warmup_s=serve["warmup_s"],
        seed=args.seed,
        timeout=args.timeout,
        results_dir=args.results_dir,
        reuse_build=args.reuse_build,
    )


def add_options(p: argparse.ArgumentParser) -> None:
    """Add the suite's options to a parser (the `all` subcommand, and `python -m bench` alone)."""
    p.add_argument("--quick", action="store_true", help="seeds + 1,000 articles and a short serve run")
    p.add_argument("--sizes", type=lambda t: positive_ints(t, "--sizes"), default=None,
                   help="generated corpus sizes to build (default 1000,10000,100000)")
    p.add_argument("--serve-size", type=int, default=None, help="corpus size to serve (default 10000)")
    p.add_argument("--no-serve", action="store_true", help="skip the serve benchmark")
    p.add_argument("--connections", type=lambda t: positive_ints(t, "--connections"), default=None,
                   help="wrk connection counts (default 1,8,32)")
    p.add_argument("--duration", type=int, default=None, help="seconds per wrk run (default 3)")
    p.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    p.add_argument("--reuse-build", action="store_true",
                   help="serve the cached graph even if graph/ changed since it was built (as `bench serve`)")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per build child process")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where to write JSON and markdown")
    p.set_defaults(func=main)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `all` subcommand to the bench CLI."""
    add_options(subparsers.add_parser("all", help="the whole suite: builds, scaling, serving; one report"))


def _interrupt(signum: int, frame: object) -> None:
    """Turn SIGTERM into KeyboardInterrupt so every server the suite started is stopped."""
    raise KeyboardInterrupt(f"signal {signum}")


def _stop_children() -> None:
    """Kill what is left of this process's children (a build probe interrupted mid-run), by pid."""
    for pid in reversed(_tree_pids(os.getpid())[1:]):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def main(args: argparse.Namespace) -> int:
    """Run the suite, print the markdown report and write the results."""
    plan = make_plan(args)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        payload, status = run(plan)
    except KeyboardInterrupt:
        _stop_children()
        print(f"bench: interrupted; every server it started has been stopped; what was measured is in "
              f"{plan.results_dir}/suite-latest.json (complete: false)", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    stamp = payload["timestamp"].replace(":", "").replace("-", "")
    md_path = plan.results_dir / f"suite-{stamp}.md"
    print(md_path.read_text(encoding="utf-8"))
    print(f"results: {md_path.with_suffix('.json')}, {md_path} (and suite-latest.json / .md)")
    return status
