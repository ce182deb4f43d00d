"""Build the benchmark graph with `mkg build` once per corpus and code version, and cache it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.build_bench import CACHE_DIR, PROJECT_ROOT
from bench.serve.servers import BenchError, child_env, mkg_command

BUILD_TIMEOUT_S = 3600.0
CODE_DIRS = ("graph", "ontology")


def code_fingerprint() -> str:
    """Return a hash of the sources that shape graph.nt (graph/ except graph/store/, and ontology/)."""
    h = hashlib.sha256()
    for top in CODE_DIRS:
        for path in sorted((PROJECT_ROOT / top).rglob("*")):
            rel = path.relative_to(PROJECT_ROOT)
            if (
                path.is_file()
                and path.suffix in (".py", ".ttl", ".yaml", ".yml", ".json")
                and "__pycache__" not in rel.parts
                and rel.parts[:2] != ("graph", "store")  # serving code: does not change the build
            ):
                h.update(str(rel).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:16]


def cached_build(
    n: int, seed: int, content: Path, *, refresh: bool, reuse: bool
) -> tuple[Path, dict[str, Any]]:
    """Return (build dir holding graph.nt and graph.ttl, facts about how it was obtained)."""
    build = CACHE_DIR / f"corpus-n{n}-s{seed}.build"
    stamp = CACHE_DIR / f"corpus-n{n}-s{seed}.build.json"
    corpus_stamp = CACHE_DIR / f"corpus-n{n}-s{seed}.json"
    want = {"corpus": json.loads(corpus_stamp.read_text()), "code": code_fingerprint()}
    have_files = all((build / name).is_file() for name in ("graph.nt", "graph.ttl"))
    if have_files and not refresh:
        try:
            got = json.loads(stamp.read_text())
        except (OSError, ValueError):
            got = None
        if got == want:
            return build, {"cached": True, "stale": False, **want}
        if reuse:
            return build, {"cached": True, "stale": True, "built_with": got, **want}
    tmp = Path(tempfile.mkdtemp(prefix=build.name + ".", dir=CACHE_DIR))
    log = tmp.with_suffix(".log")
    cmd = [*mkg_command(), "build", "--content", str(content), "--out", str(tmp)]
    print(f"[n={n}] building graph: {' '.join(cmd)}", file=sys.stderr)
    t0 = time.perf_counter()
    try:
        with log.open("w") as out:
            proc = subprocess.run(
                cmd,
                cwd=PROJECT_ROOT,
                env=child_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=BUILD_TIMEOUT_S,
                check=False,
            )
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    elapsed = round(time.perf_counter() - t0, 1)
    if proc.returncode != 0 or not (tmp / "graph.nt").is_file() or not (tmp / "graph.ttl").is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        tail = log.read_text(errors="replace")[-1500:]
        raise BenchError(f"mkg build exited {proc.returncode} (log {log}): {tail}")
    stamp.unlink(missing_ok=True)
    shutil.rmtree(build, ignore_errors=True)
    os.replace(tmp, build)
    stamp.write_text(json.dumps(want))
    log.unlink(missing_ok=True)
    return build, {"cached": False, "stale": False, "build_s": elapsed, **want}
