"""Check that an HTTP answer leaks nothing: no traceback, no server-side path, no environment value.

Usage::

    assert_nothing_leaked(response.status_code, response.headers, response.data)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CANARY_NAME = "MARKETING_KG_LEAK_CANARY"
CANARY_VALUE = "canary-7d1f0c9e-secret"  # put in the served process's environment; must never come back
PROBLEM_MEMBERS = {"type", "title", "status", "detail"}
_TELLTALES = ("Traceback (most recent call last)", 'File "/', "site-packages", "werkzeug.exceptions",
              "pyoxigraph.", "root:x:0:0", CANARY_VALUE)


def server_paths() -> list[str]:
    """Absolute paths of the project and the Python installation: none may appear in an answer."""
    return sorted({str(ROOT), sys.prefix, sys.exec_prefix, str(Path.home())} - {"/"})


def assert_nothing_leaked(status: int, headers, body: bytes) -> None:
    """Fail if the answer shows a stack trace, a server-side path or an environment value."""
    text = body.decode("utf-8", errors="replace")
    head = "\n".join(f"{k}: {v}" for k, v in headers.items())
    for where in (text, head):
        for telltale in _TELLTALES:
            assert telltale not in where, f"{telltale!r} leaked in a {status} answer: {where[:500]}"
        for path in server_paths():
            assert path not in where, f"server path {path!r} leaked in a {status} answer: {where[:500]}"
    secrets = [v for k, v in os.environ.items() if len(v) >= 12 and not k.startswith(("PATH", "PWD", "OLDPWD"))
               and "/" not in v and k != CANARY_NAME]
    for value in secrets:
        assert value not in text, f"an environment value leaked in a {status} answer: {text[:500]}"


def assert_problem(status: int, headers, body: bytes) -> dict:
    """Check an error answer is RFC 9457 problem+json with the standard members; return it."""
    import json

    assert headers.get("Content-Type", "").startswith("application/problem+json"), (status, headers, body[:300])
    problem = json.loads(body)
    assert set(problem) >= PROBLEM_MEMBERS, problem
    assert problem["status"] == status, problem
    return problem
