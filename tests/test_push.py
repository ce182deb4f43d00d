"""`mkg push` / `mkg build --push`: versions in named graphs, an atomic switch, old versions dropped."""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from api.serving.reload import check_remote
from graph.cli import main
from graph.config import Settings
from graph.push import PushFailed, push_build, push_graph, versions
from graph.store.remote import RemoteClient, RemoteStore, current_pointer, version_graph
from graph.vocab import Vocabulary
from tests.conftest import article_text
from tests.servers import run_oxigraph_store

BASE = Vocabulary().base


@pytest.fixture
def store_url(tmp_path):
    """A fresh, empty, writable Oxigraph server for one test."""
    with run_oxigraph_store(tmp_path / "oxigraph", tmp_path / "oxigraph.log") as server:
        yield "sparql+" + server.url + "/"


def _client(url: str, **settings) -> RemoteClient:
    return RemoteClient.from_settings(Settings(store=url, **settings))


def _graph_size(client: RemoteClient, graph_iri: str) -> int:
    body = client.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}",
                        "application/sparql-results+json", None).content
    return int(next(iter(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)))["n"].value)


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_bytes().splitlines() if line.strip())


def _graph_with(tmp_path: Path, name: str, count: int) -> Path:
    path = tmp_path / f"{name}.nt"
    path.write_text("".join(f'<urn:{name}:s{i}> <urn:p> "نص {i}"@ar .\n' for i in range(count)), encoding="utf-8")
    return path


def test_push_loads_a_version_graph_and_serves_it(store_url, seed_build):
    report, out = seed_build
    result = push_build(Settings(store=store_url, build_dir=out))
    client = _client(store_url)
    assert (result.version, result.method, result.triples) == (report.version, "gsp", report.triples)
    assert current_pointer(client, BASE) == (report.version, version_graph(BASE, report.version))
    assert _graph_size(client, result.graph_iri) == _lines(out / "graph.nt")
    store = RemoteStore.open_current(client, BASE, prefixes=Vocabulary().prefixes())
    assert store.triple_count() == report.triples  # the control graph is not part of the served graph
    again = push_build(Settings(store=store_url, build_dir=out))
    assert again.method == "already-loaded" and again.version == report.version


def test_insert_data_batches_give_the_same_graph(store_url, seed_build):
    _, out = seed_build
    client = _client(store_url, store_data_url="none")
    assert client.data_url is None
    result = push_graph(out / "graph.nt", "batched", client, BASE, batch_lines=50)
    assert result.method == "update"
    by_gsp = push_graph(out / "graph.nt", "by-gsp", _client(store_url), BASE)
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    graphs = [set(ox.parse(client.query(query, "application/n-triples", g).content, format=ox.RdfFormat.N_TRIPLES))
              for g in (result.graph_iri, by_gsp.graph_iri)]
    assert graphs[0] == graphs[1] and len(graphs[0]) == _lines(out / "graph.nt")


def test_old_versions_are_dropped_beyond_keep_versions(store_url, tmp_path):
    client = _client(store_url)
    pushed = [push_graph(_graph_with(tmp_path, f"v{i}", 10 + i), f"v{i}", client, BASE, keep_versions=2)
              for i in range(4)]
    assert [v for _, v in versions(client, BASE)] == ["v3", "v2"]
    assert pushed[-1].dropped == [version_graph(BASE, "v1")]
    assert [_graph_size(client, p.graph_iri) for p in pushed] == [0, 0, 12, 13]
    # going back to a kept version only moves the pointer
    back = push_graph(tmp_path / "v2.nt", "v2", client, BASE, keep_versions=2)
    assert back.method == "already-loaded" and current_pointer(client, BASE)[0] == "v2"


def test_readers_never_see_a_half_loaded_version(store_url, tmp_path):
    """While a big version is loaded in batches, every reader sees a whole version: old or new, never a mix."""
    client = _client(store_url, store_data_url="none")
    sizes = {"small": 40, "big": 3000}
    push_graph(_graph_with(tmp_path, "small", sizes["small"]), "small", client, BASE)
    seen: list[tuple[str, int]] = []
    done = threading.Event()

    def read() -> None:
        reader = _client(store_url)
        while not done.is_set():
            store = RemoteStore.open_current(reader, BASE, prefixes={})
            seen.append((store.version, store._count_triples()))

    thread = threading.Thread(target=read)
    thread.start()
    try:
        push_graph(_graph_with(tmp_path, "big", sizes["big"]), "big", client, BASE, batch_lines=200)
        while not any(version == "big" for version, _ in seen) and thread.is_alive():
            done.wait(0.05)
    finally:
        done.set()
        thread.join(timeout=30)
    assert {version for version, _ in seen} == {"small", "big"}
    assert all(count == sizes[version] for version, count in seen), sorted(set(seen))


def test_a_failed_load_keeps_the_served_version(store_url, tmp_path):
    client = _client(store_url, store_data_url="none")
    push_graph(_graph_with(tmp_path, "good", 5), "good", client, BASE)
    broken = tmp_path / "broken.nt"
    broken.write_text('<urn:a> <urn:b> "ok" .\n<urn:a> <urn:b> _:blank .\n', encoding="utf-8")
    with pytest.raises(PushFailed, match="blank nodes"):
        push_graph(broken, "broken", client, BASE)
    assert current_pointer(client, BASE)[0] == "good"


def test_push_to_a_store_that_is_down_fails_cleanly(tmp_path, capsys):
    from tests.servers import free_port

    graph = _graph_with(tmp_path, "g", 3)
    url = f"sparql+http://user:hidden-pw@127.0.0.1:{free_port()}/"
    assert main(["push", url, "--graph", str(graph)]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the store" in err and "hidden-pw" not in err


def test_build_push_then_a_running_app_follows_the_new_version(store_url, tmp_path, write_article, capsys,
                                                                make_app):
    write_article("alpha.md", article_text(title="ألفا", body="نص عن [بيتا](/beta)."))
    out = tmp_path / "build"
    assert main(["build", "--content", str(tmp_path / "content"), "--out", str(out), "--push", store_url]) == 0
    assert "mkg push: serving version" in capsys.readouterr().out
    app = make_app(store=store_url, build_dir=tmp_path / "app", watch_interval=0)
    client = app.test_client()
    first = client.get("/api/stats").get_json()
    assert client.get("/api/concepts/gamma").status_code == 404

    write_article("gamma.md", article_text(title="غاما", body="نص عن [ألفا](/alpha)."))
    assert main(["build", "--content", str(tmp_path / "content"), "--out", str(out), "--push", store_url]) == 0
    assert client.get("/api/stats").get_json()["version"] == first["version"]  # until the replica checks
    assert check_remote(app) is True
    second = client.get("/api/stats").get_json()
    assert second["version"] != first["version"] and second["kinds"]["article"] == first["kinds"]["article"] + 1
    assert client.get("/api/concepts/gamma").status_code == 200  # indexes rebuilt for the new version
    assert check_remote(app) is False
