"""The on-disk store of a build: created once beside graph.nt, opened read-only per process, REST indexes saved."""

from __future__ import annotations

import json
import os
import shutil

import pyoxigraph as ox
import pytest

from api import create_app
from api.indexes import GraphIndexes
from api.rest_response import AnswerCache, json_bytes
from graph.config import Settings
from graph.store.disk import compact, ensure_store, open_read_only, prior_build, serving_store
from graph.store.embedded import EmbeddedStore

EX = "https://marketing-kg.example/concept/"
LINES = (
    f'<{EX}viral-marketing> <http://www.w3.org/2004/02/skos/core#prefLabel> "التسويق الفيروسي"@ar .\n'
    f"<{EX}viral-marketing> <https://marketing-kg.example/ontology#linksTo> <{EX}social-media> .\n"
    f'<{EX}social-media> <http://www.w3.org/2004/02/skos/core#prefLabel> "Social Media"@en .\n'
)
COUNT_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _fake_build(directory, version="v1", lines=LINES):
    """Write graph.nt and then a report.json the way `mkg build` leaves them."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "graph.nt").write_text(lines, encoding="utf-8")
    (directory / "report.json").write_text(json.dumps({"written": True, "version": version, "triples": 3}))
    return directory / "graph.nt"


def test_a_build_graph_is_recognised_by_its_report(tmp_path):
    graph = _fake_build(tmp_path / "build")
    found = prior_build(graph)
    assert (found.path, found.version, found.triples) == (graph, "v1", 3)
    loose = tmp_path / "loose.ttl"
    loose.write_text("", encoding="utf-8")
    assert prior_build(loose) is None
    # graph.nt rewritten after the build: the report no longer describes it
    stat = (tmp_path / "build" / "report.json").stat()
    os.utime(graph, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert prior_build(graph) is None


def test_the_store_is_created_once_then_reused(tmp_path):
    graph = _fake_build(tmp_path / "build")
    directory, triples = serving_store(graph, "v1")
    assert directory == tmp_path / "build" / "store-v1" and triples == 3
    assert [p.name for p in directory.parent.iterdir() if p.name.startswith(".")] == []  # no temp dir left
    store = open_read_only(directory)
    labels = {s["l"].value for s in store.query("SELECT ?l WHERE { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }")}
    assert labels == {"التسويق الفيروسي", "Social Media"}
    marker = directory / "kept"
    marker.write_text("x")
    assert ensure_store(graph, directory) == directory and marker.exists()  # not rebuilt
    assert serving_store(graph, "another-version") == (None, None)


def _sst_files(directory):
    return sorted(p.name for p in directory.iterdir() if p.suffix == ".sst")


def test_a_store_loaded_in_pieces_is_compacted_once_before_serving(tmp_path):
    directory = tmp_path / "store-v1"
    lines = [f"<{EX}c{n:03d}> <https://marketing-kg.example/ontology#linksTo> <{EX}c{n + 1:03d}> .\n"
             for n in range(40)]
    store = ox.Store(str(directory))
    for n in range(2):  # as a build loads its shards: overlapping key ranges, one set of files per load
        shard = tmp_path / f"shard-{n}.nt"
        shard.write_text("".join(lines[n::2]), encoding="utf-8")
        store.bulk_load(path=str(shard), format=ox.RdfFormat.N_TRIPLES)
    del store
    pieces = _sst_files(directory)
    assert compact(directory) and (directory / "mkg-compacted").exists()
    compacted = _sst_files(directory)
    assert len(compacted) < len(pieces)
    assert compact(directory) and _sst_files(directory) == compacted  # marked: not compacted again
    assert len(open_read_only(directory)) == 40


def test_a_store_that_cannot_be_compacted_is_served_as_built(tmp_path, caplog):
    graph = _fake_build(tmp_path / "build")
    directory = tmp_path / "build" / "store-v1"
    writer = ox.Store(str(directory))  # as the build left it, and another writer holds its RocksDB lock
    writer.bulk_load(path=str(graph), format=ox.RdfFormat.N_TRIPLES)
    writer.flush()
    try:
        assert serving_store(graph, "v1") == (directory, 3)
    finally:
        del writer
    assert not (directory / "mkg-compacted").exists() and "cannot compact" in caplog.text
    assert len(open_read_only(directory)) == 3


def test_embedded_store_reads_the_disk_store_and_its_query_process_too(tmp_path):
    graph = _fake_build(tmp_path / "build")
    directory, triples = serving_store(graph, "v1")
    store = EmbeddedStore(graph, version="v1", query_workers=1, store_dir=directory, triples=triples)
    try:
        assert store.triple_count() == 3
        rows = store.select("SELECT ?t WHERE { ?c <https://marketing-kg.example/ontology#linksTo> ?t }")
        assert [r["t"].value for r in rows] == [EX + "social-media"]
        output = store.protocol_query(COUNT_QUERY, "csv", max_rows=10, timeout=30)
        assert output.body.decode().split() == ["n", "3"]
    finally:
        store.close()


def test_a_forked_child_opens_its_own_handle(tmp_path):
    graph = _fake_build(tmp_path / "build")
    directory, _ = serving_store(graph, "v1")
    store = EmbeddedStore(graph, version="v1", query_workers=0, store_dir=directory)
    parent_handle = store._store
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent's handle was dropped before the fork, a new one is opened
        try:
            ok = store._handle is None and len(store.select(COUNT_QUERY)) == 1 and store._handle is not None
            os.write(write, b"ok" if ok else b"no")
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 10) == b"ok"
    assert store._store is not parent_handle  # the parent reopens lazily as well
    assert store.select(COUNT_QUERY)[0]["n"].value == "3"


def test_rest_indexes_are_saved_beside_the_store_and_read_back(seed_build, tmp_path, monkeypatch):
    _, out = seed_build
    build = tmp_path / "build"
    shutil.copytree(out, build, ignore=shutil.ignore_patterns("store-*"))
    settings = Settings(graph_file=build / "graph.nt", query_workers=0)
    first = create_app(settings)
    version = first.extensions["mkg"].store.version
    saved = list((build / f"store-{version}").glob("mkg-rest-indexes-*.pickle"))
    assert len(saved) == 1
    expected = first.test_client().get("/api/concepts/viral-marketing").json

    def no_build(cls, store, vocab):
        raise AssertionError("the indexes should have been read from disk")

    monkeypatch.setattr(GraphIndexes, "build", classmethod(no_build))
    second = create_app(settings)
    assert second.test_client().get("/api/concepts/viral-marketing").json == expected
    assert "social-media" in {n["slug"] for n in second.test_client().get(
        "/api/concepts/viral-marketing/neighbours?direction=both").json["nodes"]}


def test_a_damaged_index_file_is_rebuilt(seed_build, tmp_path):
    _, out = seed_build
    build = tmp_path / "build"
    shutil.copytree(out, build, ignore=shutil.ignore_patterns("store-*"))
    settings = Settings(graph_file=build / "graph.nt", query_workers=0)
    create_app(settings)
    saved = next(build.glob("store-*/mkg-rest-indexes-*.pickle"))
    saved.write_bytes(b"not a pickle")
    older = saved.with_name("mkg-rest-indexes-0000000000000000.pickle")  # from an older version of the code
    older.write_bytes(b"old")
    app = create_app(settings)
    assert app.test_client().get("/api/search?q=smm").json["results"][0]["slug"] == "social-media-marketing-smm"
    assert saved.stat().st_size > 1000  # written again
    assert not older.exists()


def test_answer_cache_keeps_recent_answers_within_its_budget():
    cache = AnswerCache(max_bytes=4000)  # an entry costs its body, its key and a fixed overhead
    for i in range(20):
        cache.put(f"k{i}", bytes(100), "application/json")
    assert cache.size <= 4000
    assert cache.get("k0") is None and cache.get("k19") == (bytes(100), "application/json")
    cache.put("huge", bytes(500), "application/json")  # over an eighth of the budget: not kept
    assert cache.get("huge") is None


def test_a_kept_json_answer_holds_about_its_own_length():
    """orjson's bytes keep its ~4 KB output buffer: json_bytes copies them, so the cache budget is the memory."""
    import tracemalloc

    tracemalloc.start()
    try:
        answers = [json_bytes({"slug": "viral-marketing", "n": n}) for n in range(1000)]
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert json.loads(answers[7]) == {"slug": "viral-marketing", "n": 7}
    assert held / len(answers) < len(answers[0]) + 200, held / len(answers)


@pytest.mark.parametrize("accept", ["application/json", "text/turtle"])
def test_cached_answers_are_the_same_answers(seed_build, accept):
    _, out = seed_build
    app = create_app(Settings(graph_file=out / "graph.nt", query_workers=0))
    client = app.test_client()
    first = client.get("/api/concepts/viral-marketing/related?limit=3", headers={"Accept": accept})
    second = client.get("/api/concepts/viral-marketing/related?limit=3", headers={"Accept": accept})
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    assert first.mimetype == accept
    if accept == "application/json":  # the labels' language is part of the answer (and of the cache key)
        english = client.get("/api/concepts/viral-marketing/related?limit=3&lang=en", headers={"Accept": accept})
        assert english.json["concept"]["label"]["lang"] == "en" and first.json["concept"]["label"]["lang"] == "ar"


def test_a_repeated_look_up_is_answered_from_its_first_answer(seed_build):
    _, out = seed_build
    app = create_app(Settings(graph_file=out / "graph.nt", query_workers=0))
    lookups, client = app.wsgi_app.wsgi_app, app.test_client()  # inside HeaderBudget
    path = "/api/concepts/viral-marketing/neighbours?direction=both"
    first = client.get(path)
    kept = lookups.cache.size
    assert first.status_code == 200 and kept > len(first.data)
    again = client.get(path)
    assert (again.status_code, again.data, dict(again.headers)) == (200, first.data, dict(first.headers))
    assert lookups.cache.size == kept  # answered from the cache, nothing new kept
    english = client.get(path, headers={"Accept-Language": "en"})
    assert english.data != first.data and lookups.cache.size > kept  # another variant, kept apart
    gzipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers.get("Content-Encoding") in (None, "gzip") and gzipped.headers["Vary"]
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    size = lookups.cache.size
    assert client.get("/api/concepts/no-such-concept").status_code == 404
    assert client.post(path).status_code == 405
    assert lookups.cache.size == size  # only 200 answers to GET are kept
    store = app.extensions["mkg"].store
    version = store.version
    store.version = "another-version"  # a new graph: the old answers no longer apply
    try:
        newer = client.get(path)
        assert newer.data == first.data and newer.headers["ETag"] != first.headers["ETag"]
    finally:
        store.version = version


def _copied_build(seed_build, tmp_path):
    _, out = seed_build
    build = tmp_path / "build"
    shutil.copytree(out, build, ignore=shutil.ignore_patterns("store-*"))
    return build


def test_indexes_read_from_graph_nt_equal_those_from_store_queries(seed_build, tmp_path, monkeypatch):
    import api.indexes as indexes_module
    from api import graph_scan
    from graph.vocab import Vocabulary

    build = _copied_build(seed_build, tmp_path)
    app = create_app(Settings(graph_file=build / "graph.nt", query_workers=0))
    store, vocab = app.extensions["mkg"].store, Vocabulary(Settings().base_iri)
    assert store.store_dir is not None
    scanned = GraphIndexes.build(store, vocab)
    monkeypatch.setattr(indexes_module, "graph_rows", lambda store, mkg, props, types: (
        graph_scan._store_rows(store, mkg, props, types), None))
    queried = GraphIndexes.build(store, vocab)
    assert scanned.concepts.keys() == queried.concepts.keys() and len(scanned.concepts) > 10
    assert {s: c.__dict__ for s, c in scanned.concepts.items()} == {s: c.__dict__ for s, c in queried.concepts.items()}
    assert {s: c.__dict__ for s, c in scanned.keywords.items()} == {s: c.__dict__ for s, c in queried.keywords.items()}
    assert dict(scanned.out) == dict(queried.out) and dict(scanned.inc) == dict(queried.inc)
    assert (scanned.aliases, scanned.link_count, scanned.relation_iris) == (
        queried.aliases, queried.link_count, queried.relation_iris)
    assert any(e.anchors for edges in scanned.out.values() for e in edges)  # linksTo anchors were joined


@pytest.mark.parametrize("accept", ["application/json", "application/n-triples"])
def test_concept_facts_from_the_saved_facts_file_equal_the_store_reads(seed_build, tmp_path, accept):
    build = _copied_build(seed_build, tmp_path)
    app = create_app(Settings(graph_file=build / "graph.nt", query_workers=0))
    service = app.extensions["mkg"]
    idx = GraphIndexes.for_store(service.store, service.vocab)
    assert idx.facts_path and len(idx.facts_offsets) == len(idx.concepts)
    client, fresh = app.test_client(), {"Accept": accept, "Cache-Control": "no-cache"}
    slugs = ["viral-marketing", "social-media-marketing-smm", "customer-relation-management"]
    from_file = {slug: client.get(f"/api/concepts/{slug}", headers=fresh) for slug in slugs}
    idx.facts_path = None  # read the store breadth first instead
    for slug in slugs:
        answer = client.get(f"/api/concepts/{slug}", headers=fresh)
        assert answer.status_code == from_file[slug].status_code == 200
        if accept == "application/json":
            assert answer.json == from_file[slug].json
            assert slug != "viral-marketing" or answer.json["facts"]["section"]
        else:
            assert sorted(answer.data.splitlines()) == sorted(from_file[slug].data.splitlines())


def test_a_no_cache_look_up_is_computed_and_not_kept(seed_build):
    from api.rest_response import ANSWERS

    _, out = seed_build
    app = create_app(Settings(graph_file=out / "graph.nt", query_workers=0))
    lookups, client = app.wsgi_app.wsgi_app, app.test_client()  # inside HeaderBudget
    path = "/api/concepts/viral-marketing/related?limit=4&lang=en"
    kept, answers = lookups.cache.size, ANSWERS.size
    fresh = client.get(path, headers={"Cache-Control": "no-cache"})
    assert fresh.status_code == 200 and fresh.json["results"]
    assert (lookups.cache.size, ANSWERS.size) == (kept, answers)  # nothing kept
    cached = client.get(path)
    assert cached.data == fresh.data and cached.headers["ETag"] == fresh.headers["ETag"]
    assert lookups.cache.size > kept


def test_write_indexes_prepares_a_build_for_its_first_serve(seed_build, tmp_path, monkeypatch):
    from api.index_build import write_indexes
    from graph.vocab import Vocabulary

    build = _copied_build(seed_build, tmp_path)
    version = json.loads((build / "report.json").read_text())["version"]
    assert write_indexes(build, version, Vocabulary(Settings().base_iri)) > 0
    assert list(build.glob(f"store-{version}/mkg-rest-indexes-*.pickle"))
    assert list(build.glob(f"store-{version}/mkg-facts-*.zlib"))

    def no_build(cls, store, vocab, facts_path=None):
        raise AssertionError("the indexes should have been read from disk")

    monkeypatch.setattr(GraphIndexes, "build", classmethod(no_build))
    app = create_app(Settings(graph_file=build / "graph.nt", query_workers=0))
    assert app.test_client().get("/api/concepts/viral-marketing").json["slug"] == "viral-marketing"
