"""Child-process probes run by `python -m bench build`, each in a fresh interpreter.

Usage::

    python -m bench.probe floor CONTENT_DIR            # markdown-it-py parse floor
    python -m bench.probe build CONTENT_DIR OUT_DIR    # graph.pipeline.build.build(...)

Each probe prints one line `BENCH-RESULT {json}` on stdout (its own peak RSS included) and exits 0
on success, 2 when the thing to measure is unavailable or fails.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

RESULT_MARKER = "BENCH-RESULT "


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Return the peak resident set size of `who` in MiB (Linux reports ru_maxrss in KiB)."""
    kib = resource.getrusage(who).ru_maxrss
    return round((kib / 1024 if sys.platform != "darwin" else kib / 1024 / 1024), 1)


def split_front_matter(text: str) -> tuple[str, str]:
    """Split `---` YAML front matter off text; return (front matter, body)."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end != -1:
            return text[4 : end + 1], text[end + 5 :]
    return "", text


def cpu_s() -> float:
    """Return the CPU seconds (user + system) of this process and its waited-for children (worker pools)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return round(own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime, 3)


def emit(result: dict[str, Any]) -> None:
    """Print result as the single marked JSON line the parent looks for."""
    result.setdefault("peak_rss_mb", peak_rss_mb())
    result.setdefault("cpu_s", cpu_s())
    result.setdefault("children_peak_rss_mb", peak_rss_mb(resource.RUSAGE_CHILDREN))
    sys.stdout.write("\n" + RESULT_MARKER + json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def floor(content_dir: Path) -> int:
    """Time reading every *.md, splitting front matter and MarkdownIt('commonmark').parse of the body."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    paths = sorted(content_dir.glob("*.md"))
    t0 = time.perf_counter()
    bodies = [split_front_matter(p.read_text(encoding="utf-8"))[1] for p in paths]
    t1 = time.perf_counter()
    tokens = 0
    for body in bodies:
        tokens += len(md.parse(body))
    t2 = time.perf_counter()
    emit(
        {
            "ok": True,
            "files": len(paths),
            "bytes": sum(len(b.encode("utf-8")) for b in bodies),
            "tokens": tokens,
            "read_s": round(t1 - t0, 4),
            "parse_s": round(t2 - t1, 4),
            "floor_s": round(t2 - t0, 4),
        }
    )
    return 0


def build(content_dir: Path, out_dir: Path) -> int:
    """Time graph.pipeline.build.build(content_dir=..., out_dir=...) and report its BuildReport."""
    t0 = time.perf_counter()
    try:
        from graph.pipeline.build import build as build_graph
    except Exception as exc:  # ImportError until the lead lands graph/pipeline/build.py, or a broken module
        emit(
            {
                "ok": False,
                "stage": "import",
                "error": f"cannot import graph.pipeline.build.build: {type(exc).__name__}: {exc}",
            }
        )
        return 2
    t1, cpu1 = time.perf_counter(), cpu_s()
    try:
        report = build_graph(content_dir=content_dir, out_dir=out_dir, full=True)  # what a first build costs
    except Exception as exc:
        emit(
            {
                "ok": False,
                "stage": "build",
                "error": f"build() raised {type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(limit=8),
                "build_s": round(time.perf_counter() - t1, 4),
            }
        )
        return 2
    t2 = time.perf_counter()
    timings = getattr(report, "timings", None) or {}
    emit(
        {
            "ok": True,
            "import_s": round(t1 - t0, 4),
            "build_s": round(t2 - t1, 4),
            "build_cpu_s": round(cpu_s() - cpu1, 3),  # 2 cores: build_s can be no less than half of it
            "articles": getattr(report, "articles", None),
            "triples": getattr(report, "triples", None),
            "conforms": getattr(report, "conforms", None),
            "timings": {str(k): round(float(v), 4) for k, v in dict(timings).items()},
            **_report_details(report),
        }
    )
    return 0


def _report_details(report: Any) -> dict[str, Any]:
    """Summarise the optional parts of a BuildReport: outcome, counts, problems, SHACL results."""
    details: dict[str, Any] = {
        "written": getattr(report, "written", None),
        "failure": getattr(report, "failure", None),
        "counts": dict(getattr(report, "counts", None) or {}),
    }
    problems = getattr(report, "problems", None) or []
    details["problems"] = dict(
        Counter(f"{getattr(p, 'severity', '?')}:{getattr(p, 'code', '?')}" for p in problems)
    )
    validation = getattr(report, "validation", None)
    if validation is not None:
        try:
            details["validation_counts"] = dict(validation.counts())
        except Exception:  # a different ValidationReport shape must not lose the timing
            details["validation_counts"] = None
        results = getattr(validation, "results", None) or []
        worst = [r for r in results if getattr(r, "severity", "") == "Violation"] or list(results)
        details["validation_sample"] = [str(getattr(r, "message", r))[:300] for r in worst[:5]]
    return details


def main(argv: list[str]) -> int:
    """Run the probe named by argv[0]."""
    if len(argv) == 2 and argv[0] == "floor":
        return floor(Path(argv[1]))
    if len(argv) == 3 and argv[0] == "build":
        return build(Path(argv[1]), Path(argv[2]))
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
