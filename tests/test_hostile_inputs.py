"""A list of hostile inputs, each answered with a 4xx (or a typed build problem) and nothing leaked.

Sent raw over a socket to a real `mkg serve` (gunicorn), so no client library normalises `..` or
refuses a NUL byte first. "Nothing leaked": no stack trace, no server-side path, no file content, no
environment value (a canary is put in the server's environment). SERVICE, LOAD and remote FROM on
/sparql are proven refused with a listening socket in tests/test_sparql_safety.py; here the same
listener shows REST parameters never reach SPARQL either.
"""

from __future__ import annotations

import contextlib
import socket
import urllib.parse

import pytest
import requests

from graph.cli import main as mkg
from graph.pipeline.build import build
from tests.conftest import article_text
from tests.leaks import CANARY_NAME, CANARY_VALUE, assert_nothing_leaked, assert_problem
from tests.servers import serve_app
from tests.test_sparql_safety import Listener

pytestmark = pytest.mark.timeout(120)

FILE_CONTENT = (b"root:x:0:0", b"[project]", b"[build-system]", b"from __future__", b"<urn:", b"_:")
TEN_MB = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def server(seed_build, tmp_path_factory):
    """`mkg serve` on the seed graph, with a canary value in its environment."""
    _, out = seed_build
    log = tmp_path_factory.mktemp("hostile") / "server.log"
    with serve_app(out / "graph.nt", log, env={CANARY_NAME: CANARY_VALUE, "MKG_QUERY_WORKERS": "1"},
                   threads=4) as running:
        yield running


def raw_request(url: str, request: bytes, read_limit: int = 1 << 20) -> tuple[int, dict[str, str], bytes]:
    """Send raw request bytes; return (status, headers, body) of the answer, read until the server closes."""
    parsed = urllib.parse.urlsplit(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=30) as sock:
        # the server may answer and close before reading everything: its answer is still there
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        chunks, size = [], 0
        while size < read_limit:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1."), f"no HTTP answer: {data[:200]!r}"
    headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    return int(lines[0].split()[1]), {k.strip(): v.strip() for k, v in headers.items()}, body


def get(url: str, target: bytes, headers: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """GET a raw request target (bytes exactly as given) with Connection: close."""
    return raw_request(url, b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                       + headers + b"\r\n")


def _graph_state(url: str) -> tuple[str, int]:
    ready = requests.get(url + "/ready", timeout=30).json()
    return ready["version"], ready["triples"]


def _refused(status: int, headers: dict[str, str], body: bytes) -> None:
    """A 4xx (a redirect to a harmless same-site location is tolerated), leaking nothing."""
    if status in (301, 302, 307, 308):
        location = headers.get("Location", "")
        assert ".." not in location and "%2e%2e" not in location.lower(), location
        assert location.startswith("/") or location.startswith("http://127.0.0.1"), location
    else:
        assert 400 <= status < 500, (status, body[:300])
    for content in FILE_CONTENT:
        assert content not in body, f"{content!r} served: {body[:300]!r}"
    assert_nothing_leaked(status, headers, body)


TRAVERSALS = [
    b"/api/concepts/../../../../etc/passwd",
    b"/api/concepts/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    b"/api/concepts/%2e%2e%2f%2e%2e%2fpyproject.toml",
    b"/api/concepts/%2e%2e",
    b"/api/concepts/..",
    b"/api/concepts/%2E%2E/neighbours",
    b"/api/concepts/..%5c..%5cpyproject.toml/related",
    b"/api/keywords/..%2f..%2f..%2fetc%2fpasswd",
    b"/api/concepts/%C0%AE%C0%AE%2F%C0%AE%C0%AE%2Fetc%2Fpasswd",
    b"/concept/..%2F..%2Fpyproject.toml",
    b"/keyword/%2e%2e%2f%2e%2e%2fgraph%2fconfig.py",
    b"/export/..%2F..%2Fpyproject.toml",
    b"/export/../../pyproject.toml",
    b"/export/%2e%2e%2fgraph.nt",
    b"/static/..%2F..%2Fpyproject.toml",
    b"/static/../../graph/config.py",
    b"/static/%2e%2e/%2e%2e/graph/config.py",
    b"//etc/passwd",
    b"/..%2f..%2f..%2fetc/passwd",
]


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode() for t in TRAVERSALS])
def test_path_traversal_in_slugs_and_files(server, target):
    _refused(*get(server.url, target))


NUL_AND_BAD_BYTES = [
    b"/api/concepts/viral-marketing%00.json",
    b"/api/concepts/%00",
    b"/api/concepts/viral-marketing/neighbours?relation=linksTo%00",
    b"/api/search?q=%00",
    b"/api/path?from=viral-marketing%00&to=social-media",
    b"/sparql?query=%00",
    b"/sparql?query=ASK%20%7B%7D%00",
    b"/api/concepts/viral\x00marketing",
    b"/api/concepts/\xff\xfe",
]


@pytest.mark.parametrize("target", NUL_AND_BAD_BYTES, ids=[repr(t)[2:-1] for t in NUL_AND_BAD_BYTES])
def test_nul_bytes_and_invalid_utf8(server, target):
    _refused(*get(server.url, target))


@pytest.mark.parametrize("path", [b"/api/search?q=", b"/sparql?query=", b"/api/concepts/", b"/api/path?from="])
def test_ten_megabyte_query_strings(server, path):
    before = _graph_state(server.url)
    _refused(*get(server.url, path + b"a" * TEN_MB))
    assert _graph_state(server.url) == before


def test_ten_megabyte_header_and_bodies(server):
    _refused(*get(server.url, b"/api/concepts/viral-marketing", b"Accept-Language: " + b"a" * TEN_MB + b"\r\n"))
    for content_type, body in ((b"application/x-www-form-urlencoded", b"query=" + b"a" * TEN_MB),
                               (b"application/sparql-query", b"ASK {} #" + b"a" * TEN_MB)):
        status, headers, answer = raw_request(server.url, b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              b"Connection: close\r\nContent-Type: " + content_type
                                              + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
                                              + body)
        assert status == 413, answer[:300]
        _refused(status, headers, answer)
    assert requests.get(server.url + "/ready", timeout=30).status_code == 200


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> <!ENTITY a "&xxe;&xxe;&xxe;&xxe;"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="urn:x:">
  <rdf:Description rdf:about="urn:x:s"><ex:p>&a;</ex:p></rdf:Description>
</rdf:RDF>"""


@pytest.mark.parametrize("content_type", ["application/rdf+xml", "application/xml", "text/xml",
                                          "application/sparql-results+xml"])
def test_xxe_in_an_xml_body_is_415(server, content_type):
    response = requests.post(server.url + "/sparql", data=XXE, headers={"Content-Type": content_type}, timeout=30)
    assert response.status_code == 415
    assert_problem(response.status_code, response.headers, response.content)
    _refused(response.status_code, response.headers, response.content)


def test_xxe_in_an_rdf_file_given_to_validate_reads_no_entity(tmp_path, capsys):
    """Only Turtle and N-Triples are read: an RDF/XML file with entities is a syntax error, nothing fetched."""
    evil = tmp_path / "evil.rdf"
    evil.write_bytes(XXE)
    assert mkg(["validate", str(evil)]) == 1
    captured = capsys.readouterr()
    assert "cannot read the RDF" in captured.err
    assert "root:x:0:0" not in captured.out + captured.err


def test_deeply_nested_turtle_given_to_validate_does_not_crash(tmp_path, capsys):
    """20,000 nested blank nodes (Turtle has no entities to expand; nesting is its bomb)."""
    deep = tmp_path / "deep.ttl"
    depth = 20_000
    deep.write_text("<urn:x:s> <urn:x:p> " + "[ <urn:x:p> " * depth + "1" + " ]" * depth + " .\n")
    assert mkg(["validate", "--format", "json", str(deep)]) in (0, 1)
    assert '"conforms"' in capsys.readouterr().out


@pytest.mark.parametrize("query", [
    "SERVICE <{url}> {{ ?s ?p ?o }}", "x> . SERVICE <{url}> {{ ?s ?p ?o }} }} #", '") }} SERVICE <{url}> {{ }} #',
])
def test_rest_parameters_never_reach_sparql(server, query):
    """SPARQL text in every REST parameter: looked up, never evaluated, so the listener hears nothing."""
    listener = Listener()
    try:
        text = query.format(url=listener.url("rest"))
        quoted = urllib.parse.quote(text, safe="")
        for path, params in ((f"/api/search?q={quoted}", None), (f"/api/concepts/{quoted}", None),
                             ("/api/concepts/viral-marketing/neighbours", {"relation": text}),
                             ("/api/path", {"from": text, "to": "social-media"}),
                             ("/api/concepts", {"keyword": text})):
            response = requests.get(server.url + path, params=params, timeout=30)
            assert response.status_code in (200, 400, 404), response.text[:300]
            assert_nothing_leaked(response.status_code, response.headers, response.content)
    finally:
        listener.close()
    assert listener.connections == []


def test_service_to_the_server_itself_is_refused(server):
    """SSRF to 127.0.0.1: a SERVICE call back into our own endpoint is refused before evaluation."""
    target = server.url + "/sparql?query=" + urllib.parse.quote("ASK {}")
    response = requests.get(server.url + "/sparql", timeout=30,
                            params={"query": f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"})
    problem = assert_problem(response.status_code, response.headers, response.content)
    assert response.status_code == 400 and problem["type"].endswith("query-refused")


# --- <script> in labels, and a billion laughs in front matter: through the build ------------------

SCRIPT = "<script>alert('mkg')</script>"


@pytest.fixture(scope="module")
def script_app(tmp_path_factory, make_app):
    """The app serving a graph whose concept title, keyword and anchor hold <script> tags."""
    where = tmp_path_factory.mktemp("script-labels")
    content = where / "content"
    content.mkdir()
    (content / "xss.md").write_text(article_text(title=f"تسويق {SCRIPT}", description=f"وصف {SCRIPT}.",
                                                 keywords=f"Business, {SCRIPT}",
                                                 body=f"[{SCRIPT}](/viral-marketing) <b onmouseover=alert(1)>x</b>"),
                                    encoding="utf-8")
    report = build(content, where / "build")
    assert report.written, report.failure
    return make_app(graph_file=where / "build" / "graph.nt")


def test_script_labels_are_data_never_markup(script_app):
    client = script_app.test_client()
    detail = client.get("/api/concepts/xss")
    assert detail.status_code == 200 and detail.mimetype == "application/json"
    assert SCRIPT in detail.get_json()["label"]["value"]  # kept as data, verbatim
    pages = ["/api/concepts/xss", "/api/search?q=" + urllib.parse.quote(SCRIPT), "/api/concepts/" +
             urllib.parse.quote(SCRIPT, safe=""), "/concept/xss", "/docs", "/sparql", "/", "/api/keywords"]
    rendered = 0
    for page in pages:
        response = client.get(page, headers={"Accept": "text/html"})
        assert response.status_code < 500, (page, response.status_code)
        if response.mimetype == "text/html":
            rendered += 1
            assert SCRIPT.encode() not in response.data, f"{page} renders the label as markup"
            assert b"onmouseover=alert" not in response.data, page
        assert_nothing_leaked(response.status_code, response.headers, response.data)
    assert rendered >= 1


def test_billion_laughs_front_matter_is_a_typed_build_problem(write_article, tmp_path, capsys):
    write_article("good.md", article_text(title="جيد"))
    lines = ["---", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    write_article("laughs.md", "\n".join([*lines, "title: *i", "description: d", "keywords: k", "---", "", "x"]))
    out = tmp_path / "build"
    assert mkg(["build", "--content", str(tmp_path / "content"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "laughs.md:11: error: front matter `title` is not plain text" in err
    assert not out.exists()
