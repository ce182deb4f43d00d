"""Every graph source is served the same way: imported once into an on-disk store and read model, then opened."""

from __future__ import annotations

import concurrent.futures
import json

import pyoxigraph as ox
import pytest
import requests

from graph.sources import GraphUnavailable
from tests.servers import serve_app

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _count(client) -> int:
    answer = client.get("/sparql", query_string={"query": COUNT}, headers={"Accept": "application/sparql-results+json"})
    return int(answer.json["results"]["bindings"][0]["n"]["value"])


def _saved(where):
    return {p.relative_to(where): p.stat().st_mtime_ns for p in where.rglob("*") if p.is_file()}


def test_a_turtle_file_is_imported_once_then_only_opened(seed_build, tmp_path, make_client):
    _, out = seed_build
    cache = tmp_path / "cache"
    first = make_client(graph_file=out / "graph.ttl", cache_dir=cache, query_workers=1)
    imported = [p for p in cache.iterdir() if p.is_dir()]
    assert len(imported) == 1 and list(imported[0].glob("store-*/mkg-readmodel-*.pickle"))
    saved = _saved(cache)
    second = make_client(graph_file=out / "graph.ttl", cache_dir=cache, query_workers=1)
    assert _saved(cache) == saved  # the same store and read model, opened again
    report = json.loads((out / "report.json").read_text())
    for client in (first, second):
        assert _count(client) == report["triples"]
        assert client.get("/api/concepts/viral-marketing").json["slug"] == "viral-marketing"


def test_a_graph_file_changed_in_place_is_imported_again(seed_build, tmp_path, make_client):
    _, out = seed_build
    graph, cache = tmp_path / "graph.ttl", tmp_path / "cache"
    graph.write_bytes((out / "graph.ttl").read_bytes())
    first = make_client(graph_file=graph, cache_dir=cache, query_workers=1)
    before = first.get("/ready").json
    with graph.open("a", encoding="utf-8") as turtle:  # same path, one more triple
        turtle.write("\n<https://e.example/added> <https://e.example/p> <https://e.example/o> .\n")
    after = make_client(graph_file=graph, cache_dir=cache, query_workers=1).get("/ready").json
    assert after["version"] != before["version"] and after["triples"] == before["triples"] + 1
    again = make_client(graph_file=graph, cache_dir=cache, query_workers=1).get("/ready").json
    assert again["version"] == after["version"]


def test_json_ld_and_a_build_give_the_same_answers(seed_build, tmp_path, make_client):
    _, out = seed_build
    jsonld = tmp_path / "graph.jsonld"
    jsonld.write_bytes(ox.serialize(ox.parse(path=str(out / "graph.nt"), format=ox.RdfFormat.N_TRIPLES),
                                    format=ox.RdfFormat.JSON_LD))
    from_jsonld, from_build = make_client(graph_file=jsonld), make_client(graph_file=out / "graph.nt")
    for path in ("/api/concepts/viral-marketing", "/api/concepts/social-media/neighbours?depth=2",
                 "/api/search?q=smm", "/export/graph.nt"):
        a, b = from_jsonld.get(path), from_build.get(path)
        assert a.status_code == b.status_code == 200 and a.data == b.data, path


def test_an_unreadable_graph_file_is_reported(tmp_path, make_app):
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .", encoding="utf-8")
    with pytest.raises(GraphUnavailable, match=r"broken\.ttl"):
        make_app(graph_file=broken, cache_dir=tmp_path / "cache")


def test_ready_means_every_surface_answers_on_a_turtle_source(corpus_build, tmp_path):
    """The first 200 from /ready on a 1,000-article .ttl: SPARQL answers at once, on every worker."""
    env = {"MKG_CACHE_DIR": str(tmp_path / "cache"), "MKG_QUERY_WORKERS": "2"}
    with serve_app(corpus_build / "graph.ttl", tmp_path / "server.log", env, workers=2, threads=4) as server:
        # serve_app returns at the first 200 from /ready
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: requests.get(
                server.url + "/sparql", params={"query": COUNT},
                headers={"Accept": "application/sparql-results+json"}, timeout=30), range(16)))
        assert [a.status_code for a in answers] == [200] * 16, [a.text[:200] for a in answers if a.status_code != 200]
        triples = json.loads((corpus_build / "report.json").read_text())["triples"]
        assert {int(a.json()["results"]["bindings"][0]["n"]["value"]) for a in answers} == {triples}
