"""The one answer cache of a worker: a repeated REST look-up gets the same bytes and headers, variants apart."""

from __future__ import annotations

import gzip

import pytest

from api.answer_cache import AnswerCache

PATH = "/api/concepts/viral-marketing/neighbours?direction=both&depth=2"


@pytest.fixture
def app(seed_build, make_app):
    _, out = seed_build
    return make_app(graph_file=out / "graph.nt")


def answer_cache(app) -> AnswerCache:
    """Return the app's answer cache among its WSGI layers."""
    layer = app.wsgi_app
    while not isinstance(layer, AnswerCache):
        layer = layer.wsgi_app
    return layer


def test_a_repeated_look_up_gets_the_same_answer_and_headers(app):
    cache, client = answer_cache(app), app.test_client()
    first = client.get(PATH)
    kept = cache.size
    assert first.status_code == 200 and kept > len(first.data)
    again = client.get(PATH)
    assert (again.status_code, again.data, dict(again.headers)) == (200, first.data, dict(first.headers))
    assert cache.size == kept  # answered from what was kept


@pytest.mark.parametrize("accept", ["application/json", "text/turtle"])
def test_kept_answers_are_the_computed_answers(app, accept):
    client = app.test_client()
    path = "/api/concepts/viral-marketing/related?limit=3"
    fresh = client.get(path, headers={"Accept": accept, "Cache-Control": "no-cache"})
    kept = [client.get(path, headers={"Accept": accept}) for _ in range(2)]
    assert fresh.mimetype == accept
    assert fresh.data == kept[0].data == kept[1].data and fresh.headers["ETag"] == kept[1].headers["ETag"]


def test_every_request_variant_is_kept_apart(app):
    cache, client = answer_cache(app), app.test_client()
    first = client.get(PATH)
    kept = cache.size
    english = client.get(PATH, headers={"Accept-Language": "en"})
    assert english.data != first.data and cache.size > kept
    assert english.json["concept"]["label"]["lang"] == "en" and first.json["concept"]["label"]["lang"] == "ar"
    zipped = client.get(PATH, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == first.data
    assert zipped.headers["ETag"].startswith('W/"')  # the gzip bytes differ: a weak tag
    again = client.get(PATH, headers={"Accept-Encoding": "gzip"})
    assert again.data == zipped.data and again.headers["Content-Encoding"] == "gzip"


def test_only_200_answers_to_get_are_kept_and_conditional_requests_get_304(app):
    cache, client = answer_cache(app), app.test_client()
    first = client.get(PATH)
    size = cache.size
    assert client.get(PATH, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get("/api/concepts/no-such-concept").status_code == 404
    assert client.post(PATH).status_code == 405
    assert cache.size == size


def test_a_no_cache_request_is_computed_and_not_kept(app):
    cache, client = answer_cache(app), app.test_client()
    path = "/api/concepts/viral-marketing/related?limit=4&lang=en"
    fresh = client.get(path, headers={"Cache-Control": "no-cache"})
    assert fresh.status_code == 200 and fresh.json["results"] and cache.size == 0
    assert client.get(path).data == fresh.data and cache.size > 0


def test_a_new_graph_version_is_never_answered_from_the_old_one(app):
    client = app.test_client()
    first = client.get(PATH)
    store = app.extensions["mkg"].graph.store
    version = store.version
    store.version = "another-version"  # as a reload to a new version with the same triples
    try:
        newer = client.get(PATH)
        assert newer.data == first.data and newer.headers["ETag"] != first.headers["ETag"]
    finally:
        store.version = version
