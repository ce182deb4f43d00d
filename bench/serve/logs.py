"""Summarise and keep the server logs of a run: errors, gunicorn worker events."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from bench.build_bench import CACHE_DIR

LOG_DIR = CACHE_DIR / "logs"


def error_lines(log: Path, limit: int = 12) -> list[str]:
    """Return distinct error lines of a server log; a traceback is shown as its final exception line."""
    seen: list[str] = []
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return seen
    in_traceback = False
    for ln in lines:
        if in_traceback:
            if ln.startswith((" ", "\t")) or not ln.strip():
                continue
            in_traceback = False
            entry = "Traceback: " + ln[:300]
        elif ln.startswith("Traceback"):
            in_traceback = True
            continue
        elif re.search(r"\[(ERROR|CRITICAL)\]", ln):
            entry = re.sub(r"^\[[^]]*\] \[\d+\] ", "", ln)[:300]  # drop timestamp and pid
        else:
            continue
        if entry not in seen:
            seen.append(entry)
            if len(seen) >= limit:
                break
    return seen


def worker_restarts(log: Path) -> dict[str, int]:
    """Count gunicorn worker recycling (max_requests), boots and abnormal worker exits in the log."""
    counts = {"autorestarts": 0, "worker_boots": 0, "worker_timeouts": 0, "worker_exits": 0}
    try:
        for ln in log.read_text(errors="replace").splitlines():
            if "Autorestarting worker" in ln:
                counts["autorestarts"] += 1
            elif "Booting worker" in ln:
                counts["worker_boots"] += 1
            elif "WORKER TIMEOUT" in ln:
                counts["worker_timeouts"] += 1
            elif re.search(r"Worker \(pid:\d+\) (exited|was sent)", ln):
                counts["worker_exits"] += 1
    except OSError:
        pass
    return counts


def keep_log(log: Path, name: str) -> str | None:
    """Copy a scratch server log to bench/.cache/logs/ (the scratch directory is removed); return its path."""
    try:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        dest = LOG_DIR / name
        shutil.copyfile(log, dest)
        return str(dest)
    except OSError:
        return None
