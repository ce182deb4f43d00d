"""Describe the machine and package versions a benchmark ran on."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES: tuple[str, ...] = (
    "rdflib", "pyshacl", "pyoxigraph", "oxigraph", "markdown-it-py", "PyYAML", "flask", "gunicorn",
)
TOOLS: dict[str, list[str]] = {"wrk": ["wrk", "-v"], "oxigraph": ["oxigraph", "--version"]}
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo, or platform.processor()."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _total_memory_mb() -> float | None:
    """Return total physical memory in MiB from /proc/meminfo, if readable."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def package_versions() -> dict[str, str | None]:
    """Return installed versions of the packages the build depends on (None if missing)."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _first_line(argv: list[str], cwd: Path | None = None) -> str | None:
    """Return the first output line of a short command (stdout, else stderr), or None if it cannot run."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, cwd=cwd, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return lines[0].strip() if lines else None


def tool_versions() -> dict[str, str | None]:
    """Return the version line of each external tool the benchmarks drive (None if not installed)."""
    return {name: _first_line(argv) for name, argv in TOOLS.items()}


def source_revision() -> dict[str, Any]:
    """Return the git commit the benchmarked code is at, and whether the working tree had changes."""
    commit = _first_line(["git", "rev-parse", "HEAD"], PROJECT_ROOT)
    status = _first_line(["git", "status", "--porcelain", "--untracked-files=no"], PROJECT_ROOT)
    return {"commit": commit, "modified": None if commit is None else status is not None}


def load_average() -> list[float] | None:
    """Return the 1/5/15-minute load averages: other work on a shared machine skews timings."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


def describe() -> dict[str, Any]:
    """Return platform, Python, CPU, memory and load facts plus package and tool versions."""
    return {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": _cpu_model(),
        "memory_total_mb": _total_memory_mb(),
        "load_average": load_average(),
        "packages": package_versions(),
        "tools": tool_versions(),
        "source": source_revision(),
    }
