"""Build progress: the stages and the files parsed out of the total, drawn with rich on a terminal only."""

from __future__ import annotations

import io
import subprocess
import sys

from graph.pipeline.build import build
from graph.pipeline.progress import terminal_progress
from tests.conftest import CONTENT


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_build_reports_each_stage_and_every_file(tmp_path):
    seen: list[tuple[str, int, int]] = []
    report = build(CONTENT, tmp_path / "build", progress=lambda *event: seen.append(event))
    assert report.written
    files = len(list(CONTENT.glob("*.md")))
    parsed = [(done, total) for stage, done, total in seen if stage == "parse"]
    assert parsed[-1] == (files, files) and [d for d, _ in parsed] == list(range(1, files + 1))
    assert [stage for stage, _, _ in seen if stage != "parse"] == ["extract", "write"]


def test_a_terminal_gets_a_progress_bar():
    stream = _Terminal()
    with terminal_progress(stream) as progress:
        assert progress is not None
        progress("parse", 1, 2)
        progress("parse", 2, 2)
        progress("extract", 0, 0)
    assert "parsing articles" in stream.getvalue() or "extracting facts" in stream.getvalue()


def test_quiet_off_a_terminal_and_when_asked():
    with terminal_progress(io.StringIO()) as progress:
        assert progress is None
    with terminal_progress(_Terminal(), quiet=True) as progress:
        assert progress is None


def test_mkg_build_prints_no_progress_into_a_pipe(tmp_path):
    result = subprocess.run([sys.executable, "-m", "graph.cli", "build", "--content", str(CONTENT), "--out",
                             str(tmp_path / "build")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "parsing articles" not in result.stderr and "\r" not in result.stderr
