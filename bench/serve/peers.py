"""Start the second SPARQL peer of `bench serve` (Virtuoso, loaded by `mkg push`) and a replica on it.

Virtuoso runs on a fresh database in the run's scratch directory with bench.serve.virtuoso's settings (its
cache sized to the graph, no ResultSetMaxRows cap: marketing-kg caps user answers itself), a random dba
password passed to `mkg` through MKG_STORE_PASSWORD, and is loaded the way a deployment loads it:
`mkg push` (Graph Store Protocol in chunks of 100,000 triples, then the switch). The peer's queries
name the pushed version graph as `default-graph-uri`, and wrk's timeout (30 s) as Virtuoso's own.

The replica is `mkg serve --store virtuoso+http://…` (2 workers x 4 threads, as ours): a first start
downloads its copy of the version and builds its REST indexes from the store, a second start (the one
timed, like ours) finds the copy; /ready, RSS and PSS are what docs/scaling-out.md quotes per replica.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.build_bench import PROJECT_ROOT
from bench.serve import virtuoso
from bench.serve.servers import (
    THREADS,
    WORKERS,
    BenchError,
    Server,
    child_env,
    free_port,
    http_get,
    mkg_command,
    settle,
    wait_ready,
)

PUSH_TIMEOUT_S = 3600.0
BUFFER_BYTES = 8192
TRIPLE_BYTES = 160  # Virtuoso's pages per triple, quads and dictionary included (measured: ~300 MB at 2M)


def _store_env(password: str, build_dir: Path | None = None) -> dict[str, str]:
    env = {**child_env(), "MKG_STORE_USER": "dba", "MKG_STORE_PASSWORD": password}
    if build_dir is not None:
        env["MKG_BUILD_DIR"] = str(build_dir)
    return env


def start_virtuoso(stack: contextlib.ExitStack, scratch: Path, graph_nt: Path, triples: int
                   ) -> tuple[Server, str, str, str, dict[str, Any]]:
    """Run Virtuoso on a new database and push `graph_nt` into it.

    Returns (server, base URL, store URL, dba password, info for the results).
    """
    password = secrets.token_urlsafe(12)
    port = free_port()
    buffers = max(10_000, triples * TRIPLE_BYTES * 3 // 2 // BUFFER_BYTES)  # half as much again, for the work
    ini = virtuoso.configure(scratch / "virtuoso", sql_port=free_port(), http_port=port, buffers=buffers,
                             result_rows=0)
    t0 = time.perf_counter()
    virtuoso.set_password(ini, password)
    server = stack.enter_context(Server("virtuoso", virtuoso.command(ini), scratch / "virtuoso.log",
                                        cwd=ini.parent))
    base_url = f"http://127.0.0.1:{port}"
    ready_s = wait_ready(server, base_url + virtuoso.PROBE)
    create_s = time.perf_counter() - t0 - ready_s
    store_url = f"virtuoso+{base_url}/"
    t1 = time.perf_counter()
    push = subprocess.run([*mkg_command(), "push", store_url, "--graph", str(graph_nt)], cwd=PROJECT_ROOT,
                          env=_store_env(password), capture_output=True, text=True, timeout=PUSH_TIMEOUT_S,
                          check=False)
    push_s = round(time.perf_counter() - t1, 2)
    if push.returncode != 0:
        raise BenchError(f"mkg push to Virtuoso exited {push.returncode}: {(push.stderr or push.stdout)[-800:]}")
    info = {
        "version": virtuoso.version(),
        "command": virtuoso.command(ini),
        "settings": virtuoso.settings_of(ini),
        "create_database_s": round(create_s, 2),
        "ready_s": round(ready_s, 2),
        "load": f"mkg push {store_url} (GSP PUT + POST, 100,000 triples a request)",
        "load_s": push_s,
        "push_output": push.stdout.strip()[-400:],
        "rss_ready_mb": server.rss_mb(),
    }
    return server, base_url, store_url, password, info


def version_graph(store_url: str) -> str:
    """Return the IRI of the version graph the store serves, as a replica finds it."""
    from graph.config import Settings
    from graph.store.remote import RemoteClient, current_pointer
    from graph.vocab import Vocabulary

    client = RemoteClient.from_settings(Settings(store=store_url))
    try:
        pointer = current_pointer(client, Vocabulary().base)
    finally:
        client.close()
    if pointer is None:
        raise BenchError(f"{store_url} names no served version")
    return pointer[1]


def start_replica(stack: contextlib.ExitStack, scratch: Path, store_url: str, password: str,
                  build_dir: Path | None = None) -> tuple[Server, str, dict[str, Any]]:
    """Run `mkg serve --store URL` twice (the second start timed), and once more on `build_dir` (the pushed
    version's build: its read model is opened, nothing is downloaded); return (server, base URL, info)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [*mkg_command(), "serve", "--store", store_url, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(WORKERS), "--threads", str(THREADS)]
    env = _store_env(password, scratch / "replica-build")
    with Server("mkg serve --store (first start)", cmd, scratch / "replica-first.log", cwd=PROJECT_ROOT,
                env=env) as first:
        first_ready_s = wait_ready(first, url + "/ready")
        first_rss = settle(first)
    from_build_s = None
    if build_dir is not None:
        with Server("mkg serve --store (on the build's directory)", cmd, scratch / "replica-build.log",
                    cwd=PROJECT_ROOT, env=_store_env(password, build_dir)) as on_build:
            from_build_s = round(wait_ready(on_build, url + "/ready"), 2)
    server = stack.enter_context(Server("mkg serve --store", cmd, scratch / "replica.log", cwd=PROJECT_ROOT,
                                        env=env))
    ready_s = wait_ready(server, url + "/ready")
    info = {
        "command": cmd,
        "credentials": "MKG_STORE_USER / MKG_STORE_PASSWORD",
        "workers": WORKERS,
        "threads": THREADS,
        "first_start_ready_s": round(first_ready_s, 2),
        "rss_first_start_mb": first_rss,
        "ready_s": round(ready_s, 2),
        "build_dir_ready_s": from_build_s,
        "rss_first_ready_mb": server.rss_mb(),
        "rss_ready_mb": settle(server),
        "pss_ready_mb": server.pss_mb(),
        "processes": server.process_count(),
        "ready": json.loads(http_get(url + "/ready")[2] or b"{}"),
    }
    return server, url, info
