"""Dispatch `python -m bench <subcommand>` to the module that implements it.

Each module in SUBCOMMAND_MODULES exposes `register(subparsers)`, which adds its subparser and
sets `func(args) -> int` as the default; add a module here to add a subcommand (e.g. `bench.serve`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

SUBCOMMAND_MODULES: tuple[str, ...] = ("bench.corpus", "bench.build_bench", "bench.serve_bench")


def make_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse argv and run the chosen subcommand; return its exit status."""
    args = make_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
