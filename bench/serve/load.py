"""Drive the servers through every workload: a cold pass of each distinct request, then interleaved wrk runs."""

from __future__ import annotations

import concurrent.futures
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.serve.servers import Server, http_get
from bench.serve.workloads import Workload
from bench.serve.wrk import lua_script, run_wrk

WARMUP_CONCURRENCY = 2  # one per core: the cold pass measures latency, not throughput
WARMUP_MAX_REQUESTS = 400  # the cold pass of a "distinct" workload (every concept) samples its first ones


@dataclass
class Plan:
    """What every corpus size is measured with."""

    wrk: str
    connections: tuple[int, ...]
    duration: int
    warmup_s: float


def warm_up(base_url: str, requests: list[tuple[str, dict[str, str]]], max_seconds: float,
            expect: tuple[int, ...] = (200, 304)) -> dict[str, Any]:
    """Send every distinct request once, WARMUP_CONCURRENCY at a time, for at most max_seconds."""
    # This is the cold pass: it fills per-concept caches and lazily built indexes before wrk measures
    # the steady state, and its per-request latencies (p50, mean) are reported as the cold cost.
    # Returns status counts, the first error body and whether anything answered 200/304.
    deadline = time.perf_counter() + max_seconds

    def one(path: str, headers: dict[str, str]) -> tuple[int, bytes, float] | None:
        if time.perf_counter() > deadline:
            return None
        t = time.perf_counter()
        try:
            status, _, body = http_get(base_url + path, headers, 120.0)
        except OSError as exc:
            status, body = 0, str(exc).encode()
        return status, body, time.perf_counter() - t

    counts: dict[str, int] = {}
    latencies: list[float] = []
    first_error = None
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(WARMUP_CONCURRENCY) as pool:
        for result in pool.map(lambda r: one(*r), requests):
            if result is None:
                continue
            status, body, seconds = result
            counts[str(status)] = counts.get(str(status), 0) + 1
            if status in expect:
                latencies.append(seconds * 1000)
            elif first_error is None:
                first_error = f"{status}: {body[:300].decode(errors='replace')}"
    latencies.sort()
    return {
        "requests": sum(counts.values()),
        "codes": counts,
        "first_error": first_error,
        "seconds": round(time.perf_counter() - t0, 2),
        "cold_p50_ms": round(latencies[len(latencies) // 2], 2) if latencies else None,
        "cold_mean_ms": round(sum(latencies) / len(latencies), 2) if latencies else None,
        "cold_max_ms": round(latencies[-1], 2) if latencies else None,
        "ok": bool(latencies),
    }


def measure_servers(
    sides: dict[str, tuple[Server, str]],
    workloads: list[Workload],
    plan: Plan,
    scratch: Path,
) -> dict[str, dict[str, Any]]:
    """Warm up and load-test every workload on every server, interleaved; return results by side and workload."""
    # `sides` maps a side ("ours", "peer") to its running server and base URL. For each workload every side gets
    # its cold pass, then for each connection count the sides run one after the other, so a ratio compares two
    # runs made seconds apart (the machine's load drifts far more over the minutes a whole pass would take).
    out: dict[str, dict[str, Any]] = {side: {} for side in sides}
    for w in workloads:
        scripts = {}
        for side, (_server, base_url) in sides.items():
            requests = getattr(w, side)
            expect = w.expect if side in ("ours", "replica") else (200, 304)  # a replica answers as ours
            warm = warm_up(base_url, requests[:WARMUP_MAX_REQUESTS], plan.warmup_s, expect)
            out[side][w.name] = {"warmup": warm, "runs": {}}
            if not warm["ok"]:
                out[side][w.name]["skipped"] = f"warm-up got no {expect}: {warm['codes']} {warm['first_error']}"
                print(f"  [{side}] {w.name}: SKIPPED ({out[side][w.name]['skipped'][:200]})", file=sys.stderr)
                continue
            scripts[side] = scratch / f"{side}-{re.sub(r'[^a-z0-9]+', '-', w.name)}.lua"
            scripts[side].write_text(lua_script(requests))
        for c in plan.connections:
            for side, script in scripts.items():
                server, base_url = sides[side]
                if not server.alive():
                    out[side][w.name]["runs"][str(c)] = {"ok": False, "error": f"server died: {server.log_tail(600)}"}
                    continue
                run = run_wrk(plan.wrk, base_url, script, c, plan.duration)
                out[side][w.name]["runs"][str(c)] = run
                if run.get("ok"):
                    print(
                        f"  [{side}] {w.name} c={c}: {run['rps']:.0f} req/s p50 {run['p50_ms']} ms "
                        f"p99 {run['p99_ms']} ms bad {run['bad']}",
                        file=sys.stderr,
                    )
                else:
                    print(f"  [{side}] {w.name} c={c}: {run.get('error')}", file=sys.stderr)
    return out


def count_5xx(results: dict[str, Any]) -> int:
    """Count the 5xx answers wrk saw in one side's results (workload -> {"runs": {connections: run}})."""
    return sum(run.get("codes", {}).get(key, 0) for workload in results.values()
               for run in workload.get("runs", {}).values() for key in ("s503", "s5xx"))
