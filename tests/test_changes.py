"""What changed: each build keeps the changeset from the previous version; mkg diff and the patches tell it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from graph import changes
from graph.cli import main
from graph.pipeline.build import build
from graph.store.disk import GRAPH_NT
from graph.vocab import Vocabulary

SEEDS_DIR = Path(__file__).resolve().parents[1] / "content"


@pytest.fixture
def three_versions(tmp_path: Path) -> tuple[Path, list[str], list[bytes]]:
    """Build the seeds, then retitle one and add a red link, then write the red link's article."""
    content, out = tmp_path / "content", tmp_path / "build"
    shutil.copytree(SEEDS_DIR, content)
    graphs, found = [], []
    for step in range(3):
        if step == 1:
            path = content / "viral-marketing.md"
            text = re.sub(r"(?m)^title: .*$", "title: التسويق الشبكي", path.read_text(encoding="utf-8"), count=1)
            path.write_text(text + "\n\nانظر [التسويق بالعمولة](/affiliate-marketing) أيضًا.\n", encoding="utf-8")
        if step == 2:
            text = (content / "viral-marketing.md").read_text(encoding="utf-8")
            text = re.sub(r"(?m)^title: .*$", "title: التسويق بالعمولة", text, count=1)
            (content / "affiliate-marketing.md").write_text(text, encoding="utf-8")
        report = build(content, out, keep_going=True)
        assert report.written, report.failure
        found.append(report.version)
        graphs.append((out / GRAPH_NT).read_bytes())
    return out, found, graphs


def test_the_patches_turn_one_graph_into_the_next(three_versions):
    out, found, graphs = three_versions
    assert changes.versions(out) == found
    for old, new in ((0, 1), (1, 2), (0, 2), (2, 0)):
        removed, added = changes.between(out, found[old], found[new])
        before = set(graphs[old].splitlines(True))
        assert set(removed) <= before and not set(added) & before
        assert b"".join(sorted((before - set(removed)) | set(added))) == graphs[new]


def test_shacl_results_compose_across_versions(three_versions):
    out, found, _ = three_versions
    step = changes.shacl_between(out, found[0], found[1])  # the red link to affiliate-marketing appears
    assert any(r["message"].startswith("Red link") for r in step["appeared"]) and step["went_away"] == []
    assert changes.shacl_between(out, found[1], found[0]) == {"appeared": step["went_away"], "went_away": step["appeared"]}
    # its article is written in the next version: what appeared and then went away cancels, both ways
    assert changes.shacl_between(out, found[0], found[2]) == {"appeared": [], "went_away": []}
    assert changes.shacl_between(out, found[2], found[0]) == {"appeared": [], "went_away": []}


def test_diff_names_the_concepts_their_labels_links_and_shacl_results(three_versions, capsys):
    out, found, _ = three_versions
    assert main(["diff", found[0], found[1], "--build-dir", str(out), "--format", "json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    concepts = {c["concept"]: c for c in diff["concepts"]}
    viral = concepts["viral-marketing"]
    assert viral["status"] == "changed"
    assert "التسويق الشبكي@ar" in viral["labels"]["added"]
    assert {"target": "affiliate-marketing", "anchors": ["التسويق بالعمولة@ar"]} in viral["links"]["added"]
    assert concepts["affiliate-marketing"]["status"] == "added"  # a red link: a concept without article
    assert any(r["focus"].endswith("/affiliate-marketing") for r in diff["shacl"]["appeared"])
    assert main(["diff", "--build-dir", str(out)]) == 0  # the last build's changes, as text
    text = capsys.readouterr().out
    assert text.startswith(f"{found[1]} -> {found[2]}:") and "affiliate-marketing" in text
    assert main(["diff", found[0], found[2], "--build-dir", str(out), "--format", "added"]) == 0
    assert "<https://marketing-kg.example/concept/affiliate-marketing>" in capsys.readouterr().out


def test_diff_as_turtle_holds_the_same_triples_as_the_patch(three_versions, capsys):
    import pyoxigraph as ox

    out, found, _ = three_versions
    assert main(["diff", found[0], found[2], "--build-dir", str(out), "--format", "turtle"]) == 0
    text = capsys.readouterr().out
    removed_part, added_part = text.split("\n# added: ")
    assert removed_part.startswith("# removed: ") and "@prefix concept: " in added_part
    for part, lines in zip((removed_part, added_part), changes.between(out, found[0], found[2]), strict=True):
        parsed = {str(q.triple) for q in ox.parse(input=part.split("\n", 1)[1].encode(), format=ox.RdfFormat.TURTLE)}
        assert parsed == {str(q.triple) for q in ox.parse(input=b"".join(lines), format=ox.RdfFormat.N_TRIPLES)}
        assert parsed


def test_an_unknown_or_expired_version_is_refused(three_versions, tmp_path, capsys):
    out, found, _ = three_versions
    assert main(["diff", "0123456789abcdef", found[2], "--build-dir", str(out)]) == 1
    assert "not among the kept versions" in capsys.readouterr().err
    with pytest.raises(changes.UnknownVersion):
        changes.report(tmp_path / "nowhere", None, None, Vocabulary())


def test_only_the_last_keep_versions_are_kept(three_versions):
    out, found, _ = three_versions
    content = Path(json.loads((out / "report.json").read_text())["content_dir"])
    path = content / "affiliate-marketing.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n\nجملة أخيرة.\n", encoding="utf-8")
    report = build(content, out, keep_going=True, keep_versions=2)
    assert changes.versions(out) == [found[2], report.version]
    assert sorted(p.name for p in (out / "changes").iterdir()) == [f"{found[2]}--{report.version}", "log.json"]


def test_api_changes_answers_per_concept_with_etags_patches_and_410(three_versions):
    from api.app import create_app
    from graph.config import Settings

    out, found, graphs = three_versions
    content = Path(json.loads((out / "report.json").read_text())["content_dir"])
    client = create_app(Settings(content_dir=content, build_dir=out, query_workers=1)).test_client()
    listing = client.get("/api/changes").get_json()
    assert listing["version"] == found[2] and listing["versions"] == found
    assert [c["from"] for c in listing["changesets"]] == [found[1], found[0]]  # newest first
    response = client.get(f"/api/changes?since={found[0]}")
    body = response.get_json()
    assert (body["from"], body["to"]) == (found[0], found[2])
    assert {c["concept"] for c in body["concepts"]} >= {"viral-marketing", "affiliate-marketing"}
    assert client.get(f"/api/changes?since={found[0]}",
                      headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    one = client.get(f"/api/changes?since={found[0]}&concept=affiliate-marketing&limit=1").get_json()
    assert [c["concept"] for c in one["concepts"]] == ["affiliate-marketing"] and one["total"] == 1
    removed = client.get(body["patch"]["removed"]).data.splitlines(True)
    added = client.get(body["patch"]["added"]).data.splitlines(True)
    assert b"".join(sorted((set(graphs[0].splitlines(True)) - set(removed)) | set(added))) == graphs[2]
    gone = client.get("/api/changes?since=0123456789abcdef")
    assert gone.status_code == 410 and gone.mimetype == "application/problem+json"
    assert gone.get_json()["kept"] == found
    assert client.get("/api/changes?since=not-a-version").status_code == 400
    assert client.get(f"/api/changes/0123456789abcdef/{found[2]}/added.nt").status_code == 410


def test_the_home_page_lists_the_recent_changes_and_the_concepts_they_touched(three_versions, make_app):
    out, found, _ = three_versions
    content = Path(json.loads((out / "report.json").read_text())["content_dir"])
    (content / "affiliate-marketing.md").unlink()
    viral = content / "viral-marketing.md"
    viral.write_text(viral.read_text(encoding="utf-8").replace("(/affiliate-marketing)", ""), encoding="utf-8")
    last = build(content, out, keep_going=True).version
    client = make_app(content_dir=content, build_dir=out).test_client()
    page = client.get("/").get_data(as_text=True)
    section = page[page.index('id="recent-changes"'):page.index('<div class="columns">')]
    steps = re.findall(r'data-from="(\w+)" data-to="(\w+)"', section)
    assert steps == [(found[2], last), (found[1], found[2])]  # newest first, ending at the served version
    newest = section[:section.index(f'data-from="{found[1]}"')]
    assert re.search(r'<li class="removed"><span class="node"[^>]*>affiliate-marketing</span>', newest)
    assert re.search(r'<li class="changed"><a href="/concept/viral-marketing"', newest)
    listing = client.get("/api/changes").get_json()["changesets"][0]
    detail = client.get(f"/api/changes?since={found[2]}").get_json()["concepts"]
    assert listing["concepts"] == {s: sum(c["status"] == s for c in detail) for s in ("added", "changed", "removed")}
    assert listing["touched"] == [{"concept": "viral-marketing", "status": "changed"},  # added, changed, removed
                                  {"concept": "affiliate-marketing", "status": "removed"}]


def test_the_home_page_says_when_no_change_is_recorded(make_app, tmp_path):
    shutil.copytree(SEEDS_DIR, tmp_path / "content")
    build(tmp_path / "content", tmp_path / "build")
    page = make_app(content_dir=tmp_path / "content", build_dir=tmp_path / "build").test_client().get("/")
    assert "No changes recorded yet" in page.get_data(as_text=True)
