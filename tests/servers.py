"""Start real HTTP servers for tests: our app through `mkg serve` (gunicorn), Oxigraph server and Virtuoso.

Usage::

    with serve_app(graph_nt, tmp / "app.log", env={"MKG_QUERY_TIMEOUT": "2"}) as server:
        requests.get(server.url + "/ready")
    with serve_oxigraph(graph_ttl, tmp / "store", tmp / "oxigraph.log") as server:
        requests.get(server.url + "/query", params={"query": "ASK {}"})
    with run_virtuoso(tmp / "virtuoso", tmp / "virtuoso.log", password="pw") as server:
        push_build(Settings(store="virtuoso+http://dba:pw@" + server.url[7:] + "/"), graph_file=graph_nt)

Each server runs in its own process group, is waited for until it answers, and is always stopped:
SIGTERM to the server, then SIGKILL to whatever is left of its process group.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

# Shared query texts of the SPARQL tests.
PREFIXES = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX mkg: <https://marketing-kg.example/ontology#>
"""
SELECT_LABELS = PREFIXES + """SELECT ?concept ?label WHERE {
  ?concept a mkg:Concept ; skos:prefLabel ?label .
}
ORDER BY ?concept ?label"""

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


@dataclass(frozen=True)
class Server:
    """A running server: its base URL (no trailing slash), its process and its log file."""

    url: str
    process: subprocess.Popen
    log: Path

    def processes(self) -> set[int]:
        """Return the ids of the live processes of the server's process group (Linux /proc)."""
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z" and int(fields[2]) == self.process.pid:  # state, ppid, pgrp
                found.add(int(entry.name))
        return found


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_env(extra: dict[str, str] | None) -> dict[str, str]:
    """The test process's environment without MKG_* settings or a config file, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MKG_")}
    env["MKG_CONFIG"] = os.devnull  # and no ./mkg.toml a developer may keep in the repository root
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def _log_tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until(process: subprocess.Popen, probe: Callable[[], bool], log: Path,
               timeout: float = START_TIMEOUT) -> None:
    """Poll `probe` until it returns True; fail early if the process exits, or after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering:\n{_log_tail(log)}")
        try:
            if probe():
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer within {timeout:g} s:\n{_log_tail(log)}")


def stop(process: subprocess.Popen) -> None:
    """Terminate the server, wait, then kill anything left in its process group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait(timeout=STOP_TIMEOUT)
    # gunicorn workers and query worker processes share the server's process group (start_new_session)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def _running(command: list[str], probe_path: str, port: int, log: Path, env: dict[str, str],
             cwd: Path) -> Iterator[Server]:
    base_url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(process, lambda: requests.get(base_url + probe_path, timeout=2).status_code == 200, log)
        yield Server(base_url, process, log)
    finally:
        stop(process)


def serve_app(graph_file: Path, log: Path, env: dict[str, str] | None = None, *, workers: int = 1,
              threads: int = 8) -> contextlib.AbstractContextManager[Server]:
    """Run `mkg serve --graph FILE` (gunicorn) on a free port; yield the Server once /ready answers."""
    port = free_port()
    command = [sys.executable, "-m", "graph.cli", "serve", "--graph", str(graph_file), "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--threads", str(threads)]
    return _running(command, "/ready", port, log, _clean_env(env), ROOT)


def oxigraph_command() -> str:
    """Return the path of the `oxigraph` CLI (PyPI package `oxigraph`), preferring this interpreter's."""
    beside = Path(sys.executable).with_name("oxigraph")
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if found is None:
        raise RuntimeError("the oxigraph CLI is not installed: pip install oxigraph")
    return found


def serve_oxigraph(turtle_file: Path, location: Path, log: Path) -> contextlib.AbstractContextManager[Server]:
    """Load `turtle_file` into a fresh Oxigraph store at `location` and run `oxigraph serve-read-only`."""
    binary = oxigraph_command()
    subprocess.run([binary, "load", "--location", str(location), "--file", str(turtle_file)],
                   check=True, capture_output=True, timeout=120)
    port = free_port()
    command = [binary, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    return _running(command, "/query?query=ASK%7B%7D", port, log, _clean_env(None), location.parent)


def run_oxigraph_store(location: Path, log: Path, port: int | None = None) -> contextlib.AbstractContextManager[Server]:
    """Run a writable `oxigraph serve` on `location` (a new or existing store) on `port` or a free port."""
    port = port or free_port()
    command = [oxigraph_command(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    return _running(command, "/query?query=ASK%7B%7D", port, log, _clean_env(None), location.parent)


def run_virtuoso(directory: Path, log: Path, *, password: str, port: int | None = None
                 ) -> contextlib.AbstractContextManager[Server]:
    """Run Virtuoso on the database in `directory` (created, with this `dba` password, when new) on `port`."""
    from bench.serve import virtuoso

    port = port or free_port()
    ini = virtuoso.configure(directory, sql_port=free_port(), http_port=port)
    if not ini.with_name("virtuoso.db").is_file():
        virtuoso.set_password(ini, password)
    return _running(virtuoso.command(ini), virtuoso.PROBE, port, log, _clean_env(None), directory)


def serve_remote_app(store_url: str, log: Path, env: dict[str, str] | None = None, *, workers: int = 1,
                     threads: int = 8) -> contextlib.AbstractContextManager[Server]:
    """Run `mkg serve --store sparql+http://…` (gunicorn) on a free port; yield the Server once /ready answers."""
    port = free_port()
    command = [sys.executable, "-m", "graph.cli", "serve", "--store", store_url, "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--threads", str(threads)]
    return _running(command, "/ready", port, log, _clean_env(env), ROOT)


def post_query(url: str, query: str, source: str | None = None) -> tuple[int, dict, dict]:
    """POST a query to url/sparql from local address `source`; return status, headers and the JSON body."""
    import http.client
    import json

    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60, source_address=(source, 0) if source else None)
    try:
        conn.request("POST", "/sparql", body=query.encode(), headers={
            "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read() or b"{}")
    finally:
        conn.close()


# --- reading SPARQL answers back with rdflib, to compare them with rdflib's or Oxigraph's own ---

RESULT_PARSERS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


def media_type(content_type: str | None) -> str:
    """Return the bare media type of a Content-Type header value."""
    return (content_type or "").split(";")[0].strip().lower()


def parse_solutions(body: bytes, content_type: str) -> list[dict]:
    """Parse a SELECT answer (JSON, XML, CSV or TSV) into a list of {variable name: rdflib term}."""
    import io

    from rdflib.query import Result

    result = Result.parse(io.BytesIO(body), format=RESULT_PARSERS[media_type(content_type)])
    return [{str(var): term for var, term in row.items()} for row in result.bindings]


def parse_boolean(body: bytes, content_type: str) -> bool:
    """Parse an ASK answer: JSON or XML through rdflib, CSV/TSV as a one-column table."""
    import io

    from rdflib.query import Result

    kind = RESULT_PARSERS[media_type(content_type)]
    if kind in ("json", "xml"):
        return bool(Result.parse(io.BytesIO(body), format=kind).askAnswer)
    header, value = body.decode().split()
    assert header.lstrip("?") == "_askResult", header
    return {"true": True, "false": False}[value]


def parse_graph(body: bytes, content_type: str):
    """Parse a CONSTRUCT/DESCRIBE answer into an rdflib Graph."""
    from rdflib import Graph

    return Graph().parse(data=body, format=GRAPH_PARSERS[media_type(content_type)])


def lossy_csv(row: dict) -> dict:
    """What a row looks like after a round trip through SPARQL CSV (datatypes and languages dropped)."""
    from rdflib import BNode, Literal, URIRef

    def kept(term) -> bool:
        return isinstance(term, BNode) or (isinstance(term, URIRef) and str(term).startswith(("http://", "https://")))

    return {name: term if kept(term) else Literal(str(term)) for name, term in row.items()}
