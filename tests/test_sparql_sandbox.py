"""The operating-system guarantee: query processes cannot open network sockets, whatever the query says.

The live tests run `mkg serve` through tests/unguarded_serve.py, whose lexical guard refuses nothing, so
SERVICE queries and operator chains reach the sandboxed query processes. The listener must receive
nothing, the client gets a clean 4xx, and a client whose queries kill query processes is throttled.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests

from graph.store import sandbox
from tests.servers import ROOT, _clean_env, _running, free_port, post_query
from tests.test_sparql_safety import Listener

pytestmark = pytest.mark.timeout(120)

MKG = "PREFIX mkg: <https://marketing-kg.example/ontology#>\n"
ASK = "ASK { ?s ?p ?o }"

# --- the filter itself, in a throw-away process ---------------------------------------------------

PROBE = r"""
import ctypes, errno, json, multiprocessing, os, platform, socket
from graph.store.sandbox import ARCHES, confine
confine()
libc = ctypes.CDLL(None, use_errno=True)
arch = ARCHES[platform.machine()]
out = {}
def call(name, number, *args):
    result = libc.syscall(ctypes.c_long(number), *(ctypes.c_long(a) for a in args))
    out[name] = "allowed" if result >= 0 else errno.errorcode[ctypes.get_errno()]
for name, family in (("inet", socket.AF_INET), ("inet6", socket.AF_INET6), ("netlink", socket.AF_NETLINK),
                     ("packet", socket.AF_PACKET)):
    try:
        socket.socket(family, socket.SOCK_RAW if family in (socket.AF_NETLINK, socket.AF_PACKET) else socket.SOCK_STREAM)
        out[name] = "allowed"
    except OSError as exc:
        out[name] = errno.errorcode[exc.errno]
call("inet, high bits set", arch["socket"], (1 << 32) | socket.AF_INET, socket.SOCK_STREAM, 0)
call("io_uring_setup", arch["denied"]["io_uring_setup"], 8, 0)
call("ptrace", arch["denied"]["ptrace"], 16, os.getppid(), 0, 0)  # PTRACE_ATTACH
call("pidfd_getfd", arch["denied"]["pidfd_getfd"], 0, 0, 0)
if platform.machine() == "x86_64":
    call("x32 socket", 0x40000000 | arch["socket"], socket.AF_INET, socket.SOCK_STREAM, 0)
left, right = socket.socketpair(socket.AF_UNIX)
left.send(b"x"); out["unix socketpair"] = right.recv(1).decode()
reader, writer = multiprocessing.Pipe()
writer.send("y"); out["pipe"] = reader.recv()
with open("/proc/self/status") as status:
    out["seccomp"] = [line.split()[1] for line in status if line.startswith("Seccomp:")][0]
print(json.dumps(out))
"""


def test_confined_process_cannot_create_network_sockets_but_talks_to_its_parent():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    for name in ("inet", "inet6", "netlink", "packet", "inet, high bits set", "io_uring_setup", "ptrace",
                 "pidfd_getfd"):
        assert found[name] == "EACCES", (name, found)
    if "x32 socket" in found:
        assert found["x32 socket"] == "EACCES"
    assert found["unix socketpair"] == "x" and found["pipe"] == "y"
    assert found["seccomp"] == "2"  # SECCOMP_MODE_FILTER


def test_this_platform_can_confine_query_processes():
    assert sandbox.unavailable_reason() is None


def _run_filter(steps, nr: int, arch: int, arg0: int = 0) -> int:
    """Evaluate a classic BPF seccomp program on one system call, as the kernel would."""
    data = {0: nr, 4: arch, 16: arg0 & 0xFFFFFFFF, 20: arg0 >> 32}
    accumulator, i = 0, 0
    while True:
        code, jt, jf, k = steps[i]
        if code == 0x20:  # ld [k]
            accumulator = data[k]
        elif code in (0x15, 0x35):  # jeq / jge
            taken = accumulator == k if code == 0x15 else accumulator >= k
            i += jt if taken else jf
        elif code == 0x06:  # ret
            return k
        i += 1


@pytest.mark.parametrize("machine", list(sandbox.ARCHES))
def test_the_filter_of_each_architecture_allows_unix_sockets_only(machine):
    arch = sandbox.ARCHES[machine]
    steps = sandbox.program(arch)
    allow, deny = sandbox.SECCOMP_RET_ALLOW, sandbox.SECCOMP_RET_ERRNO | 13
    run = lambda nr, arg0=0, audit=arch["audit"]: _run_filter(steps, nr, audit, arg0)  # noqa: E731
    for call in ("socket", "socketpair"):
        assert run(arch[call], 1) == allow  # AF_UNIX
        for family in (2, 10, 16, 17, (1 << 32) | 2):  # INET, INET6, NETLINK, PACKET, INET with high bits
            assert run(arch[call], family) == deny, (call, family)
    for number in arch["denied"].values():
        assert run(number) == deny
    assert run(0) == allow and run(63) == allow  # read/write-like calls
    assert run(arch["socket"], 1, audit=0x40000003) == deny  # the i386 table on a 64-bit kernel
    if machine == "x86_64":
        assert run(0x40000000 | arch["socket"], 1) == deny  # x32


# --- where the filter cannot be installed: /sparql refuses, and says why and how to opt out --------------


@pytest.fixture
def seed_nt(seed_build):
    return seed_build[1] / "graph.nt"


def test_without_a_sandbox_sparql_answers_503_and_names_the_opt_out(seed_nt, monkeypatch, make_app):
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "seccomp filters exist on Linux only (this is darwin)")
    app = make_app(graph_file=seed_nt, query_workers=1)
    response = app.test_client().get("/sparql", query_string={"query": ASK})
    assert response.status_code == 503
    problem = response.get_json()
    assert problem["type"].endswith("/sparql-unavailable")
    assert "darwin" in problem["detail"] and "MKG_SPARQL_SANDBOX=off" in problem["detail"]
    assert app.test_client().get("/api/concepts").status_code == 200  # the rest is served
    opted_out = make_app(graph_file=seed_nt, query_workers=1, sparql_sandbox="off")
    assert opted_out.test_client().get("/sparql", query_string={"query": ASK}).status_code == 200


def test_in_process_queries_need_the_opt_out(seed_nt, make_app):
    app = make_app(graph_file=seed_nt, query_workers=0)
    problem = app.test_client().get("/sparql", query_string={"query": ASK}).get_json()
    assert problem["status"] == 503 and "query_workers = 0" in problem["detail"]


def test_mkg_serve_says_why_sparql_is_off(seed_nt, tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "graph.cli", "serve", "--graph", str(seed_nt), "--port", str(port),
               "--query-workers", "0", "--workers", "1"]
    with _running(command, "/ready", port, tmp_path / "server.log", _clean_env(None), ROOT) as server:
        problem = requests.get(server.url + "/sparql", params={"query": ASK}, timeout=30).json()
        assert problem["status"] == 503
    assert "/sparql will answer 503" in (tmp_path / "server.log").read_text()


def test_the_opt_out_is_a_setting_with_two_values():
    from graph.config import ConfigError, load_settings

    assert load_settings(environ={"MKG_SPARQL_SANDBOX": "off"}).sparql_sandbox == "off"
    assert load_settings(environ={}).sparql_sandbox == "required"
    with pytest.raises(ConfigError):
        load_settings(environ={"MKG_SPARQL_SANDBOX": "no"})


# --- over a live server whose lexical guard refuses nothing -------------------------------------------


@pytest.fixture(scope="module")
def unguarded(seed_build, tmp_path_factory):
    """`mkg serve` (1 worker, 2 query processes) with the guard off and room for 1 MB queries."""
    _, out = seed_build
    log = tmp_path_factory.mktemp("unguarded") / "server.log"
    port = free_port()
    command = [sys.executable, "-m", "tests.unguarded_serve", "serve", "--graph", str(out / "graph.nt"),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--threads", "8"]
    env = _clean_env({"MKG_QUERY_WORKERS": "2", "MKG_MAX_QUERY_BYTES": "1000000"})
    with _running(command, "/ready", port, log, env, ROOT) as server:
        yield server


SERVICE_ATTACKS = {
    "plain": "SELECT * {{ ?c ?p ?o SERVICE <{url}> {{ ?x ?y ?z }} }}",
    "glued-boolean": MKG + "ASK {{ ?c mkg:hasArticle trueSERVICE <{url}> {{ ?x ?y ?z }} }}",
    "rows": MKG + "SELECT ?x {{ ?c mkg:hasArticle true SERVICE <{url}> {{ ?x ?y ?z }} }}",
    "silent": "SELECT * {{ ?c ?p ?o SERVICE SILENT <{url}> {{ ?x ?y ?z }} }}",
}


@pytest.mark.parametrize("name", list(SERVICE_ATTACKS))
def test_service_past_the_guard_reaches_nothing_and_gets_a_clean_4xx(unguarded, name):
    listener = Listener()
    try:
        url = listener.url(name)
        status, _, problem = post_query(unguarded.url, SERVICE_ATTACKS[name].format(url=url))
        time.sleep(0.3)
    finally:
        listener.close()
    assert listener.connections == [], listener.connections[:1]
    if name == "silent":  # SILENT: the failed call yields one empty solution, as the standard says
        assert status == 200
        return
    assert status == 400, problem
    assert problem["type"].endswith("/service-refused")
    text = json.dumps(problem).lower()
    for leak in ("127.0.0.1", str(listener.port), "os error", "denied", "refused (os"):
        assert leak not in text, problem


def test_a_closed_port_and_an_open_one_look_the_same(unguarded):
    """No port scanning: the answer does not depend on what listens at the address."""
    listener = Listener()
    try:
        open_answer = post_query(unguarded.url, SERVICE_ATTACKS["plain"].format(url=listener.url()))
    finally:
        listener.close()
    closed_answer = post_query(unguarded.url, SERVICE_ATTACKS["plain"].format(url=f"http://127.0.0.1:{free_port()}/"))
    assert open_answer[0] == closed_answer[0] == 400
    assert open_answer[2]["detail"] == closed_answer[2]["detail"]


CRASH = "SELECT ((" + "+".join(["1"] * 200_000) + ") AS ?x) {}"  # overflows a query process's 64 MB stack


def _query_processes(server) -> set[int]:
    found = set()
    for pid in server.processes():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if b"spawn_main" in handle.read():
                    found.add(pid)
        except OSError:
            continue
    return found


def test_a_query_that_kills_its_process_is_a_400_and_repeating_it_a_429(unguarded):
    before = _query_processes(unguarded)
    assert len(before) == 2
    status, _, problem = post_query(unguarded.url, CRASH, source="127.0.0.3")
    assert status == 400 and problem["type"].endswith("/query-too-complex"), problem
    deadline = time.monotonic() + 60
    while (len(_query_processes(unguarded)) < 2 or _query_processes(unguarded) == before) \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    after = _query_processes(unguarded)
    assert len(after) == 2 and after != before  # the dead one was replaced
    for _ in range(2):  # three strikes within a minute
        assert post_query(unguarded.url, CRASH, source="127.0.0.3")[0] == 400
    status, headers, problem = post_query(unguarded.url, ASK, source="127.0.0.3")
    assert status == 429 and int(headers["Retry-After"]) > 0, problem
    assert problem["type"].endswith("/too-many-failed-queries")
    assert post_query(unguarded.url, ASK, source="127.0.0.4")[0] == 200  # other clients are served
