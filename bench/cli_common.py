"""Parse list options and write result files for every bench subcommand."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any


def positive_ints(text: str, option: str) -> tuple[int, ...]:
    """Parse a comma-separated list of positive integers given to `option`."""
    try:
        values = tuple(int(s.replace("_", "")) for s in text.split(",") if s.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad {option} {text!r}: {exc}") from exc
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"bad {option} {text!r}: need positive integers")
    return values


def write_results(payload: dict[str, Any], results_dir: Path) -> Path:
    """Write payload to <kind>-<timestamp>.json and <kind>-latest.json atomically; return the first."""
    kind = payload["kind"]
    results_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    stamped = results_dir / f"{kind}-{payload['timestamp'].replace(':', '').replace('-', '')}.json"
    for path in (stamped, results_dir / f"{kind}-latest.json"):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return stamped
