"""Shared fixtures: the real seed articles, a built seed graph, and inline article writers."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from graph.build import build
from graph.content import read_content
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
