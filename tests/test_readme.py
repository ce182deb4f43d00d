"""The README a newcomer reads: two set-up commands first, the ones CI runs, its prerequisites, short, links that work."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, readme_commands

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "results" / "history.md"]


def test_the_readme_opens_with_the_two_set_up_commands():
    assert readme_commands() == ['pip install -c constraints.txt -e . && mkg serve',
                                 'pip install -c constraints.txt -e ".[test]" && pytest']
    quick_start = README.split("## Quick start")[1].split("\n## ")[0]
    assert README.index("## Quick start") < README.index("```sh")  # no command before the quick start
    assert quick_start.index(readme_commands()[0]) < quick_start.index(readme_commands()[1])


def test_ci_runs_the_readme_test_command_in_a_fresh_virtualenv():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    picker = re.search(r"test_command=\"\$\(python -c '(.*?)'\)\"", script)[1]
    picked = subprocess.run([sys.executable, "-c", picker], cwd=ROOT, capture_output=True, text=True, check=True)
    assert picked.stdout.strip() == readme_commands()[1]
    assert re.search(r'venv="\$\(mktemp -d', script) and '-m venv "$venv"' in script and 'source "$venv/bin/activate"' in script


def test_the_readme_lists_the_system_packages_of_the_test_command():
    packages = (ROOT / ".ci" / "apt-packages").read_text(encoding="utf-8").split()
    apt = re.search(r"apt-get install ([^\n`]+)", README)[1].split()
    assert set(packages) <= set(apt), f"the README's apt line misses {set(packages) - set(apt)}"


def test_the_readme_is_short_and_points_to_the_docs():
    assert len(README.splitlines()) < 250
    for target in ("docs/architecture.md", "docs/operations.md", "docs/performance.md", "docs/testing.md",
                   "bench/results/history.md"):
        assert f"]({target}" in README, target


def _anchor(heading: str) -> str:
    """Return GitHub's anchor of a markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("document", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(document):
    text = re.sub(r"```.*?```|`[^`\n]*`", "", document.read_text(encoding="utf-8"), flags=re.DOTALL)  # not code
    for target in re.findall(r"\]\((?!https?://|/)([^)\s]+)\)", text):
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        assert linked.exists(), f"{document.name}: {target}"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), re.MULTILINE)
            assert anchor in {_anchor(h) for h in headings}, f"{document.name}: {target}"
