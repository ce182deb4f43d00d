"""Use a finished build as it is: the commands that read one (query, export) never rebuild it.

This module reads builds without importing the pipeline (graph.pipeline.build imports pyshacl, about a second).

Usage::

    graph_nt = built_graph(Path("build"))   # build/graph.nt; BuildUnusable names the command that makes it
"""

from __future__ import annotations

import hashlib
import json
import shlex
from pathlib import Path

from graph.parse.content import discover
from graph.store.disk import GRAPH_NT, REPORT_FILE


def source_fingerprint(content_dir: Path) -> str:
    """Hash the articles a build reads: their paths, sizes and mtimes ("" when the directory is missing)."""
    if not content_dir.is_dir():
        return ""
    digest = hashlib.sha256()
    paths, _ = discover(content_dir)
    for path in paths:
        stat = path.stat()
        digest.update(f"{path.relative_to(content_dir)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def read_report(out_dir: Path) -> dict | None:
    """Return the report.json of a previous build in out_dir, or None."""
    try:
        return json.loads((out_dir / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class BuildUnusable(Exception):
    """The build directory holds no finished build, or one older than the articles it was built from."""


def built_graph(build_dir: Path, content_dir: Path | None = None, default_content: Path = Path("content")) -> Path:
    """Return build_dir/graph.nt; raise BuildUnusable when the build is missing or its articles changed since.

    Staleness is judged against `content_dir` when given, else against the directory the build recorded;
    `default_content` is what the message suggests building when neither is known.
    """
    build_dir = Path(build_dir)
    report = read_report(build_dir) or {}
    recorded = report.get("content_dir") or ""
    source = Path(content_dir) if content_dir is not None else Path(recorded) if recorded else None
    make = f"mkg build --content {shlex.quote(str(source or default_content))} --out {shlex.quote(str(build_dir))}"
    if not report.get("written") or not (build_dir / GRAPH_NT).is_file():
        what = "does not exist" if not build_dir.exists() else "holds no finished build (report.json, graph.nt)"
        raise BuildUnusable(f"{build_dir} {what}: run `{make}` to make it")
    if source is not None and source.is_dir() and "source_fingerprint" in report \
            and source_fingerprint(source) != report["source_fingerprint"]:
        raise BuildUnusable(f"the build in {build_dir} is stale: the articles in {source} changed since it was "
                            f"made; run `{make}` to rebuild it")
    return build_dir / GRAPH_NT
