"""The on-disk store of a graph version: created once beside graph.nt, compacted once, opened read-only per process."""

from __future__ import annotations

import json
import os

import pyoxigraph as ox

from graph.store.disk import compact, ensure_store, open_read_only, prior_build, store_dir
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


def _store_of(graph):
    return ensure_store(graph, store_dir(graph.parent, "v1"))


def test_the_store_is_created_once_then_reused(tmp_path):
    graph = _fake_build(tmp_path / "build")
    directory = _store_of(graph)
    assert directory == tmp_path / "build" / "store-v1"
    assert [p.name for p in directory.parent.iterdir() if p.name.startswith(".")] == []  # no temp dir left
    store = open_read_only(directory)
    labels = {s["l"].value for s in store.query("SELECT ?l WHERE { ?c <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }")}
    assert labels == {"التسويق الفيروسي", "Social Media"}
    marker = directory / "kept"
    marker.write_text("x")
    assert ensure_store(graph, directory) == directory and marker.exists()  # not rebuilt


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
        assert _store_of(graph) == directory
    finally:
        del writer
    assert not (directory / "mkg-compacted").exists() and "cannot compact" in caplog.text
    assert len(open_read_only(directory)) == 3


def test_embedded_store_reads_the_disk_store_and_its_query_process_too(tmp_path):
    graph = _fake_build(tmp_path / "build")
    store = EmbeddedStore(_store_of(graph), version="v1", query_workers=1, triples=3)
    try:
        assert store.triple_count() == 3
        rows = store.select("SELECT ?t WHERE { ?c <https://marketing-kg.example/ontology#linksTo> ?t }")
        assert [r["t"].value for r in rows] == [EX + "social-media"]
        output = store.protocol_query(COUNT_QUERY, "csv", max_rows=10, timeout=30)
        assert output.body.decode().split() == ["n", "3"]
    finally:
        store.close()


def test_a_store_answers_in_a_forked_child_and_in_its_parent(tmp_path):
    graph = _fake_build(tmp_path / "build")
    store = EmbeddedStore(_store_of(graph), version="v1", query_workers=0)
    assert store.select(COUNT_QUERY)[0]["n"].value == "3"  # the parent has a handle open before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: RocksDB handles never cross a fork, so it opens its own and answers
        try:
            ok = store.select(COUNT_QUERY)[0]["n"].value == "3" and len(store.triples(None, None, None)) == 3
            os.write(write, b"ok" if ok else b"no")
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 10) == b"ok"
    assert store.select(COUNT_QUERY)[0]["n"].value == "3"
