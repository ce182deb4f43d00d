"""Incremental builds give the bytes of a full build of the same content, after every kind of edit."""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from bench.corpus import generate
from graph.pipeline.build import build
from graph.store.disk import GRAPH_NT, REPORT_FILE, store_dir

STEPS = 60
SEEDS_DIR = Path(__file__).resolve().parents[1] / "content"


def _report(out: Path) -> dict:
    report = json.loads((out / REPORT_FILE).read_text(encoding="utf-8"))
    report.pop("timings")
    if report.get("validation"):
        report["validation"].pop("seconds", None)
    return report


def _same_as_full(content: Path, incremental: Path, full: Path, store: bool = False) -> tuple[int | None, int | None]:
    """Build both ways; assert graph.nt and report.json (timings aside) match, and the store; return what was redone."""
    fast = build(content, incremental, keep_going=True)
    slow = build(content, full, keep_going=True, full=True)
    assert fast.written == slow.written and fast.failure == slow.failure
    assert slow.reparsed is None
    if slow.written:
        assert (incremental / GRAPH_NT).read_bytes() == (full / GRAPH_NT).read_bytes()
        assert _report(incremental) == _report(full)
    if slow.written and store:  # the patched store holds exactly graph.nt
        patched = ox.Store.read_only(str(store_dir(incremental, fast.version)))
        assert {q.triple for q in patched} == {q.triple for q in ox.parse(
            path=str(full / GRAPH_NT), format=ox.RdfFormat.N_TRIPLES)}
        del patched
    return fast.reparsed, fast.reextracted


def _articles(content: Path) -> list[Path]:
    return sorted(p for p in content.glob("*.md") if not p.name.startswith("draft-"))


def _edit_body(path: Path, rng: random.Random, others: list[Path]) -> None:
    text = path.read_text(encoding="utf-8")
    target = rng.choice(others).stem
    extra = rng.choice([
        "\n\nفقرة جديدة عن التسويق الرقمي وأثره على Google و YouTube.\n",
        f"\n\nانظر أيضًا [مفهومًا قريبًا](/{target}) (CRM) في هذا السياق.\n",
        "\n\n**مؤشر الأداء (KPI):** مقياس يحدد مدى تحقيق الهدف.\n",
    ])
    path.write_text(text + extra, encoding="utf-8")


def _edit_title(path: Path, rng: random.Random) -> None:
    text = path.read_text(encoding="utf-8")
    title = rng.choice(["التسويق بالمحتوى (CM)", "إدارة علاقات العملاء", "تحسين محركات البحث (SEO)",
                        f"مفهوم معدل {rng.randrange(1000)}"])
    path.write_text(re.sub(r"(?m)^title: .*$", f"title: {title}", text, count=1), encoding="utf-8")


class Editor:
    """Random edits of a generated corpus, one per step; some take two steps (break then fix, red link then write)."""

    def __init__(self, content: Path, seed: int) -> None:
        self.content, self.rng = content, random.Random(seed)
        self.pending: list[tuple[str, Path, str]] = []  # (kind, path, text) finished at the next step
        self.count = 0

    def step(self) -> str:
        if self.pending:
            kind, path, text = self.pending.pop()
            path.write_text(text, encoding="utf-8")
            return kind
        rng, articles = self.rng, _articles(self.content)
        kind = rng.choice(["add", "body", "body", "title", "rename", "delete", "break", "redlink"])
        path = rng.choice(articles)
        self.count += 1
        if kind == "add":
            source = rng.choice(articles).read_text(encoding="utf-8")
            text = re.sub(r"(?m)^title: .*$", f"title: مفهوم مضاف رقم {self.count}", source, count=1)
            (self.content / f"added-{self.count}.md").write_text(text, encoding="utf-8")
        elif kind == "body":
            _edit_body(path, rng, articles)
        elif kind == "title":
            _edit_title(path, rng)
        elif kind == "rename":
            path.rename(path.with_name(f"renamed-{self.count}-{path.name}"))
        elif kind == "delete" and len(articles) > 5:
            path.unlink()
        elif kind == "break":
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("title:", "title: [unclosed", 1), encoding="utf-8")
            self.pending.append(("fix", path, text))
        elif kind == "redlink":
            slug = f"written-later-{self.count}"
            path.write_text(path.read_text(encoding="utf-8") + f"\n\nراجع [مقالًا لم يكتب بعد](/{slug}).\n",
                            encoding="utf-8")
            source = rng.choice(articles).read_text(encoding="utf-8")
            text = re.sub(r"(?m)^title: .*$", f"title: مقال كتب لاحقا {self.count}", source, count=1)
            self.pending.append(("write red link", self.content / f"{slug}.md", text))
        return kind


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    content = tmp_path_factory.mktemp("corpus")
    generate(30, content, seed=3)
    for seed in SEEDS_DIR.glob("*.md"):
        shutil.copy(seed, content / seed.name)
    return content


@pytest.mark.timeout(1200)  # 120 builds: about a minute on a quiet machine, much more on a busy one
def test_random_edits_build_as_full_builds_do(corpus: Path, tmp_path: Path) -> None:
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    assert _same_as_full(corpus, incremental, full) == (None, None)  # the first build has nothing to reuse
    editor, kinds = Editor(corpus, seed=20), set()
    for step in range(STEPS):
        kind = editor.step()
        kinds.add(kind)
        reparsed, _ = _same_as_full(corpus, incremental, full, store=step % 6 == 5)
        assert reparsed is not None and reparsed <= 2, kind  # one edit: one or two files parsed again
    assert {"add", "body", "title", "rename", "delete", "fix", "write red link"} <= kinds


def test_an_unchanged_corpus_reuses_everything(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(corpus, out, keep_going=True)
    again = build(corpus, out, keep_going=True)
    assert (again.reparsed, again.reextracted) == (0, 0)
    forced = build(corpus, out, keep_going=True, full=True)
    assert forced.reparsed is None and forced.version == again.version


def test_a_body_edit_extracts_that_article_only(corpus: Path, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(corpus, content)
    out = tmp_path / "out"
    build(content, out, keep_going=True)
    path = _articles(content)[3]
    path.write_text(path.read_text(encoding="utf-8") + "\n\nجملة أخرى في نهاية المقال.\n", encoding="utf-8")
    report = build(content, out, keep_going=True)
    assert (report.reparsed, report.reextracted) == (1, 1)


def test_other_settings_mean_a_full_build(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(corpus, out, keep_going=True)
    drafts = build(corpus, out, keep_going=True, include_drafts=True)
    assert drafts.reparsed is None  # the drafts setting changed: nothing reused
    assert build(corpus, out, keep_going=True, include_drafts=True).reparsed == 0


def test_an_index_read_that_is_not_recorded_cannot_happen() -> None:
    from graph.pipeline.incremental.reads import RecordingIndex, still_valid
    from graph.pipeline.resolve import ConceptIndex

    recording = RecordingIndex(ConceptIndex())
    with pytest.raises(AttributeError):
        recording.targets  # noqa: B018 - a read outside READS would escape the record: it must fail
    assert recording.english_label("seo-basics") == "Seo Basics" and "SEO" not in recording.acronym_owner
    reads = recording.take()
    assert still_valid(reads, ConceptIndex())
    changed = ConceptIndex()
    changed.add_abbreviation("seo-basics", "SEO")
    assert not still_valid(reads, changed)  # the acronym changes the label and the owner


def test_a_file_changing_during_an_incremental_build_means_a_full_build(corpus, tmp_path, monkeypatch) -> None:
    from graph.pipeline.incremental import ContentChanged

    out = tmp_path / "out"
    first = build(corpus, out, keep_going=True)

    def changed(*args, **kwargs):
        raise ContentChanged("a.md changed during the build")

    monkeypatch.setattr("graph.pipeline.build.extract_changed", changed)
    again = build(corpus, out, keep_going=True)
    assert again.written and again.reparsed is None and again.version == first.version
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging directory left
