"""`python -m bench adversarial`: replay the adversarial findings of issue 15 against a live `mkg serve`.

Starts `mkg serve --graph GRAPH` (the code of --root, this checkout by default) on 127.0.0.1, then sends
each attack and prints what came back: outbound connections seen by a local listener, statuses, whether
an error echoed remote content, ETag collisions, memory and CPU under large headers, the cost of the
worst REST neighbourhood answer, the protocol details, and the latency of a cheap ASK while four other
clients (from 127.0.0.2-5) send queries that crash a query process.

Usage::

    python -m bench adversarial --graph build/graph.nt
    python -m bench adversarial --graph build/graph.nt --root /tmp/old-checkout   # the code before a fix
    python -m bench adversarial --graph build/graph.nt --unguarded  # the lexical guard off (test boot)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench.build_bench import PROJECT_ROOT
from bench.serve.servers import Server, free_port, wait_ready

MKG = "PREFIX mkg: <https://marketing-kg.example/ontology#>\n"
ASK = "ASK { ?s ?p ?o }"


class Listener:
    """A local HTTP server that answers SPARQL JSON and records every connection made to it."""

    BODY = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"LISTENER-SECRET"}}]}}'

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.hits: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.hits.append(conn.recv(65536))
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                                 b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(self.BODY), self.BODY))
                except OSError:
                    self.hits.append(b"(connected)")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


def request(base: str, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None,
            repeated: list[tuple[str, str]] | None = None, source: str | None = None,
            timeout: float = 60) -> tuple[int, dict[str, str], bytes, float]:
    """Send one request (headers may repeat); return status, headers, body and seconds taken."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout,
                                      source_address=(source, 0) if source else None)
    started = time.perf_counter()
    try:
        conn.putrequest(method, path, skip_accept_encoding=True, skip_host="Host" in (headers or {}))
        for name, value in [*(headers or {}).items(), *(repeated or [])]:
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data, time.perf_counter() - started
    except (OSError, http.client.HTTPException) as exc:
        return 0, {}, str(exc).encode(), time.perf_counter() - started
    finally:
        conn.close()


def sparql(base: str, query: str, accept: str = "application/sparql-results+json", **kw):
    """POST a query as application/sparql-query."""
    headers = {"Content-Type": "application/sparql-query", "Accept": accept, **kw.pop("headers", {})}
    return request(base, "POST", "/sparql", body=query.encode(), headers=headers, **kw)


def ssrf(base: str) -> list[dict[str, Any]]:
    """Finding 1: keywords glued to a literal reach SERVICE; errors echo what the listener or the host said."""
    rows = []
    closed = free_port()
    for name, template in (
        ("trueSERVICE", MKG + "ASK {{ ?c mkg:hasArticle trueSERVICE <{url}> {{ ?x ?y ?z }} }}"),
        ("falseSERVICE", MKG + "ASK {{ ?c mkg:hasArticle falseSERVICE <{url}> {{ ?x ?y ?z }} }}"),
        ("1e0SERVICE", "SELECT * {{ ?c ?p 1e0SERVICE <{url}> {{ ?x ?y ?z }} }}"),
        ("SERVICE:name", "PREFIX : <{url}>\nSELECT * {{ ?c ?p 1 SERVICE:probe {{ ?x ?y ?z }} }}"),
        ("select rows", "SELECT ?x {{ BIND(1 AS ?one) FILTER(?one = 1e0)trueSERVICE <{url}> {{ ?x ?y ?z }} }}"),
    ):
        listener = Listener()
        try:
            status, _, body, _ = sparql(base, template.format(url=f"http://127.0.0.1:{listener.port}/probe"))
            time.sleep(0.2)
        finally:
            listener.close()
        rows.append({"attack": name, "status": status, "listener_connections": len(listener.hits),
                     "echoes_listener": b"LISTENER-SECRET" in body or b"HTTP/1.1" in body})
    status, _, body, _ = sparql(base, MKG + f"ASK {{ ?c mkg:hasArticle trueSERVICE <http://127.0.0.1:{closed}/> {{ }} }}")
    text = body.decode(errors="replace").lower()
    rows.append({"attack": "port scan (closed port)", "status": status,
                 "echoes_host_error": any(w in text for w in ("connection refused", "os error", "127.0.0.1",
                                                              str(closed)))})
    return rows


PLUS_7000 = "SELECT ((" + "+".join(["1"] * 7000) + ") AS ?x) {}"
MINUS_3000 = "SELECT * { ?s ?p ?o " + "MINUS { ?s ?p ?o } " * 3000 + "}"


def crashes(base: str, seconds: float, terms: int = 0) -> dict[str, Any]:
    """Finding 2: a small query kills a query process; four clients sending them starve a cheap ASK.

    With `terms`, the four clients send a chain of that many terms instead of the issue's two queries.
    """
    out: dict[str, Any] = {}
    chain = "SELECT ((" + "+".join(["1"] * terms) + ") AS ?x) {}" if terms else None
    for name, query in (("1+1+...+1 (7000 terms)", PLUS_7000), ("3000 MINUS blocks", MINUS_3000),
                        *([(f"1+1+...+1 ({terms} terms)", chain)] if chain else [])):
        status, _, body, took = sparql(base, query)
        out[name] = {"bytes": len(query), "status": status, "seconds": round(took, 2),
                     "type": _problem_type(body)}
    time.sleep(3)  # let replaced query processes start
    baseline = [sparql(base, ASK)[3] for _ in range(20)]
    stop = threading.Event()
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def crasher(source: str) -> None:
        while not stop.is_set():
            query = chain or (PLUS_7000 if source.endswith(("2", "4")) else MINUS_3000)
            status = sparql(base, query, source=source)[0]
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=crasher, args=(f"127.0.0.{i}",), daemon=True) for i in range(2, 6)]
    for thread in threads:
        thread.start()
    asks, ask_statuses = [], {}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        status, _, _, took = sparql(base, ASK, source="127.0.0.1", timeout=seconds + 30)
        asks.append(took)
        ask_statuses[status] = ask_statuses.get(status, 0) + 1
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    out["under load"] = {
        "seconds": seconds, "ask_baseline_p50_ms": round(statistics.median(baseline) * 1000, 1),
        "asks_answered": len(asks), "ask_statuses": ask_statuses,
        "ask_p50_ms": round(statistics.median(asks) * 1000, 1) if asks else None,
        "ask_max_ms": round(max(asks) * 1000, 1) if asks else None, "crasher_statuses": statuses,
    }
    return out


def etags(base: str) -> dict[str, Any]:
    """Finding 3: queries differing only inside a literal must not share an ETag."""
    first = sparql(base, 'SELECT ?x { BIND("a  b" AS ?x) }')
    second = sparql(base, 'SELECT ?x { BIND("a b" AS ?x) }', headers={"If-None-Match": first[1].get("etag", "")})
    return {"same_etag_304": second[0] == 304, "second_status": second[0]}


def _workers(master: int) -> list[int]:
    """Return the gunicorn worker pids (children of master, not query processes)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == master and b"spawn_main" not in cmdline \
                and b"resource_tracker" not in cmdline:
            out.append(int(entry.name))
    return out


def _rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def headers(base: str, master: int, slug: str) -> dict[str, Any]:
    """Finding 4: unique large headers grow the answer cache's memory; 95 large Accept headers cost CPU."""
    path = "/api/concepts?limit=1"
    for _ in range(20):
        request(base, "GET", path)
    workers = _workers(master)
    count = 600
    out: dict[str, Any] = {"unique_header_requests": count}
    for size in (8000, 3900):
        before = _rss_kb(workers)
        statuses: dict[int, int] = {}
        for i in range(count):
            value = f"{size}-{i:08d}".ljust(size, "x")
            status = request(base, "GET", path, headers={"Accept-Language": value, "Origin": value})[0]
            statuses[status] = statuses.get(status, 0) + 1
        out[f"{size}_byte_headers"] = {"statuses": statuses,
                                       "rss_growth_kb_per_request": round((_rss_kb(workers) - before) / count, 1)}
    accept = [("Accept", "text/html;q=0.1, " * 500)[:8000] for _ in range(95)]
    timings = []
    for _ in range(3):
        status, _, _, took = request(base, "GET", f"/api/concepts/{urllib.parse.quote(slug)}", repeated=accept)
        timings.append((status, round(took * 1000)))
    normal = [round(request(base, "GET", f"/api/concepts/{urllib.parse.quote(slug)}",
                            headers={"Cache-Control": "no-cache"})[3] * 1000, 1) for _ in range(5)]
    return {**out, "95_large_accept_headers_status_ms": timings, "normal_detail_ms": normal}


def rest_cost(base: str, slug: str) -> dict[str, Any]:
    """Finding 5: the worst neighbourhood parameters against a concept detail (bytes and time, uncached)."""
    quoted = urllib.parse.quote(slug, safe="")
    worst = (f"/api/concepts/{quoted}/neighbours?depth=3&direction=both"
             "&relation=linksTo,hasKeyword,definesTerm,definedIn,mentions&limit=1000")
    if request(base, "GET", worst)[0] == 400:  # over the largest limit: ask for that
        worst = worst.replace("limit=1000", "limit=500")
    out = {"worst_path": worst}
    for name, path in (("detail", f"/api/concepts/{quoted}"), ("worst neighbours", worst)):
        runs = [request(base, "GET", path, headers={"Cache-Control": "no-cache", "Accept": "application/json"})
                for _ in range(7)]
        out[name] = {"status": runs[0][0], "bytes": len(runs[0][2]),
                     "p50_ms": round(statistics.median(r[3] for r in runs) * 1000, 2)}
    return out


def protocol(base: str) -> dict[str, Any]:
    """Finding 6: invalid UTF-8, SERVICE failure status, service description, text/*, 406 Vary, SPARQLStore."""
    out: dict[str, Any] = {}
    status, _, body, _ = request(base, "POST", "/sparql", body=b'SELECT ?x { BIND("caf\xe9" AS ?x) }',
                                 headers={"Content-Type": "application/sparql-query",
                                          "Accept": "application/sparql-results+json"})
    out["invalid_utf8"] = {"status": status, "replaced": "\ufffd" in body.decode(errors="replace")}
    status, head, body, _ = request(base, "GET", "/sparql", headers={"Host": "evil.example", "Accept": "text/turtle"})
    out["service_description"] = {"status": status, "echoes_host": b"evil.example" in body,
                                  "cache_control": head.get("cache-control")}
    status, head, _, _ = request(base, "GET", "/sparql?" + urllib.parse.urlencode({"query": "SELECT * {}"}),
                                 headers={"Accept": "text/*"})
    out["text_star_select"] = head.get("content-type")
    status, head, _, _ = request(base, "GET", "/sparql?" + urllib.parse.urlencode({"query": "SELECT * {}"}),
                                 headers={"Accept": "image/png"})
    out["406_vary"] = {"status": status, "vary": head.get("vary")}
    for form, query in (("CONSTRUCT", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1"), ("DESCRIBE", "DESCRIBE ?s { ?s ?p ?o } LIMIT 1")):
        status, head, _, _ = sparql(base, query, accept="application/sparql-results+xml")
        out[f"{form}_with_results_accept"] = {"status": status, "type": head.get("content-type")}
    try:
        from rdflib import Graph
        from rdflib.plugins.stores.sparqlstore import SPARQLStore

        for fmt in ("xml", "json"):
            graph = Graph(SPARQLStore(base + "/sparql", returnFormat=fmt))
            try:
                out[f"sparqlstore {fmt}"] = {"construct": len(graph.query("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2").graph)}
            except Exception as exc:
                out[f"sparqlstore {fmt}"] = f"{type(exc).__name__}: {str(exc)[:80]}"
        graph = Graph(SPARQLStore(base + "/sparql"))
        out["sparqlstore"] = {
            "select": len(list(graph.query("SELECT * { ?s ?p ?o } LIMIT 2"))),
            "ask": bool(graph.query("ASK { ?s ?p ?o }").askAnswer),
            "construct": len(graph.query("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2").graph),
            "describe": len(graph.query("DESCRIBE ?s { ?s ?p ?o } LIMIT 1").graph),
        }
    except Exception as exc:  # report, do not stop: this is the finding
        out["sparqlstore"] = f"{type(exc).__name__}: {str(exc)[:120]}"
    return out


def _problem_type(body: bytes) -> str:
    try:
        return json.loads(body)["type"].rsplit("/", 1)[-1]
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""


def _hub(base: str) -> str:
    """Return the slug of the concept with the most links (the costliest neighbourhood)."""
    _, _, body, _ = request(base, "GET", "/api/concepts?limit=500")
    slugs = [item["slug"] for item in json.loads(body)["items"]]
    sizes = {s: len(request(base, "GET", f"/api/concepts/{urllib.parse.quote(s, safe='')}/neighbours?depth=1")[2])
             for s in slugs[:200]}
    return max(sizes, key=sizes.get)


def run(args: argparse.Namespace) -> int:
    """Start the server, replay every finding, print the results as JSON."""
    root = Path(args.root).resolve()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    boot = ["-m", "tests.unguarded_serve"] if args.unguarded else ["-m", "graph.cli"]
    cmd = [sys.executable, *boot, "serve", "--graph", str(Path(args.graph).resolve()), "--host", "127.0.0.1",
           "--port", str(port), "--workers", "2", "--threads", "4"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MKG_")}
    env.update(MKG_CONFIG=os.devnull, PYTHONPATH=str(root))
    if args.crash_terms:
        env["MKG_MAX_QUERY_BYTES"] = str(args.crash_terms * 2 + 1000)
    log = Path(tempfile.mkdtemp(prefix="mkg-adversarial-")) / "server.log"
    results: dict[str, Any] = {"root": str(root), "graph": args.graph, "unguarded": args.unguarded}
    with Server("mkg serve", cmd, log, cwd=root, env=env) as server:
        wait_ready(server, base + "/ready", timeout=300)
        time.sleep(2)
        hub = _hub(base)
        results["1 ssrf"] = ssrf(base)
        results["3 etag"] = etags(base)
        results["4 headers"] = headers(base, server.proc.pid, hub)
        results["5 rest cost"] = rest_cost(base, hub)
        results["6 protocol"] = protocol(base)
        results["2 crashes"] = crashes(base, args.seconds, args.crash_terms)
        results["server_alive"] = server.alive()
    print(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


def register(subparsers) -> None:
    """Add the `adversarial` subcommand."""
    parser = subparsers.add_parser("adversarial", help="replay the adversarial findings against mkg serve")
    parser.add_argument("--graph", default=str(PROJECT_ROOT / "build" / "graph.nt"), help="graph to serve")
    parser.add_argument("--root", default=str(PROJECT_ROOT), help="project checkout whose code serves it")
    parser.add_argument("--seconds", type=float, default=25.0, help="length of the crash load (default 25)")
    parser.add_argument("--unguarded", action="store_true", help="boot with the lexical guard off (tests' boot)")
    parser.add_argument("--crash-terms", type=int, default=0,
                        help="crash load with a 1+1+... chain of this many terms (e.g. 200000 with --unguarded)")
    parser.set_defaults(func=run)
