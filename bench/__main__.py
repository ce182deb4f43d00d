"""Dispatch `python -m bench <subcommand>` to the module that implements it; no subcommand runs `all`.

Usage::

    python -m bench              # the whole suite (bench/suite.py); `python -m bench --quick` for CI
    python -m bench serve --quick

Each module in SUBCOMMAND_MODULES exposes `register(subparsers)`, which adds its subparser and
sets `func(args) -> int` as the default; add a module here to add a subcommand (e.g. `bench.serve`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

SUBCOMMAND_MODULES: tuple[str, ...] = (
    "bench.corpus", "bench.build_bench", "bench.serve.run", "bench.suite", "bench.adversarial", "bench.answers",
    "bench.watch",
)
DEFAULT_COMMAND = "all"


def make_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def with_default_command(argv: Sequence[str]) -> list[str]:
    """Return argv with DEFAULT_COMMAND put first when it starts with an option (or is empty)."""
    argv = list(argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        return [DEFAULT_COMMAND, *argv]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    """Parse argv and run the chosen subcommand (`all` when argv names none); return its exit status."""
    args = make_parser().parse_args(with_default_command(sys.argv[1:] if argv is None else argv))
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
