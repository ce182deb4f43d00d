"""Time live content: from an article's write to its new version on /ready under `mkg serve --watch`.

Usage::

    python -m bench watch                       # 1,000 and 10,000 generated articles, 3 edits each
    python -m bench watch --sizes 1000 --edits 5

For each size: the corpus (bench/.cache/) is copied, built once (a full build, timed), and served by
`mkg serve --watch` (2 gunicorn workers, polling every WATCH_INTERVAL s). Each edit appends a sentence
to one article; the time runs from the write to the moment /ready names another version. Then a
broken edit (front matter that is not YAML) must be reported on /ready while the old version stays
served, and its fix served. Meanwhile a client thread reads /api/concepts/<slug> without pause: any
answer other than 200, or a failed connection, counts as a failed request. Writes watch-<UTC>.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import machine
from bench.build_bench import RESULTS_DIR, cached_corpus
from bench.cli_common import positive_ints, write_results
from bench.serve.servers import BenchError, Server, child_env, free_port, http_get, mkg_command, wait_ready

WATCH_INTERVAL = 0.2
DEFAULT_SIZES = (1_000, 10_000)
TARGET_S = 2.0  # issue 20: one edited article served within 2 s at 10,000 articles


def _ready(url: str) -> dict[str, Any]:
    try:
        status, _, body = http_get(url + "/ready", timeout=5.0)
    except OSError:
        return {}
    try:
        return {"status_code": status, **json.loads(body)}
    except ValueError:
        return {"status_code": status}


def _wait(url: str, done, timeout: float) -> tuple[float, dict[str, Any]]:
    """Poll /ready every 20 ms until done(answer); return (seconds, answer)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        answer = _ready(url)
        if done(answer):
            return time.perf_counter() - started, answer
        time.sleep(0.02)
    raise BenchError(f"/ready did not change within {timeout:.0f} s: {_ready(url)}")


class _Reader(threading.Thread):
    """Read one concept without pause; count the answers that are not 200."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.stop, self.requests, self.failed, self.errors = url, threading.Event(), 0, 0, []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=30) as response:
                    response.read()
                    ok = response.status == 200
            except Exception as exc:  # HTTPError, refused or reset connection: all failures
                ok = False
                if len(self.errors) < 5:
                    self.errors.append(repr(exc))
            self.requests += 1
            self.failed += not ok


def measure(n: int, seed: int, edits: int, timeout: float) -> dict[str, Any]:
    """Serve n generated articles with --watch and time `edits` edits, a broken edit and its fix."""
    corpus, _ = cached_corpus(n, seed)
    with tempfile.TemporaryDirectory(prefix=f"mkg-bench-watch-{n}-") as scratch:
        tmp = Path(scratch)
        content, out = tmp / "content", tmp / "build"
        shutil.copytree(corpus, content)
        env = child_env() | {"MKG_WATCH_INTERVAL": str(WATCH_INTERVAL)}
        started = time.perf_counter()
        subprocess.run([*mkg_command(), "build", "--content", str(content), "--out", str(out), "-q"], env=env,
                       check=True, capture_output=True, timeout=timeout)
        first_build = time.perf_counter() - started
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        articles = sorted(content.glob("concept-*.md"))
        cmd = [*mkg_command(), "serve", "--watch", "--content", str(content), "--build-dir", str(out),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        with Server(f"mkg-watch-{n}", cmd, tmp / "serve.log", env=env) as server:
            wait_ready(server, url + "/ready", timeout)
            reader = _Reader(f"{url}/api/concepts/{articles[0].stem}")
            reader.start()
            times, builds = [], []
            for k in range(edits):
                before = _ready(url).get("version")
                with articles[(k * 37 + 1) % len(articles)].open("a", encoding="utf-8") as sink:
                    sink.write(f"\n\nجملة أضيفت للقياس رقم {k}.\n")
                seconds, _ = _wait(url, lambda a, v=before: a.get("version") not in (None, v)
                                   and a.get("status_code") == 200, timeout)
                times.append(round(seconds, 3))
                builds.append(json.loads((out / "report.json").read_text(encoding="utf-8"))["timings"])
            broken = articles[2]
            original = broken.read_text(encoding="utf-8")
            before = _ready(url).get("version")
            broken.write_text(original.replace("title:", "title: [not yaml", 1), encoding="utf-8")
            reported, answer = _wait(url, lambda a: bool(a.get("last_failure")), timeout)
            kept = answer.get("version") == before
            broken.write_text(original + "\n\nإصلاح.\n", encoding="utf-8")
            fixed, _ = _wait(url, lambda a, v=before: a.get("version") not in (None, v)
                             and not a.get("last_failure"), timeout)
            reader.stop.set()
            reader.join(35)
    return {"n": n, "first_build_s": round(first_build, 2), "write_to_ready_s": times,
            "median_s": statistics.median(times) if times else None, "build_timings": builds,
            "broken_reported_s": round(reported, 3), "broken_kept_old_version": kept,
            "fix_to_ready_s": round(fixed, 3), "requests": reader.requests, "failed_requests": reader.failed,
            "request_errors": reader.errors, "target_s": TARGET_S if n >= 10_000 else None,
            "target_met": (statistics.median(times) <= TARGET_S) if n >= 10_000 and times else None}


def table(rows: list[dict[str, Any]]) -> str:
    """Render the rows as a markdown table."""
    out = ["| articles | first build s | write → new version on /ready, s (median) | broken edit reported s "
           "| old version kept | fix served s | requests (failed) |", "|---:|---:|---|---:|---|---:|---|"]
    for r in rows:
        out.append(f"| {r['n']:,} | {r['first_build_s']} | {', '.join(map(str, r['write_to_ready_s']))} "
                   f"({r['median_s']}) | {r['broken_reported_s']} | {'yes' if r['broken_kept_old_version'] else 'NO'} "
                   f"| {r['fix_to_ready_s']} | {r['requests']} ({r['failed_requests']}) |")
    return "\n".join(out)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `watch` subcommand to the bench CLI."""
    p = subparsers.add_parser("watch", help="time an edit's way from the write to /ready under mkg serve --watch")
    p.add_argument("--sizes", type=lambda t: positive_ints(t, "--sizes"), default=DEFAULT_SIZES,
                   help="comma-separated corpus sizes (default 1000,10000)")
    p.add_argument("--edits", type=int, default=3, help="timed edits per size (default 3)")
    p.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per step")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where to write JSON results")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    rows = [measure(n, args.seed, args.edits, args.timeout) for n in args.sizes]
    payload = {"kind": "watch", "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "machine": machine.describe(), "rows": rows}
    print(table(rows))
    path = write_results(payload, args.results_dir)
    print(f"\nresults: {path}")
    return 1 if any(r["failed_requests"] or not r["broken_kept_old_version"] for r in rows) else 0
