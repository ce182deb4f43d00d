"""The read model: written by the build beside the store, only read by servers, the same from every route."""

from __future__ import annotations

import difflib
import json
import logging
import shutil
import zlib

import pytest

from graph.readmodel import persist
from graph.readmodel.indexes import ReadModel, read_block
from graph.sources import GraphVersion
from graph.store.disk import store_dir
from graph.store.embedded import EmbeddedStore
from graph.vocab import Vocabulary

VOCAB = Vocabulary()


def _version_dir(build):
    version = json.loads((build / "report.json").read_text())["version"]
    return store_dir(build, version), version


def _saved(directory):
    return {p.name: p.stat().st_mtime_ns for p in directory.glob("mkg-*")}


def test_the_build_leaves_the_store_compacted_and_the_read_model_beside_it(seed_build, make_client, caplog):
    _, out = seed_build
    directory, _ = _version_dir(out)
    saved = _saved(directory)
    assert {name.split("-")[1] for name in saved} >= {"readmodel", "facts", "compacted"}
    with caplog.at_level(logging.INFO, logger="mkg.readmodel"):
        client = make_client(graph_file=out / "graph.nt")
        assert client.get("/api/concepts/viral-marketing").json["slug"] == "viral-marketing"
    assert _saved(directory) == saved  # the server only opened the files
    assert "made the read model" not in caplog.text


def _copied_build(seed_build, tmp_path):
    """A build as an older `mkg build` left it: graph.nt and report.json, no store and no read model."""
    _, out = seed_build
    build = tmp_path / "build"
    shutil.copytree(out, build, ignore=shutil.ignore_patterns("store-*"))
    return build


def test_an_older_build_gets_its_read_model_made_once(seed_build, tmp_path, make_client):
    build = _copied_build(seed_build, tmp_path)
    first = make_client(graph_file=build / "graph.nt").get("/api/concepts/viral-marketing").json
    directory, _ = _version_dir(build)
    saved = _saved(directory)
    assert any(name.startswith("mkg-readmodel-") for name in saved)
    second = make_client(graph_file=build / "graph.nt")
    assert second.get("/api/concepts/viral-marketing").json == first
    assert _saved(directory) == saved  # read back, not made again


def test_a_damaged_read_model_is_made_again_and_older_ones_dropped(seed_build, tmp_path, make_client):
    build = _copied_build(seed_build, tmp_path)
    make_client(graph_file=build / "graph.nt")
    saved = next(build.glob("store-*/mkg-readmodel-*.pickle"))
    saved.write_bytes(b"not a pickle")
    older = saved.with_name("mkg-readmodel-0000000000000000.pickle")  # from an older version of the code
    older.write_bytes(b"old")
    client = make_client(graph_file=build / "graph.nt")
    assert client.get("/api/search?q=smm").json["results"][0]["slug"] == "social-media-marketing-smm"
    assert saved.stat().st_size > 1000 and not older.exists()


def test_the_read_model_from_graph_nt_equals_the_one_from_store_queries(seed_build):
    _, out = seed_build
    directory, version = _version_dir(out)
    store = EmbeddedStore(directory, version=version, query_workers=0)
    try:
        scanned, queried = ReadModel.build(store, VOCAB, out / "graph.nt"), ReadModel.build(store, VOCAB)
    finally:
        store.close()
    assert len(scanned.concepts) > 10
    for kind in ("concepts", "keywords", "organizations"):
        assert {s: c.__dict__ for s, c in getattr(scanned, kind).items()} == {
            s: c.__dict__ for s, c in getattr(queried, kind).items()}
    assert dict(scanned.out) == dict(queried.out) and dict(scanned.inc) == dict(queried.inc)
    assert (scanned.aliases, scanned.link_count, scanned.relation_iris) == (
        queried.aliases, queried.link_count, queried.relation_iris)
    assert any(e.anchors for edges in scanned.out.values() for e in edges)  # linksTo anchors were joined


def test_the_read_model_is_the_same_from_a_shuffled_graph_file_read_in_small_blocks(seed_build, tmp_path,
                                                                                    monkeypatch):
    _, out = seed_build
    _, version = _version_dir(out)
    lines = (out / "graph.nt").read_bytes().splitlines(keepends=True)
    shuffled = tmp_path / "shuffled.nt"  # a graph file from elsewhere: one subject's lines far apart
    shuffled.write_bytes(b"".join(lines[1::2] + lines[::2]))
    sorted_model = ReadModel.build(None, VOCAB, out / "graph.nt", tmp_path / "sorted.facts", version=version)
    monkeypatch.setattr("graph.readmodel.scan.BLOCK_BYTES", 997)  # lines and subjects across blocks
    shuffled_model = ReadModel.build(None, VOCAB, shuffled, tmp_path / "shuffled.facts", version=version)
    assert len(sorted_model.concepts) > 10
    for kind in ("concepts", "keywords", "organizations"):
        assert {s: c.__dict__ for s, c in getattr(sorted_model, kind).items()} == {
            s: c.__dict__ for s, c in getattr(shuffled_model, kind).items()}
    assert dict(sorted_model.out) == dict(shuffled_model.out)
    for iri, where in sorted_model.facts_offsets.items():  # each concept's facts: the same lines, in file order
        facts = [zlib.decompress(read_block(path, offsets)) for path, offsets in
                 ((sorted_model.facts_path, where), (shuffled_model.facts_path, shuffled_model.facts_offsets[iri]))]
        assert sorted(facts[0].split(b"\n")) == sorted(facts[1].split(b"\n")) and facts[0], iri


@pytest.mark.parametrize("accept", ["application/json", "application/n-triples"])
def test_concept_facts_from_the_facts_file_equal_those_read_from_the_store(seed_build, make_app, accept):
    _, out = seed_build
    directory, version = _version_dir(out)
    store = EmbeddedStore(directory, version=version, query_workers=0)
    without_file = GraphVersion(store, ReadModel.build(store, VOCAB), out / "graph.nt", directory)
    assert without_file.model.facts_path is None
    from_file, from_store = make_app(graph_file=out / "graph.nt").test_client(), make_app(
        graph=without_file).test_client()
    for slug in ("viral-marketing", "social-media-marketing-smm", "customer-relation-management"):
        a, b = (c.get(f"/api/concepts/{slug}", headers={"Accept": accept}) for c in (from_file, from_store))
        assert a.status_code == b.status_code == 200
        if accept == "application/json":
            assert a.json == b.json
            assert slug != "viral-marketing" or a.json["facts"]["section"]
        else:
            assert sorted(a.data.splitlines()) == sorted(b.data.splitlines())


def _typos(slug: str) -> list[str]:
    middle = len(slug) // 2
    return [slug[:middle] + slug[middle + 1:], slug + "s", slug.replace("-", "_", 1)[:-2],
            "-".join(reversed(slug.split("-")))]


def test_unknown_slug_suggestions_start_with_difflib_s_closest_slug(corpus_build):
    directory, version = _version_dir(corpus_build)
    store = EmbeddedStore(directory, version=version, query_workers=0)
    try:
        model = persist.ensure(directory, store, VOCAB, corpus_build / "graph.nt")
    finally:
        store.close()
    slugs = model.sorted_slugs
    assert len(slugs) > 1000
    compared = same_first = 0
    for slug in slugs[:: len(slugs) // 40]:
        for typo in _typos(slug):
            if typo in model.concepts:
                continue
            expected = difflib.get_close_matches(typo, slugs, n=5, cutoff=0.6)
            found = model.suggester.closest(typo, 5)
            assert set(found) <= set(slugs) and len(found) <= 5
            compared += 1
            same_first += found[:1] == expected[:1]
    assert compared > 100 and same_first >= 0.95 * compared, (same_first, compared)


def test_few_slugs_get_exactly_difflib_s_suggestions(seed_build):
    _, out = seed_build
    directory, version = _version_dir(out)
    store = EmbeddedStore(directory, version=version, query_workers=0)
    model = persist.ensure(directory, store, VOCAB, out / "graph.nt")
    store.close()
    for typo in ("viral-marketin", "social-media-marketing", "marketin", "x", "customer_relation"):
        assert model.suggester.closest(typo, 5) == difflib.get_close_matches(typo, model.sorted_slugs, 5, 0.6)


def test_a_404_names_the_closest_concepts(rest_corpus_app):
    client = rest_corpus_app.test_client()
    slug = rest_corpus_app.extensions["mkg"].graph.model.sorted_slugs[500]
    typo = slug[:10] + slug[11:]
    answer = client.get(f"/api/concepts/{typo}")
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
    assert slug in [s["slug"] for s in answer.json["suggestions"]]
    page = client.get(f"/concept/{typo}", headers={"Accept": "text/html"})
    assert page.status_code == 404 and f"/concept/{slug}" in page.get_data(as_text=True)


def test_saved_neighbourhoods_are_the_computed_ones_and_sent_with_flask_s_headers(corpus_build, make_app):
    from graph.readmodel.documents import neighbourhood_document
    from graph.readmodel.model import json_bytes

    app = make_app(graph_file=corpus_build / "graph.nt")
    model, client = app.extensions["mkg"].graph.model, app.test_client()
    slugs = model.sorted_slugs[:: len(model.sorted_slugs) // 25]
    fresh = {"Cache-Control": "no-cache"}
    answers = {slug: client.get(f"/api/concepts/{slug}/neighbours?depth=1", headers=fresh) for slug in slugs}
    for slug, answer in answers.items():
        assert answer.status_code == 200
        assert answer.data == model.saved_neighbourhood(slug) == json_bytes(neighbourhood_document(model, slug))
        again = client.get(f"/api/concepts/{slug}/neighbours?depth=1", headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304  # Flask's own ETag for this request
    # the same request through Flask, with its parameters spelled out (never sent from the saved answers)
    for slug, answer in answers.items():
        spelled = client.get(f"/api/concepts/{slug}/neighbours?depth=1&direction=both&relation=linksTo&limit=200",
                             headers=fresh)
        assert spelled.data == answer.data
        assert {k: v for k, v in spelled.headers if k != "ETag"} == {k: v for k, v in answer.headers if k != "ETag"}
    origin = {"Origin": "https://site.example"}  # another request shape: its own headers, as Flask gives them
    for slug in slugs[:3]:
        saved = client.get(f"/api/concepts/{slug}/neighbours", headers=origin)
        spelled = client.get(f"/api/concepts/{slug}/neighbours?limit=200", headers=origin)
        assert saved.headers["Access-Control-Allow-Origin"] and saved.data == spelled.data
        assert {k: v for k, v in saved.headers if k != "ETag"} == {k: v for k, v in spelled.headers if k != "ETag"}
