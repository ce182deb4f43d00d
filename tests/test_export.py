"""Exports: round trip through rdflib and pyoxigraph, prefixes, UTF-8 Arabic, split and JSON-LD."""

from __future__ import annotations

import json

import pyoxigraph as ox
from rdflib import Graph
from rdflib.compare import isomorphic

from graph.export import convert, ontology_files, split_by_concept
from graph.vocab import Vocabulary


def test_turtle_round_trip_rdflib_and_pyoxigraph_are_isomorphic(seed_build):
    _, out = seed_build
    turtle = (out / "graph.ttl").read_bytes()
    by_rdflib = Graph().parse(data=turtle, format="turtle")
    by_oxigraph = Graph().parse(
        data=ox.serialize(ox.parse(turtle, format=ox.RdfFormat.TURTLE), format=ox.RdfFormat.N_TRIPLES),
        format="nt",
    )
    assert len(by_rdflib) > 200
    assert isomorphic(by_rdflib, by_oxigraph)
    assert isomorphic(by_rdflib, Graph().parse(out / "graph.nt", format="nt"))


def test_turtle_binds_prefixes_and_keeps_arabic(seed_build):
    _, out = seed_build
    text = (out / "graph.ttl").read_text(encoding="utf-8")
    for prefix in ("skos:", "dct:", "schema:", "mkg:", "concept:", "keyword:"):
        assert f"@prefix {prefix}" in text
    assert "ns1:" not in text
    assert '"التسويق الفيروسي"@ar' in text
    assert "\\u" not in text


def test_jsonld_and_ntriples(seed_build, vocab):
    _, out = seed_build
    document = json.loads(convert(out / "graph.nt", "jsonld", vocab))
    assert document
    nt = convert(out / "graph.nt", "ntriples", vocab).decode()
    assert nt.splitlines() == sorted(nt.splitlines())


def test_split_gives_one_file_per_concept(seed_build, vocab):
    _, out = seed_build
    parts = split_by_concept(out / "graph.nt", vocab)
    assert {"viral-marketing", "social-media-marketing-smm", "btoc"} <= set(parts)
    viral = Graph().parse(data=parts["viral-marketing"], format="turtle")
    assert (vocab.concept("viral-marketing"), None, None) in viral


def test_ontology_files_are_rebased():
    files = ontology_files(Vocabulary("http://x.example/"))
    assert b"http://x.example/ontology#" in files["ontology.ttl"]
    assert b"marketing-kg.example" not in files["ontology.ttl"] + files["shapes.ttl"]
