"""Downloads under /export/: the same bytes `mkg export` writes, streamed with ETag and Content-Disposition."""

from __future__ import annotations

import pytest

from graph.cli import main as mkg

DOWNLOADS = {"graph.ttl": "text/turtle", "graph.nt": "application/n-triples", "graph.jsonld": "application/ld+json",
             "ontology.ttl": "text/turtle", "shapes.ttl": "text/turtle"}
FORMATS = {"graph.ttl": "turtle", "graph.nt": "ntriples", "graph.jsonld": "jsonld"}


@pytest.fixture(scope="module")
def graph_file(seed_build):
    _, out = seed_build
    return out / "graph.nt"


@pytest.fixture(scope="module")
def client(graph_file, make_client):
    return make_client(graph_file=graph_file)


@pytest.fixture(scope="module")
def cli_exports(graph_file, tmp_path_factory):
    """What `mkg export --format F --out DIR` writes, for every format."""
    written = {}
    for name, fmt in FORMATS.items():
        where = tmp_path_factory.mktemp(f"export-{fmt}")
        assert mkg(["--config", "/dev/null", "export", "--graph", str(graph_file), "--format", fmt,
                    "--out", str(where)]) == 0
        written[name] = (where / name).read_bytes()
        written["ontology.ttl"] = (where / "ontology.ttl").read_bytes()
        written["shapes.ttl"] = (where / "shapes.ttl").read_bytes()
    return written


@pytest.mark.parametrize("name", list(DOWNLOADS))
def test_download_is_byte_identical_to_mkg_export(client, cli_exports, name):
    response = client.get(f"/export/{name}")
    assert response.status_code == 200
    assert response.is_streamed or response.direct_passthrough
    body = response.get_data()
    assert body == cli_exports[name]
    assert len(body) > 1000
    assert response.mimetype == DOWNLOADS[name]
    assert response.headers["Content-Disposition"] == f"attachment; filename={name}"
    assert response.headers["ETag"]
    assert int(response.headers["Content-Length"]) == len(body)


def test_etag_gives_304_and_range_is_honoured(client):
    first = client.get("/export/graph.ttl")
    again = client.get("/export/graph.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    part = client.get("/export/graph.ttl", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.get_data() == first.get_data()[:100]
    assert len({client.get(f"/export/{n}").headers["ETag"] for n in DOWNLOADS}) == len(DOWNLOADS)


def test_turtle_export_parses_to_the_graph(client, graph_file):
    from rdflib import Graph

    turtle = Graph().parse(data=client.get("/export/graph.ttl").get_data(as_text=True), format="turtle")
    assert len(turtle) == len(Graph().parse(graph_file, format="nt"))
    assert "التسويق الفيروسي" in client.get("/export/graph.nt").get_data(as_text=True)


def test_unknown_export_is_a_problem(client):
    response = client.get("/export/graph.exe")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert "graph.ttl" in response.json["available"]


def test_a_turtle_graph_file_is_exported_from_its_sorted_triples(graph_file, cli_exports, tmp_path, make_client):
    turtle_file = tmp_path / "graph.ttl"
    turtle_file.write_bytes(cli_exports["graph.ttl"])
    client = make_client(graph_file=turtle_file)
    assert client.get("/export/graph.nt").get_data() == graph_file.read_bytes()
    assert client.get("/export/graph.ttl").get_data() == cli_exports["graph.ttl"]


def test_conversions_unused_for_a_day_are_removed(graph_file, tmp_path, make_client):
    import os
    import shutil
    import time

    from api.exports import STALE_SECONDS, _cache_dir

    copy = tmp_path / "graph.nt"
    shutil.copyfile(graph_file, copy)
    stale = _cache_dir(tmp_path / "old.nt", "old-version", "https://marketing-kg.example/")
    (stale / "graph.ttl").write_text("old")
    os.utime(stale, (time.time() - STALE_SECONDS - 60,) * 2)
    client = make_client(graph_file=copy)
    assert client.get("/export/graph.ttl").status_code == 200
    assert not stale.exists()


@pytest.mark.parametrize("name", ["graph.nt", "graph.ttl"])
def test_downloads_work_with_the_default_relative_build_dir(seed_build, make_app, tmp_path, monkeypatch, name):
    """`mkg serve` run where build/ is: the relative build/graph.nt was resolved against api/ (a 500)."""
    import shutil
    from pathlib import Path

    _, out = seed_build
    shutil.copytree(out, tmp_path / "build")
    monkeypatch.chdir(tmp_path)
    client = make_app(graph_file=Path("build") / "graph.nt").test_client()
    response = client.get(f"/export/{name}")
    assert response.status_code == 200
    if name == "graph.nt":
        assert response.get_data() == (tmp_path / "build" / "graph.nt").read_bytes()
