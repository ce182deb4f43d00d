"""Run `mkg` with the lexical SPARQL guard refusing nothing: only for tests of what stands behind it.

`python -m tests.unguarded_serve serve --graph …` is `mkg serve` with graph.store.guard.inspect_query
still reading a query's form but never refusing it, so SERVICE queries and operator chains reach the
query processes. It is a separate entry point in tests/, not a setting: nothing over HTTP, in a config
file or in the environment turns the guard off.
"""

from __future__ import annotations

import dataclasses
import sys

from graph.store import guard

_inspect = guard.inspect_query


def _refusing_nothing(text: str, prefixes: dict[str, str] | None = None) -> guard.QueryInfo:
    return dataclasses.replace(_inspect(text, prefixes), refusal=None, is_update=False)


guard.inspect_query = _refusing_nothing

if __name__ == "__main__":
    from graph.cli import main

    sys.exit(main())
