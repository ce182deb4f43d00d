"""Start, probe and stop our server and the peer, and sample their memory from /proc."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.build_bench import _PAGE_MB, PROJECT_ROOT, _tree_pids, _tree_rss_mb

WORKERS, THREADS = 2, 4
READY_TIMEOUT_S = 900.0


class BenchError(RuntimeError):
    """A step of the benchmark failed in a way that stops this corpus size."""


def child_env(checkout: Path | None = None) -> dict[str, str]:
    """Return the environment for `mkg` children: the project root (or another checkout) first on PYTHONPATH."""
    # The editable install can map `api` as a namespace package (it was installed before
    # api/__init__.py existed), and the `mkg` script's sys.path does not start with the project, so
    # without this `mkg serve` fails with "cannot import name 'GraphUnavailable' from 'api'".
    env = dict(os.environ)
    root = str(checkout or PROJECT_ROOT)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def mkg_command() -> list[str]:
    """Return the argv prefix that runs the `mkg` CLI."""
    exe = shutil.which("mkg")
    if exe:
        return [exe]
    return [sys.executable, "-c", "import sys; from graph.cli import main; sys.exit(main())"]


def ours_command(graph: Path, port: int, checkout: Path | None = None) -> list[str]:
    """Return the `mkg serve` argv for graph on 127.0.0.1:port with WORKERS x THREADS (another checkout's code)."""
    return [
        *([sys.executable, "-m", "graph.cli"] if checkout else mkg_command()),
        "serve",
        "--graph",
        str(graph),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
    ]


def load_peer(location: Path, ttl: Path, timeout: float) -> tuple[str, float]:
    """Load ttl into a new Oxigraph store at location and optimize it; return (the oxigraph CLI, seconds taken).

    `oxigraph optimize` is what Oxigraph advises before a read-only endpoint under load, and what our
    service does to its own store before serving (graph.store.disk.compact).
    """
    oxigraph = shutil.which("oxigraph")
    if oxigraph is None:
        raise BenchError("the `oxigraph` CLI is not on PATH (pip install oxigraph)")
    t0 = time.perf_counter()
    load = subprocess.run(
        [oxigraph, "load", "--location", str(location), "--file", str(ttl)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if load.returncode == 0:
        load = subprocess.run([oxigraph, "optimize", "--location", str(location)],
                              capture_output=True, text=True, timeout=timeout, check=False)
    load_s = round(time.perf_counter() - t0, 2)
    if load.returncode != 0:
        raise BenchError(f"oxigraph {load.args[1]} exited {load.returncode}: {load.stderr[-800:]}")
    return oxigraph, load_s


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A child server in its own process group, stopped (TERM, then KILL) on exit."""

    def __init__(self, name: str, cmd: list[str], log: Path, **popen: Any) -> None:
        self.name, self.cmd, self.log = name, cmd, log
        self._out = log.open("w")
        self._stopped = False
        self.proc = subprocess.Popen(
            cmd, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True, **popen
        )

    def __enter__(self) -> Server:
        """Return this server for a with block."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Stop the server on leaving the with block."""
        self.stop()

    def alive(self) -> bool:
        """Return whether the main process is still running."""
        return self.proc.poll() is None

    def rss_mb(self) -> float:
        """Return the summed RSS (MiB) of the process tree."""
        return round(_tree_rss_mb(self.proc.pid), 1)

    def pids(self) -> list[int]:
        """Return the pids of this server's process tree (from /proc/*/task/*/children)."""
        return _tree_pids(self.proc.pid)

    def breakdown(self) -> list[dict[str, Any]]:
        """Return pid, parent, a short role and RSS (MiB) of every process in the tree."""
        rows = []
        for pid in self.pids():
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                stat = Path(f"/proc/{pid}/stat").read_text()
                pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
            except (OSError, ValueError, IndexError):
                continue
            text = b" ".join(argv).decode(errors="replace")
            role = (
                "multiprocessing resource tracker"
                if "resource_tracker" in text
                else "multiprocessing child (query process)"
                if "spawn_main" in text or "forkserver" in text
                else Path(argv[0].decode(errors="replace")).name
                + " "
                + " ".join(a.decode() for a in argv[1:3])
            )
            if pid == self.proc.pid:
                role = "main process (gunicorn master): " + role
            elif "mkg serve" in text or "gunicorn" in text:
                role = "gunicorn worker"
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            rows.append({"pid": pid, "ppid": ppid, "role": role[:80], "rss_mb": round(pages * _PAGE_MB, 1)})
        return rows

    def process_count(self) -> int:
        """Return how many processes of the tree are still alive."""
        return len([p for p in self.pids() if Path(f"/proc/{p}").exists()])

    def pss_mb(self) -> float | None:
        """Return the summed proportional set size (shared pages split between sharers), if readable."""
        total, seen = 0, False
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        seen = True
                        break
            except (OSError, ValueError, IndexError):
                continue
        return round(total / 1024, 1) if seen else None

    def log_tail(self, chars: int = 1500) -> str:
        """Return the last `chars` characters of the server's log."""
        self._out.flush()
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the process group: TERM, then KILL, then reap workers left behind."""
        if self._stopped:
            return
        self._stopped = True
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.proc.pid, sig)  # the group this child leads (start_new_session)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.proc.poll() is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # workers left behind by a master that died first
        self._out.close()


def http_get(
    url: str, headers: dict[str, str] | None = None, timeout: float = 60.0
) -> tuple[int, dict[str, str], bytes]:
    """GET url; return (status, headers, body) without raising on HTTP errors."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers or {}), e.read()


def wait_ready(server: Server, url: str, timeout: float = READY_TIMEOUT_S) -> float:
    """Poll url until it answers 200; return seconds since the server was started."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if not server.alive():
            raise BenchError(
                f"{server.name} exited {server.proc.returncode} before ready: {server.log_tail()}"
            )
        try:
            if http_get(url, timeout=5.0)[0] == 200:
                return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchError(f"{server.name} not ready after {timeout:.0f} s: {server.log_tail()}")


def settle(server: Server, limit: float = 60.0) -> float:
    """Wait until the process tree's RSS stops growing (every worker has loaded); return its RSS in MiB."""
    t0, last = time.perf_counter(), server.rss_mb()
    while time.perf_counter() - t0 < limit:
        time.sleep(1.0)
        now = server.rss_mb()
        if abs(now - last) <= max(2.0, 0.01 * last):
            return now
        last = now
    return last
