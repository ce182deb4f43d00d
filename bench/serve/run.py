"""`python -m bench serve`: load-test `mkg serve` (REST + /sparql) against Oxigraph server and Virtuoso.

For each corpus size the synthetic corpus (bench/.cache/, shared with `bench build`) is built once
with `mkg build` into bench/.cache/corpus-n<N>-s<SEED>.build/ (reused while the corpus and the
graph/ + ontology/ sources are unchanged; `--refresh` forces a rebuild, `--reuse-build`
accepts a stale one). Then, one server at a time on 127.0.0.1:

* ours: `mkg serve --graph BUILD/graph.nt --host 127.0.0.1 --port P --workers 2 --threads 4`
  (gunicorn gthread, 2 workers x 4 threads: the 2-core production setting). BUILD/graph.nt is a
  build's graph, so it is served from the build's on-disk store (created on the first start) with the
  REST indexes saved beside it; start-up time to /ready (the first start and a second, timed start) and
  the summed RSS and PSS of its process tree (/proc) are recorded;
* the peer: `oxigraph load --location TMP --file BUILD/graph.ttl`, then
  `oxigraph serve-read-only --location TMP --bind 127.0.0.1:P2`;
* the second peer, Virtuoso 7 (bench/serve/peers.py): a fresh database loaded with the same graph by
  `mkg push`, the peer's query texts sent to its /sparql with the version graph as default-graph-uri;
  its version and virtuoso.ini settings go into the results;
* a replica: `mkg serve --store virtuoso+http://…` (2 workers x 4 threads), our requests.

All four run at once and are measured turn about: for each workload and connection count, ours, the
peer, Virtuoso and the replica, so each ratio compares runs made seconds apart. Load comes from `wrk` (one generated Lua script per workload and server, rotating over ~200
concepts chosen deterministically from graph.nt; `--timeout 30s`; threads = min(2, connections)).
wrk shares the machine's cores with the server under test, so absolute figures are a lower bound;
the ours/peer ratio is the number to watch. Before wrk, a cold pass sends every distinct request of
the workload once, 2 at a time, for at most 30 s (3 s with --quick): it fills lazily built indexes and
per-concept caches, its p50 is reported as the cold cost, and a workload whose cold pass gets no
200/304 (a route that 404s) is reported as skipped instead of being run.

Workloads (ours vs peer): REST concept detail / neighbours?depth=1 / related / search?q= vs the
equivalent SPARQL SELECT on the peer's /query, each "distinct" (every concept in a shuffled order, sent
with Cache-Control: no-cache so ours computes every answer) and "repeated" (~200 concepts in turn, where
our answer cache may answer; the cold pass sends at most 400 requests of a workload); then the same SPARQL SELECT (4-way join) and
CONSTRUCT on /sparql vs /query, "distinct" (a different VALUES slug each request) and "repeated"
(one query text with If-None-Match set to our ETag: our 304 path; the peer ignores the header).

Results: a markdown table on stdout, bench/results/serve-<UTC>.json and serve-latest.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import machine
from bench.build_bench import PROJECT_ROOT, RESULTS_DIR, _sizes, cached_corpus
from bench.cli_common import positive_ints, write_results
from bench.serve.graph import BUILD_TIMEOUT_S, cached_build
from bench.serve.load import Plan, count_5xx, measure_servers
from bench.serve.logs import error_lines, keep_log, worker_restarts
from bench.serve.peers import start_replica, start_virtuoso, version_graph
from bench.serve.report import table
from bench.serve.servers import (
    THREADS,
    WORKERS,
    BenchError,
    Server,
    child_env,
    free_port,
    http_get,
    load_peer,
    ours_command,
    settle,
    wait_ready,
)
from bench.serve.workloads import build_workloads, sample_graph
from bench.serve.wrk import WRK_TIMEOUT_S

DEFAULT_SIZES = (10_000,)
QUICK_SIZES = (1_000,)
DEFAULT_CONNECTIONS = (1, 8, 32)
QUICK_CONNECTIONS = (1, 8)
DEFAULT_DURATION = 10
QUICK_DURATION = 3
WARMUP_MAX_S = 30.0
QUICK_WARMUP_MAX_S = 3.0


def measure(n: int, args: argparse.Namespace, plan: Plan) -> dict[str, Any]:
    """Build (or reuse) the n-article graph, then benchmark ours and the peer on it; return one row."""
    row: dict[str, Any] = {
        "n": n,
        "seed": args.seed,
        "connections": list(plan.connections),
        "duration_s": plan.duration,
        "warmup_max_s": plan.warmup_s,
    }
    phases: dict[str, float] = {}
    row["phases_s"] = phases
    t_phase = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal t_phase
        now = time.perf_counter()
        phases[name] = round(now - t_phase, 2)
        t_phase = now

    content, gen_s = cached_corpus(n, args.seed)
    row["corpus_dir"], row["corpus_generate_s"] = str(content), gen_s
    build, build_info = cached_build(n, args.seed, content, refresh=args.refresh, reuse=args.reuse_build)
    row["build_dir"], row["build"] = str(build), build_info
    how = (
        "cached" + (" (STALE: code changed since)" if build_info.get("stale") else "")
        if build_info["cached"]
        else f"built in {build_info['build_s']} s"
    )
    print(f"[n={n}] graph {how}: {build}", file=sys.stderr)
    phase("corpus_and_build")
    sample = sample_graph(build / "graph.nt")
    row["concepts"] = sample.total_concepts
    row["sample"] = {
        "concepts": len(sample.concepts),
        "queries": len(sample.queries),
        "first_slugs": [s for s, _ in sample.concepts[:3]],
        "first_queries": sample.queries[:4],
    }
    scratch = Path(tempfile.mkdtemp(prefix=f"mkg-bench-serve-{n}-"))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        with ExitStack() as stack:
            # ours
            port = free_port()
            ours_url = f"http://127.0.0.1:{port}"
            checkout = args.checkout.resolve() if getattr(args, "checkout", None) else None
            cwd, env = checkout or PROJECT_ROOT, child_env(checkout)
            cmd = ours_command(build / "graph.nt", port, checkout)
            print(f"[n={n}] ours: {' '.join(cmd)}", file=sys.stderr)
            # a first start creates what a build does not have yet (on-disk store, saved REST indexes); the
            # second start is the one timed: start-up from a prior build
            with Server("mkg serve (first start)", cmd, scratch / "ours-first.log", cwd=cwd, env=env) as first:
                first_ready_s = wait_ready(first, ours_url + "/ready")
            print(f"[n={n}] ours: first start ready in {first_ready_s:.1f} s", file=sys.stderr)
            ours = stack.enter_context(
                Server("mkg serve", cmd, scratch / "ours.log", cwd=cwd, env=env)
            )
            ready_s = wait_ready(ours, ours_url + "/ready")
            ours_info: dict[str, Any] = {
                "command": cmd,
                "workers": WORKERS,
                "threads": THREADS,
                "first_start_ready_s": round(first_ready_s, 2),
                "ready_s": round(ready_s, 2),
                "rss_first_ready_mb": ours.rss_mb(),
                "rss_ready_mb": settle(ours),  # /ready answers from one worker: wait for the others
                "pss_ready_mb": ours.pss_mb(),
                "processes": ours.process_count(),
            }
            phase("ours_start")
            ours_info["ready"] = json.loads(http_get(ours_url + "/ready")[2] or b"{}")
            print(
                f"[n={n}] ours ready in {ready_s:.1f} s, RSS {ours_info['rss_ready_mb']} MB", file=sys.stderr
            )
            others: dict[str, tuple[Server, str, dict[str, Any]]] = {}
            if getattr(args, "virtuoso", True):
                # the second peer, Virtuoso, loaded by `mkg push`; then a replica of ours serving from it
                vt, vt_url, vt_store, vt_password, vt_info = start_virtuoso(stack, scratch, build / "graph.nt",
                                                                            _lines(build / "graph.nt"))
                print(f"[n={n}] virtuoso: {vt_info['version']}, pushed in {vt_info['load_s']} s", file=sys.stderr)
                phase("virtuoso_start_and_push")
                others["virtuoso"] = (vt, vt_url, vt_info)
                others["replica"] = start_replica(stack, scratch, vt_store, vt_password, build)
                replica_info = others["replica"][2]
                print(f"[n={n}] replica ready in {replica_info['ready_s']} s (first start "
                      f"{replica_info['first_start_ready_s']} s, on the build's directory "
                      f"{replica_info['build_dir_ready_s']} s), RSS {replica_info['rss_ready_mb']} MB",
                      file=sys.stderr)
                phase("replica_start")
            workloads = [w for w in build_workloads(sample, ours_url, version_graph(vt_store) if others else None)
                         if not getattr(args, "workloads", None) or any(part in w.name for part in args.workloads)]
            row["workloads"] = [
                {
                    "name": w.name,
                    "note": w.note,
                    "ours_example": w.ours[0][0][:300],
                    "peer_example": urllib.parse.unquote_plus(w.peer[0][0])[:600],
                }
                for w in workloads
            ]
            # the peer, started beside ours: the two are measured turn about on each workload
            location = scratch / "oxigraph"
            oxigraph, load_s = load_peer(location, build / "graph.ttl", BUILD_TIMEOUT_S)
            port2 = free_port()
            peer_url = f"http://127.0.0.1:{port2}"
            cmd2 = [oxigraph, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port2}"]
            peer = stack.enter_context(Server("oxigraph", cmd2, scratch / "peer.log"))
            peer_ready = wait_ready(peer, peer_url + "/query?" + urllib.parse.urlencode({"query": "ASK {}"}))
            peer_info: dict[str, Any] = {
                "command": cmd2,
                "load_s": load_s,
                "ready_s": round(peer_ready, 2),
                "rss_ready_mb": peer.rss_mb(),
            }
            print(f"[n={n}] peer loaded in {load_s} s, ready in {peer_ready:.1f} s", file=sys.stderr)
            phase("peer_start")
            sides = {"ours": (ours, ours_url), "peer": (peer, peer_url),
                     **{name: (server, url) for name, (server, url, _) in others.items()}}
            results = measure_servers(sides, workloads, plan, scratch)
            phase("load")
            ours_info["rss_after_mb"] = ours.rss_mb()
            ours_info["processes_after"] = ours.breakdown()
            ours_info["pss_after_mb"] = ours.pss_mb()
            ours_info["alive_after"] = ours.alive()
            ours.stop()
            ours_info["answers_5xx"] = count_5xx(results["ours"])  # from wrk: ours runs without an access log
            ours_info["log_workers"] = worker_restarts(scratch / "ours.log")
            ours_info["log"] = keep_log(scratch / "ours.log", f"serve-n{n}-{stamp}-ours.log")
            ours_info["log_errors"] = error_lines(scratch / "ours.log")
            per = 10_000 / sample.total_concepts
            for key in ("rss_ready_mb", "rss_after_mb", "pss_ready_mb", "pss_after_mb"):
                if ours_info.get(key) is not None:
                    ours_info[f"{key}_per_10k_concepts"] = round(ours_info[key] * per, 1)
            row["ours"] = ours_info
            ttl_workloads = [dataclasses.replace(w, name=w.name + " (.ttl source)") for w in workloads
                             if w.name in TTL_WORKLOADS]
            row["ttl_source"], ttl_results = measure_ttl_source(build / "graph.ttl", scratch, cwd, checkout, peer,
                                                                peer_url, ttl_workloads, plan)
            results["ours"].update(ttl_results["ours"])
            results["peer"].update(ttl_results["peer"])
            phase("ttl_source")
            peer_info["rss_after_mb"] = peer.rss_mb()
            peer.stop()
            peer_info["log"] = keep_log(scratch / "peer.log", f"serve-n{n}-{stamp}-peer.log")
            row["peer"] = peer_info
            for name, (server, _, info) in others.items():
                info["rss_after_mb"] = server.rss_mb()
                server.stop()
                info["log"] = keep_log(scratch / f"{name}.log", f"serve-n{n}-{stamp}-{name}.log")
                row[name] = info
            if "replica" in row:
                replica_info["answers_5xx"] = count_5xx(results["replica"])
                replica_info["log_errors"] = error_lines(scratch / "replica.log")
                for key in ("rss_ready_mb", "rss_after_mb", "pss_ready_mb"):
                    if replica_info.get(key) is not None:
                        replica_info[f"{key}_per_10k_concepts"] = round(replica_info[key] * per, 1)
        row["results"] = [
            {"workload": w.name, "note": w.note, **{side: results[side][w.name] for side in sides
                                                    if w.name in results[side]}}
            for w in [*workloads, *ttl_workloads]
        ]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return row


def _lines(path: Path) -> int:
    """Return the number of lines (triples) of an N-Triples file."""
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


TTL_WORKLOADS = ("concept detail, distinct", "neighbours depth=1, distinct", "sparql SELECT join, distinct")


def measure_ttl_source(ttl: Path, scratch: Path, cwd: Path, checkout: Path | None, peer: Server, peer_url: str,
                       workloads: list, plan: Plan) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Serve the Turtle export (`mkg serve --graph graph.ttl`): start-up twice, memory, a SPARQL query right
    after the first 200 from /ready, then `workloads` against the peer."""
    env = {**child_env(checkout), "XDG_CACHE_HOME": str(scratch / "xdg-cache")}  # an empty import cache
    info: dict[str, Any] = {}
    query = "/sparql?" + urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    for start in ("first", "second"):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        cmd = ours_command(ttl, port, checkout)
        server = Server(f"mkg serve {ttl.name} ({start} start)", cmd, scratch / f"ours-ttl-{start}.log", cwd=cwd,
                        env=env)
        try:
            info[f"{start}_start_ready_s"] = round(wait_ready(server, url + "/ready"), 2)
            status, _, body = http_get(url + query, {"Accept": "application/sparql-results+json"})
            info[f"{start}_query_after_ready"] = {"status": status, "body": body[:200].decode(errors="replace")}
            info[f"{start}_rss_ready_mb"] = settle(server)
            info[f"{start}_pss_ready_mb"] = server.pss_mb()
            print(f"  [ours .ttl] {start} start: ready in {info[f'{start}_start_ready_s']} s, SPARQL right after: "
                  f"{status}, RSS {info[f'{start}_rss_ready_mb']} MB", file=sys.stderr)
            if start == "second":
                results = measure_servers({"ours": (server, url), "peer": (peer, peer_url)}, workloads, plan,
                                          scratch)
        finally:
            server.stop()
    return info, results


def _connections(text: str) -> tuple[int, ...]:
    """Parse a comma-separated list of positive connection counts."""
    return positive_ints(text, "--connections")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `serve` subcommand to the bench CLI."""
    p = subparsers.add_parser(
        "serve", help="load-test mkg serve (REST, /sparql) against oxigraph serve with wrk"
    )
    p.add_argument("--sizes", type=_sizes, default=None, help="comma-separated corpus sizes (default 10000)")
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"size 1000, {QUICK_DURATION} s runs, connections 1,8 (explicit options still win)",
    )
    p.add_argument(
        "--duration", type=int, default=None, help=f"seconds per wrk run (default {DEFAULT_DURATION})"
    )
    p.add_argument("--connections", type=_connections, default=None, help="comma-separated (default 1,8,32)")
    p.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    p.add_argument("--without-virtuoso", dest="virtuoso", action="store_false",
                   help="leave out the second peer (Virtuoso) and the replica on it")
    p.add_argument("--refresh", action="store_true", help="rebuild the cached graph even if it is up to date")
    p.add_argument(
        "--reuse-build",
        action="store_true",
        help="use an existing cached graph even if graph/ or ontology/ changed since it was built",
    )
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where to write JSON results")
    p.add_argument("--checkout", type=Path, help="serve ours with this checkout's graph/ and api/ (a before run)")
    p.add_argument("--workloads", type=lambda text: [part for part in text.split(",") if part],
                   help="run only the workloads whose name holds one of these comma-separated words "
                        "(e.g. 'search' or 'search (text),concept detail')")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    """Run `python -m bench serve`."""
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "bench serve: `wrk` not found on PATH; install it (Debian/Ubuntu: apt-get install -y wrk)",
            file=sys.stderr,
        )
        return 2
    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    connections = args.connections or (QUICK_CONNECTIONS if args.quick else DEFAULT_CONNECTIONS)
    duration = args.duration or (QUICK_DURATION if args.quick else DEFAULT_DURATION)
    plan = Plan(wrk, connections, duration, QUICK_WARMUP_MAX_S if args.quick else WARMUP_MAX_S)
    # stop the servers on `kill` as on Ctrl-C (SIGINT too: a shell's background jobs start with it ignored)
    previous = {sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    rows: list[dict[str, Any]] = []
    status = 0
    load_before = _loadavg()
    if load_before and load_before[0] > (os.cpu_count() or 1):
        print(
            f"bench serve: WARNING: load average {load_before[0]:.1f} on {os.cpu_count()} CPUs before the "
            "run; other processes will skew the figures",
            file=sys.stderr,
        )
    try:
        for n in sizes:
            try:
                rows.append(measure(n, args, plan))
            except BenchError as exc:
                print(f"[n={n}] FAILED: {exc}", file=sys.stderr)
                rows.append({"n": n, "error": str(exc)})
                status = 1
    except KeyboardInterrupt:
        print("bench serve: interrupted; every server it started has been stopped", file=sys.stderr)
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    payload = {
        "kind": "serve",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": args.seed,
        "sizes": list(sizes),
        "connections": list(connections),
        "duration_s": duration,
        "load_generator": {
            "tool": "wrk",
            "path": wrk,
            "timeout_s": WRK_TIMEOUT_S,
            "threads": "min(2, connections)",
        },
        "ours_settings": {"workers": WORKERS, "threads": THREADS, "worker_class": "gthread"},
        "machine": machine.describe(),
        "loadavg_before": load_before,
        "loadavg_after": _loadavg(),
        "rows": rows,
    }
    for row in rows:
        print(table(row) if "error" not in row else f"### {row['n']:,} articles: FAILED: {row['error']}")
        print()
    path = write_results(payload, args.results_dir)
    print(f"results: {path} (and {path.with_name('serve-latest.json')})")
    bad = [r["n"] for r in rows if r.get("ours", {}).get("answers_5xx")]
    if bad:
        print(
            f"WARNING: mkg serve answered 5xx during the run (sizes {bad}): see rows[].ours.log_errors",
            file=sys.stderr,
        )
    return status


def _loadavg() -> list[float] | None:
    """Return the 1/5/15-minute load averages (the machine may be shared), if available."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def _raise_interrupt(signum: int, frame: object) -> None:
    """Turn a signal into KeyboardInterrupt so the with blocks stop every server."""
    raise KeyboardInterrupt(f"signal {signum}")
