"""Fuzz the article parser: random and mutated markdown and front matter never crash it.

Whatever bytes an article holds, graph.parse.content answers with an Article and typed Problems, or with no
Article and exactly one error Problem naming the file; articles it accepts extract to valid N-Triples.
"""

from __future__ import annotations

import string
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.parse.content import Article, Problem, parse_article
from graph.pipeline.build import extract_lines
from graph.pipeline.corpus import read_content
from graph.vocab import Vocabulary

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "content").glob("*.md"))
SEED_TEXTS = [path.read_text(encoding="utf-8") for path in SEEDS]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
SEVERITIES = {"error", "warning", "info"}
# pieces of the seeds' syntax, so mutations hit the parser's branches rather than plain text
MARKUP = ["---\n", "\n", "[", "](", ")", "](/", "**", ": **", "# ", "## ", "### ", "> ", "- ", "1. ", "`", "```\n",
          "<h5><a href='/x'>", "</a>", "|", "\\", "؟", "(CRM)", "يسلط الضوء", "الخط السفلي", "\x00", "\r", "\ufeff",
          "title:", "keywords:", "slug:", "description:", "&a ", "*a", "!!binary ", "{", "}", "%", "#frag", "?q=1"]


def _check(article: Article | None, problems: list[Problem], name: str) -> None:
    """The parser's contract: typed results, and a rejected file has exactly one error naming it."""
    assert isinstance(problems, list)
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.severity in SEVERITIES and problem.code and problem.message
        assert problem.path == name
        assert problem.line is None or (isinstance(problem.line, int) and problem.line >= 1)
    if article is None:
        assert [p.severity for p in problems] == ["error"], problems
    else:
        assert isinstance(article, Article)
        assert article.slug and article.title and article.description and article.keywords
        assert all(isinstance(k, str) and k for k in article.keywords)


def _parse(directory: Path, data: bytes) -> tuple[Article | None, list[Problem]]:
    path = directory / "fuzzed.md"
    path.write_bytes(data)
    article, problems = parse_article(path, directory)
    _check(article, problems, "fuzzed.md")
    return article, problems


def _extracts_to_valid_ntriples(article: Article) -> None:
    """An accepted article goes through every extractor; its triples parse as N-Triples."""
    lines, _ = extract_lines([article], Vocabulary(), jobs=1)
    assert lines
    assert list(ox.parse("".join(lines).encode(), format=ox.RdfFormat.N_TRIPLES))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz-parser")


@FUZZ
@given(data=st.binary(max_size=4000))
def test_random_bytes_never_crash(workdir, data):
    _parse(workdir, data)


@FUZZ
@given(text=st.text(max_size=3000))
def test_random_text_never_crashes(workdir, text):
    _parse(workdir, text.encode("utf-8"))


@st.composite
def mutated_seed(draw) -> bytes:
    """A seed article with a few slices deleted, duplicated or replaced by markup or random text."""
    text = draw(st.sampled_from(SEED_TEXTS))
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 200)))
        action = draw(st.sampled_from(["delete", "duplicate", "markup", "text", "swap-lines"]))
        if action == "delete":
            text = text[:start] + text[end:]
        elif action == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        elif action == "markup":
            text = text[:start] + "".join(draw(st.lists(st.sampled_from(MARKUP), min_size=1, max_size=8))) + text[end:]
        elif action == "text":
            text = text[:start] + draw(st.text(max_size=40)) + text[end:]
        else:
            lines = text.split("\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text.encode("utf-8", errors="surrogatepass")


@FUZZ
@given(data=mutated_seed())
def test_mutated_seed_articles_never_crash_and_extract(workdir, data):
    article, _ = _parse(workdir, data)
    if article is not None:
        _extracts_to_valid_ntriples(article)


YAML_SCALARS = st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(),
                         st.dates())
YAML_VALUES = st.recursive(YAML_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(string.ascii_letters, max_size=8), inner, max_size=4)),
    max_leaves=12)
KEYS = st.sampled_from(["title", "description", "keywords", "slug", "other"])


@FUZZ
@given(meta=st.dictionaries(KEYS, YAML_VALUES, max_size=5), body=st.text(max_size=500))
def test_front_matter_of_any_shape_never_crashes(workdir, meta, body):
    front = yaml.safe_dump(meta, allow_unicode=True, default_flow_style=None)
    article, problems = _parse(workdir, f"---\n{front}---\n\n{body}\n".encode("utf-8", errors="surrogatepass"))
    if isinstance(meta.get("title"), list | dict):  # str() of a list or mapping is no title: say so
        assert article is None and problems[0].code == "front-matter-type", problems
        assert "`title`" in problems[0].message
    if article is not None:
        _extracts_to_valid_ntriples(article)


@FUZZ
@given(lines=st.lists(st.text(alphabet=string.printable + "ءاب:-&*!{}[]|>", max_size=40), max_size=12))
def test_raw_front_matter_lines_never_crash(workdir, lines):
    _parse(workdir, ("---\n" + "\n".join(lines) + "\n---\n\n# t\n").encode())


def test_billion_laughs_in_front_matter_is_a_typed_problem(workdir):
    """Nine levels of nine aliases: 9^9 strings if expanded; rejected at once, naming the field and line."""
    lines = ["---", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    lines += ["title: *i", "description: *i", "keywords: [*i, *h]", "---", "", "body"]
    article, problems = _parse(workdir, "\n".join(lines).encode())
    assert article is None
    assert problems[0].code == "front-matter-type" and problems[0].line == 11
    assert "`title`" in problems[0].message


def test_aliases_in_unused_keys_are_harmless(workdir):
    """An alias bomb under a key the parser never reads costs nothing: the article is accepted."""
    lines = ["---", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    lines += ["title: ضحك", "description: وصف.", "keywords: Business", "---", "", "نص."]
    article, problems = _parse(workdir, "\n".join(lines).encode())
    assert article is not None and article.title == "ضحك", problems


def test_unsafe_yaml_tags_are_rejected_not_run(workdir, tmp_path):
    marker = tmp_path / "ran"
    data = f"---\ntitle: !!python/object/apply:os.system ['touch {marker}']\ndescription: d\nkeywords: k\n---\n"
    article, problems = _parse(workdir, data.encode())
    assert article is None and problems[0].code == "yaml"
    assert not marker.exists()


@pytest.mark.parametrize("value", ["!!binary aGVsbG8=", "!!set {a, b}", "{a: 1}", "[x, y]"])
def test_non_text_titles_are_typed_problems(workdir, value):
    article, problems = _parse(workdir, f"---\ntitle: {value}\ndescription: d\nkeywords: k\n---\n".encode())
    assert article is None and problems[0].code == "front-matter-type" and problems[0].line == 2


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(files=st.lists(mutated_seed(), min_size=1, max_size=4))
def test_read_content_over_a_fuzzed_directory_reports_every_file(tmp_path_factory, files):
    directory = tmp_path_factory.mktemp("fuzz-dir")
    for i, data in enumerate(files):
        (directory / f"a{i}.md").write_bytes(data)
    articles, problems = read_content(directory, jobs=1)
    named = {a.path for a in articles} | {p.path for p in problems if p.severity == "error"}
    assert named == {f"a{i}.md" for i in range(len(files))}
