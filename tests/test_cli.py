"""The `mkg` command line: build, validate, export, query; exit codes and file:line errors."""

from __future__ import annotations

import json
import shutil

import pytest
from rdflib import Graph

from graph.cli import main
from tests.conftest import CONTENT, ROOT, article_text


def test_build_writes_graph_and_report(tmp_path, capsys):
    assert main(["build", "--content", str(CONTENT), "--out", str(tmp_path / "b")]) == 0
    assert "2 articles" in capsys.readouterr().out
    assert (tmp_path / "b" / "graph.ttl").is_file() and (tmp_path / "b" / "report.json").is_file()


def test_build_failure_names_file_and_line(write_article, tmp_path, capsys):
    write_article("ok.md", article_text())
    write_article("bad.md", "---\nkeywords: A\ntitle: [\n---\n")
    assert main(["build", "--content", str(tmp_path / "content"), "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert "bad.md:" in err and "error" in err and "FAILED" in err
    assert not (tmp_path / "b").exists()


def test_validate_content_and_turtle(seed_build, capsys):
    _, out = seed_build
    assert main(["validate", str(CONTENT), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["conforms"] is True
    assert main(["validate", str(out / "graph.ttl")]) == 0
    assert "conforms: True" in capsys.readouterr().out


def test_validate_reports_a_violation(tmp_path, capsys):
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix mkg: <https://marketing-kg.example/ontology#> .\n"
        "<https://marketing-kg.example/concept/x> a mkg:Concept ; mkg:linksTo <https://marketing-kg.example/y> .\n",
        encoding="utf-8",
    )
    assert main(["validate", str(bad), "--format", "turtle"]) == 1
    assert "sh:Violation" in capsys.readouterr().out


def test_export_directory_and_file(seed_build, tmp_path, capsys):
    _, build_dir = seed_build
    args = ["--build-dir", str(build_dir)]
    assert main(["export", "--format", "turtle", "--out", str(tmp_path / "dist"), *args]) == 0
    assert {p.name for p in (tmp_path / "dist").iterdir()} == {"graph.ttl", "ontology.ttl", "shapes.ttl"}
    assert main(["export", "--format", "ntriples", "--out", str(tmp_path / "g.nt"), *args]) == 0
    assert len(Graph().parse(tmp_path / "g.nt", format="nt")) > 200
    assert main(["export", "--split", "--out", str(tmp_path / "split"), *args]) == 0
    assert (tmp_path / "split" / "concepts" / "viral-marketing.ttl").is_file()


def test_query_table_and_json(seed_build, capsys):
    _, build_dir = seed_build
    args = ["--build-dir", str(build_dir)]
    query = "SELECT ?l WHERE { concept:viral-marketing skos:prefLabel ?l FILTER(lang(?l) = 'en') }"
    assert main(["query", query, *args]) == 0
    assert "Viral Marketing" in capsys.readouterr().out
    assert main(["query", query, "--format", "json", *args]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["results"]["bindings"][0]["l"]["value"] == "Viral Marketing"
    assert main(["query", "SELECT WHERE {", *args]) == 2


ARTICLES = "SELECT (COUNT(*) AS ?n) WHERE { ?c mkg:hasArticle true }"


@pytest.fixture
def other_build(tmp_path):
    """A 3-article build in tmp_path/other, made from tmp_path/three (the seeds plus one article)."""
    three = tmp_path / "three"
    shutil.copytree(CONTENT, three)
    (three / "third.md").write_text(article_text(title="مقالة ثالثة", body="[تسويق](/viral-marketing)."),
                                    encoding="utf-8")
    assert main(["build", "--content", str(three), "--out", str(tmp_path / "other"), "--quiet"]) == 0
    return three, tmp_path / "other"


@pytest.mark.parametrize("where", ["repo root, with its own content/", "a folder without content/"])
def test_build_dir_is_used_as_it_is_never_rebuilt(other_build, tmp_path, monkeypatch, capsys, where):
    _, other = other_build
    monkeypatch.chdir(ROOT if where.startswith("repo") else tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in other.iterdir()}
    capsys.readouterr()
    assert main(["query", ARTICLES, "--format", "csv", "--build-dir", str(other)]) == 0
    assert capsys.readouterr().out.split()[-1] == "3"
    assert main(["export", "--format", "ntriples", "--out", str(tmp_path / "g.nt"), "--build-dir", str(other)]) == 0
    assert (tmp_path / "g.nt").read_bytes() == (other / "graph.nt").read_bytes()
    assert {p.name: p.stat().st_mtime_ns for p in other.iterdir()} == before


@pytest.mark.parametrize("command", [["query", ARTICLES], ["export", "--format", "turtle"]])
def test_a_missing_build_is_an_error_naming_the_command_that_makes_it(tmp_path, capsys, command):
    assert main([*command, "--build-dir", str(tmp_path / "nothing")]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'nothing'} does not exist" in err and "mkg build --content" in err
    assert f"--out {tmp_path / 'nothing'}" in err
    assert not (tmp_path / "nothing").exists()


@pytest.mark.parametrize("command", [["query", ARTICLES], ["export", "--format", "turtle"]])
def test_a_stale_build_is_an_error_naming_the_command_that_remakes_it(other_build, capsys, command):
    three, other = other_build
    (three / "fourth.md").write_text(article_text(title="مقالة رابعة"), encoding="utf-8")
    report = (other / "report.json").read_bytes()
    assert main([*command, "--build-dir", str(other)]) == 1
    err = capsys.readouterr().err
    assert "stale" in err and f"mkg build --content {three} --out {other}" in err
    assert (other / "report.json").read_bytes() == report


def test_configuration_flows_file_then_environment_then_flags(tmp_path):
    from graph.config import load_settings

    config = tmp_path / "mkg.toml"
    config.write_text('port = 9000\nbase_iri = "http://a.example/"\nquery_timeout = 3\n', encoding="utf-8")
    settings = load_settings(config, cli={"port": 9100}, environ={"MKG_BASE_IRI": "http://b.example/"})
    assert settings.port == 9100
    assert settings.base_iri == "http://b.example/"
    assert settings.query_timeout == 3.0


def test_a_missing_ontology_file_is_named_not_reported_as_a_write_failure(tmp_path, monkeypatch, capsys):
    from graph.pipeline.build import build

    empty = tmp_path / "no-ontology"
    empty.mkdir()
    report = build(CONTENT, tmp_path / "b", ontology_dir=empty)
    assert not report.written and f"ontology file {empty / 'marketing.ttl'} not found" in report.failure
    assert "cannot write" not in report.failure and not (tmp_path / "b").exists()
    monkeypatch.setenv("MKG_ONTOLOGY_DIR", str(empty))
    assert main(["build", "--content", str(CONTENT), "--out", str(tmp_path / "b")]) == 2
    assert "ontology file" in capsys.readouterr().err
