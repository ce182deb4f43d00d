"""Shared fixtures: the real seed articles, a built seed graph, and inline article writers."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from graph.pipeline.build import build
from graph.pipeline.corpus import read_content
from graph.vocab import Vocabulary

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"


def article_text(title="عنوان", description="وصف قصير.", keywords="Business", body="نص.") -> str:
    """Return an inline markdown article in the seeds' format."""
    return f"---\nkeywords: {keywords}\ntitle: {title}\ndescription: {description}\n---\n\n# {title}\n\n{body}\n"


@pytest.fixture
def write_article(tmp_path):
    """Write an inline article (dedented) into tmp_path/content and return its path."""
    content = tmp_path / "content"
    content.mkdir(exist_ok=True)

    def write(name: str, text: str | bytes) -> Path:
        path = content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def vocab() -> Vocabulary:
    return Vocabulary()


@pytest.fixture(scope="session")
def seed_articles():
    articles, problems = read_content(CONTENT)
    return {a.slug: a for a in articles}, problems


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory):
    """Build the real content/ once per session; return (report, build dir)."""
    out = tmp_path_factory.mktemp("seed") / "build"
    report = build(CONTENT, out)
    assert report.written, report.failure
    return report, out


@pytest.fixture(scope="session")
def seed_graph(seed_build):
    from rdflib import Graph

    _, out = seed_build
    graph = Graph()
    graph.parse(out / "graph.nt", format="nt")
    return graph


# --- the API suite runs on three stores: embedded, an `oxigraph serve` process and Virtuoso (issues 7, 18) -----

BACKENDS = ["embedded", "remote", "virtuoso"]
VIRTUOSO_PASSWORD = "mkg-Test-pw-7f3c"  # not Virtuoso's default `dba`: no test may see it in an answer or a log


def virtuoso_url(server, password: str | None = VIRTUOSO_PASSWORD) -> str:
    """Return the `virtuoso+http://…` store URL of a running Virtuoso, with the dba credentials unless None."""
    credentials = f"dba:{password}@" if password else ""
    return f"virtuoso+http://{credentials}{server.url.split('://', 1)[1]}/"


@pytest.fixture(scope="session")
def remote_store(seed_build, tmp_path_factory):
    """`sparql+http://…` URL of a writable `oxigraph serve` holding the seed graph, loaded by `graph.push`."""
    from graph.config import Settings
    from graph.push import push_build
    from tests.servers import run_oxigraph_store

    _, out = seed_build
    where = tmp_path_factory.mktemp("remote-store")
    with run_oxigraph_store(where / "store", where / "server.log") as server:
        url = "sparql+" + server.url + "/"
        push_build(Settings(store=url), graph_file=out / "graph.nt")
        yield url


@pytest.fixture(scope="session")
def virtuoso_store(seed_build, tmp_path_factory):
    """`virtuoso+http://dba:…@…/` URL of a Virtuoso on a fresh database holding the seed graph (`graph.push`)."""
    from graph.config import Settings
    from graph.push import push_build
    from tests.servers import run_virtuoso

    _, out = seed_build
    where = tmp_path_factory.mktemp("virtuoso-store")
    with run_virtuoso(where / "db", where / "server.log", password=VIRTUOSO_PASSWORD) as server:
        url = virtuoso_url(server)
        push_build(Settings(store=url), graph_file=out / "graph.nt")
        yield url


@pytest.fixture(scope="session")
def virtuoso_scratch_server(tmp_path_factory):
    """A second Virtuoso, for tests that push and prune (see `virtuoso_scratch`)."""
    from tests.servers import run_virtuoso

    where = tmp_path_factory.mktemp("virtuoso-scratch")
    with run_virtuoso(where / "db", where / "server.log", password=VIRTUOSO_PASSWORD) as server:
        yield server


@pytest.fixture
def virtuoso_scratch(virtuoso_scratch_server) -> str:
    """The URL of the scratch Virtuoso, emptied of every graph a test may have pushed."""
    import requests
    from requests.auth import HTTPDigestAuth

    url = virtuoso_scratch_server.url
    listed = requests.post(url + "/sparql", data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"},
                           headers={"Accept": "application/sparql-results+json"}, timeout=30).json()
    graphs = [b["g"]["value"] for b in listed["results"]["bindings"]
              if b["g"]["value"].startswith(("https://marketing-kg.example/", "urn:"))]
    if graphs:
        drop = " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs)
        answer = requests.post(url + "/sparql-auth", data=drop.encode(), timeout=60,
                               headers={"Content-Type": "application/sparql-update"},
                               auth=HTTPDigestAuth("dba", VIRTUOSO_PASSWORD))
        answer.raise_for_status()
    return virtuoso_url(virtuoso_scratch_server)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    """The store the API tests run on: `embedded` (pyoxigraph in-process), `remote` (Oxigraph server) or
    `virtuoso`."""
    return request.param


REMOTE_FIXTURES = {"remote": "remote_store", "virtuoso": "virtuoso_store"}


@pytest.fixture(scope="session")
def store_settings(backend, seed_build, tmp_path_factory, request) -> dict:
    """Settings that serve the seed graph from the parametrised backend."""
    _, out = seed_build
    if backend == "embedded":
        return {"graph_file": out / "graph.nt"}
    return {"store": request.getfixturevalue(REMOTE_FIXTURES[backend]),
            "build_dir": tmp_path_factory.mktemp(f"{backend}-app")}


@pytest.fixture(scope="session")
def live_server(seed_build, backend, tmp_path_factory, request):
    """Base URL of `mkg serve` (gunicorn, 1 worker x 8 threads) serving the seed graph; stopped at the end."""
    from tests.servers import serve_app, serve_remote_app

    _, out = seed_build
    where = tmp_path_factory.mktemp("live-server")
    if backend in REMOTE_FIXTURES:
        with serve_remote_app(request.getfixturevalue(REMOTE_FIXTURES[backend]), where / "server.log",
                              env={"MKG_BUILD_DIR": str(where / "build")}) as server:
            yield server.url
        return
    with serve_app(out / "graph.nt", where / "server.log", env={"MKG_QUERY_WORKERS": "2"}) as server:
        yield server.url


@pytest.fixture(scope="session")
def oxigraph_server(seed_build, tmp_path_factory):
    """Base URL of `oxigraph serve-read-only` on a store loaded from the seed graph's exported Turtle."""
    from tests.servers import serve_oxigraph

    _, out = seed_build
    where = tmp_path_factory.mktemp("oxigraph")
    with serve_oxigraph(out / "graph.ttl", where / "store", where / "server.log") as server:
        yield server.url


@pytest.fixture
def extract_graph(tmp_path):
    """Return a function that runs every extractor over tmp_path/content: (graph, index, problems)."""
    from rdflib import Graph

    from graph.pipeline.build import extract_lines
    from graph.pipeline.resolve import ConceptIndex

    def run():
        articles, problems = read_content(tmp_path / "content")
        lines, extracted = extract_lines(articles, Vocabulary(), jobs=1)
        graph = Graph().parse(data="".join(lines), format="nt")
        return graph, ConceptIndex.build(articles), problems + extracted

    return run


@pytest.fixture
def built_client(tmp_path, make_app):
    """Return a function that builds tmp_path/content and returns (Flask test client of the app serving it, report)."""

    def run(**options):
        report = build(tmp_path / "content", tmp_path / "build", **options)
        assert report.written, (report.failure, [str(p) for p in report.problems])
        return make_app(graph_file=tmp_path / "build" / "graph.nt").test_client(), report

    return run


def front_matter_article(front: str, body: str = "نص.", title: str = "عنوان") -> str:
    """Return an inline article with extra front-matter lines (YAML) after title and description."""
    return f"---\ntitle: {title}\ndescription: وصف قصير.\n{front.strip()}\n---\n\n# {title}\n\n{body}\n"


# --- apps: one factory, in the way datasette has make_app_client ------------------------------------------

REST_CORPUS_ARTICLES = 1000  # the 1,000-article corpus: ~17 s to generate and build


@pytest.fixture(scope="session")
def make_app(tmp_path_factory):
    """Return make_app(**settings) -> a Flask app (no query processes unless asked); all closed at the end.

    Settings are those of graph.config.Settings; graph files given as `graph_file` are imported into a
    session-wide cache directory, not the user's.
    """
    from api import create_app
    from graph.config import Settings

    imports = tmp_path_factory.mktemp("imports")
    made = []

    def make(*, graph=None, **settings):
        settings.setdefault("query_workers", 0)
        settings.setdefault("cache_dir", imports)
        app = create_app(Settings(**settings), graph=graph)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["mkg"].close()


@pytest.fixture(scope="session")
def make_client(make_app):
    """Return make_client(**settings) -> the test client of make_app(**settings)."""

    def make(**settings):
        return make_app(**settings).test_client()

    return make


@pytest.fixture(scope="session")
def rest_app(make_app, store_settings):
    """The Flask app serving the real seed graph in-process (no query worker processes), on each backend."""
    return make_app(**store_settings)


@pytest.fixture
def rest_client(rest_app):
    return rest_app.test_client()


@pytest.fixture(scope="session")
def corpus_build(tmp_path_factory):
    """The build directory of a generated corpus of REST_CORPUS_ARTICLES articles (bench.corpus, seed 0)."""
    from bench.corpus import generate

    where = tmp_path_factory.mktemp("rest-corpus")
    generate(REST_CORPUS_ARTICLES, where / "content", seed=0)
    report = build(where / "content", where / "build")
    assert report.written, report.failure
    return where / "build"


@pytest.fixture(scope="session")
def rest_corpus_app(make_app, corpus_build):
    """The app serving the generated corpus's build."""
    return make_app(graph_file=corpus_build / "graph.nt")


# --- the README's two set-up commands (tests/test_install.py runs them, tests/test_readme.py checks them) ----------

def readme_commands() -> list[str]:
    """Return the README's set-up commands: the one line of each of its first two ```sh blocks (Run, then Test)."""
    import re

    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL)
    return [block.strip() for block in blocks[:2]]
