"""Tests for bench.corpus, the synthetic article generator used by the benchmarks."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is not an installed package
    sys.path.insert(0, str(ROOT))

from bench import words  # noqa: E402
from bench.__main__ import main  # noqa: E402
from bench.corpus import generate  # noqa: E402

LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
SITE_FIELDS = {"date", "lastmod", "author", "tags", "categories", "aliases", "layout", "weight", "toc", "image"}
FAQ_HEADINGS = ("التعليمات", "الأسئلة الشائعة")


def split(text: str) -> tuple[dict, str]:
    """Return the parsed front matter and the body of an article."""
    assert text.startswith("---\n")
    front, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(front), body


def canonical(href: str) -> str:
    """Return the canonical slug an internal href points at."""
    return re.split(r"[#?]", href, maxsplit=1)[0].strip("/").replace("_", "-")


def faq_questions(body: str) -> list[str]:
    """Return the `###` headings inside the FAQ section of a body."""
    questions, inside = [], False
    for line in body.splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            inside = title in FAQ_HEADINGS or title.startswith("أسئلة شائعة عن")
        elif inside and line.startswith("### "):
            questions.append(line[4:].strip())
    return questions


@pytest.fixture(scope="module")
def corpus200(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Generate a 200-article corpus once for the feature tests."""
    return generate(200, tmp_path_factory.mktemp("corpus200"), seed=0)


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    a = generate(50, tmp_path / "a", seed=7)
    b = generate(50, tmp_path / "b", seed=7)
    assert [p.name for p in a] == [p.name for p in b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True))
    c = generate(50, tmp_path / "c", seed=8)
    assert [p.read_bytes() for p in a] != [p.read_bytes() for p in c]


def test_replaces_existing_markdown_only(tmp_path: Path) -> None:
    (tmp_path / "stale.md").write_text("old")
    (tmp_path / "notes.txt").write_text("keep")
    paths = generate(5, tmp_path)
    assert sorted(tmp_path.glob("*.md")) == sorted(paths)
    assert (tmp_path / "notes.txt").read_text() == "keep"


def test_every_article_has_front_matter_links_and_faq(tmp_path: Path) -> None:
    paths = generate(50, tmp_path)
    assert len(paths) == 50
    for path in paths:
        assert re.fullmatch(r"[a-z0-9]+([-_][a-z0-9]+)*", path.stem), path.name
        meta, body = split(path.read_text(encoding="utf-8"))
        assert {"keywords", "title", "description"} <= set(meta) <= {"keywords", "title", "description", *SITE_FIELDS}
        assert all(isinstance(meta[k], str) and meta[k] for k in ("keywords", "title", "description"))
        keywords = [k.strip() for k in meta["keywords"].split(",")]
        assert 1 <= len(keywords) <= 4 and set(keywords) <= set(words.KEYWORDS)
        assert re.search(r"[\u0600-\u06FF]", meta["title"]) and meta["description"].endswith(".")
        assert body.lstrip("\n").startswith(f"# {meta['title']}\n")
        assert any(href.startswith("/") for _, href in LINK.findall(body)), path.name
        questions = faq_questions(body)
        assert 2 <= len(questions) <= 6 and all(q.endswith("؟") for q in questions), questions
    mean_size = sum(p.stat().st_size for p in paths) / len(paths)
    assert 8_000 <= mean_size <= 20_000, "articles should be about seed-sized"


def test_slugs_are_unique_after_canonicalisation(corpus200: list[Path]) -> None:
    slugs = [p.stem.replace("_", "-") for p in corpus200]
    assert len(set(slugs)) == len(slugs) == 200


def test_corpus_exercises_the_seed_quirks(corpus200: list[Path]) -> None:
    slugs = {p.stem.replace("_", "-") for p in corpus200}
    dashed = {p.stem for p in corpus200 if "_" not in p.stem}
    bodies = [split(p.read_text(encoding="utf-8"))[1] for p in corpus200]
    text = "\n".join(bodies)
    hrefs = [href for _, href in LINK.findall(text)]
    internal = [h for h in hrefs if h.startswith("/")]

    assert any("_" in p.stem for p in corpus200), "no `_`-spelled file name"
    assert re.search(r"^\*\* [^*\n]+: \*\* ", text, re.M), "no broken `** term: **` label"
    assert re.search(r"^\*\*[^ *][^*\n]*:\*\* ", text, re.M), "no `**term:**` label"
    assert re.search(r"^\*\* ?[^*\n]+\([A-Z0-9]+\): ?\*\*", text, re.M), "no term with an acronym"
    red = [h for h in internal if canonical(h) not in slugs]
    assert 0.04 < len(red) / len(internal) < 0.2, "red links should be about 10%"
    assert any("_" in h.strip("/") and h.strip("/").replace("_", "-") in dashed for h in internal)
    assert any("#" in h for h in internal) and any(h.endswith("?q=1") for h in internal)
    assert any(h.startswith("https://example.org/") for h in hrefs)
    assert re.search(r"^> ### .+\n\n> .+\n\n>$", text, re.M), "no key-figure block quote"
    assert "## يسلط الضوء" in text and "\n\n- " in text
    assert 0.5 < sum("## الخط السفلي" in b for b in bodies) / len(bodies) < 0.9
    assert any(re.search(r'^<h5><a href="[A-Za-z0-9]+">TTT</a></h5>$', b, re.M) for b in bodies)
    assert any(brand in text for brand in ("Facebook", "YouTube", "Twitter", "Instagram"))


def test_corpus_exercises_what_real_sites_write(corpus200: list[Path]) -> None:
    directory = corpus200[0].parent
    drafts = sorted(directory.glob("draft-*.md"))
    assert len(drafts) == 2 and all(split(p.read_text(encoding="utf-8"))[0]["draft"] is True for p in drafts)
    texts = [p.read_text(encoding="utf-8") for p in corpus200]
    metas = [split(t)[0] for t in texts]
    text = "\n".join(split(t)[1] for t in texts)
    for name in SITE_FIELDS - {"layout", "weight", "toc", "image"}:
        assert any(name in meta for meta in metas), name
    assert any(isinstance(meta.get("tags"), list) for meta in metas)
    assert any(set(meta) & {"layout", "weight", "toc", "image"} for meta in metas), "no field the build ignores"
    assert re.search(r"^#### ", text, re.M), "no `####` sub-heading"
    assert re.search(r"^### (لماذا يهم|متى تستخدم|كيف تبدأ مع) .+؟$", text, re.M), "no question-like sub-heading"
    aliases = {meta["aliases"][0].strip("/") for meta in metas if "aliases" in meta}
    assert any(f"](/{alias})" in text for alias in aliases), "no link written to an alias"
    titles = {meta["title"].split(" (")[0] for meta in metas}
    defined = set(re.findall(r"^\*\*([^*\n]+):\*\*", text, re.M))
    assert defined & titles, "no article concept defined in another article"


def test_links_follow_a_skewed_distribution(corpus200: list[Path]) -> None:
    counts: dict[str, int] = {}
    slugs = {p.stem.replace("_", "-") for p in corpus200}
    for path in corpus200:
        for _, href in LINK.findall(path.read_text(encoding="utf-8")):
            if href.startswith("/") and canonical(href) in slugs:
                counts[canonical(href)] = counts.get(canonical(href), 0) + 1
    ranked = sorted(counts.values(), reverse=True)
    assert ranked[0] >= 10 * ranked[len(ranked) // 2], "the most linked concept should dominate the median"


def test_cli_writes_the_same_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["corpus", "5", str(tmp_path / "cli"), "--seed", "3"]) == 0
    assert "wrote 5 articles" in capsys.readouterr().out
    expected = generate(5, tmp_path / "api", seed=3)
    assert [p.read_bytes() for p in sorted((tmp_path / "cli").glob("*.md"))] == [
        p.read_bytes() for p in sorted(expected)
    ]
