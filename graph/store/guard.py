"""Inspect SPARQL text before evaluation: its form, and anything a read-only public endpoint refuses.

A small lexer skips comments, strings and IRIs, so `SERVICE` inside a literal is not a keyword and a
keyword hidden in a comment is not missed. Its tokens follow the grammar wherever a `#` can occur
inside one: IRIs with \\u escapes (`<urn:\\u0041#>`) and local names with escaped reserved characters
(`ex:a\\#b`) are single tokens, not the start of a comment hiding the rest of the line from the check,
and a comment ends at a carriage return as it does for the parser. `<` is both an IRI opener and
less-than: an IRI token holding an apostrophe is refused, since the parser may read a string there.
Refused before any evaluation (and so before any outbound connection): SERVICE, every SPARQL Update
operation (LOAD, INSERT, DELETE, CLEAR, DROP, CREATE, ADD, MOVE, COPY, WITH), and FROM / FROM NAMED
datasets other than the graphs the store holds.

Usage::

    info = inspect_query("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }")
    info.refusal   # 'SERVICE is not allowed: this endpoint never fetches remote data'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\r\n]*)  # a comment ends at CR as well as LF, as in the parser
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                 |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
    | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
    | (?P<pname>(?:[^\W\d][\w\-.]*)?:(?:[\w\-.:%]|\\[_~.\-!$&'()*+,;=/?\#@%])*)
    | (?P<word>[A-Za-z_][A-Za-z_0-9\-]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = frozenset({"LOAD", "INSERT", "DELETE", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})
_LIMIT_DIGITS = re.compile(r"[ \t\r\n]*([0-9]{1,9})(?![0-9])")
MAX_NESTING = 64  # pyoxigraph's recursive parser overflows its stack (SIGSEGV) at a few thousand levels


@dataclass
class QueryInfo:
    """What the lexer learnt about a query: its form, datasets it names, and why it is refused."""

    form: str | None = None
    from_graphs: list[str] = field(default_factory=list)
    from_named: list[str] = field(default_factory=list)
    refusal: str | None = None
    is_update: bool = False
    limit: int | None = None  # the outer query's LIMIT, when written as `LIMIT <digits>`


def inspect_query(text: str, local_graphs: frozenset[str] = frozenset()) -> QueryInfo:
    """Lex `text` and return its form and the first reason to refuse it, if any."""
    info = QueryInfo()
    previous: list[str] = []
    depth = 0
    limit_at = -1  # where the digits of the outer query's LIMIT start (a LIMIT outside every brace)
    for match in TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("ws", "comment"):
            continue
        value = match.group()
        if kind == "other" and value in "{([":
            depth += 1
            if depth > MAX_NESTING and info.refusal is None:
                info.refusal = (f"the query nests braces, brackets or parentheses more than {MAX_NESTING} "
                                "deep: flatten it")
        elif kind == "other" and value in "})]":
            depth -= 1
        if kind == "iri" and "'" in value and info.refusal is None:
            # `FILTER(?o<'x>') SERVICE ...`: the parser reads `<` as less-than and 'x>' as a string, so an
            # IRI token holding an apostrophe would put this lexer out of step with it
            info.refusal = ("an IRI or `<` comparison with an apostrophe in it cannot be checked safely: "
                            "write ' as %27 inside IRIs, or put a space after `<` in comparisons")
        if kind == "word":
            word = value.upper()
            if word == "SERVICE" and info.refusal is None:
                info.refusal = "SERVICE is not allowed: this endpoint never fetches remote data"
            elif word in UPDATE_KEYWORDS and info.form is None and info.refusal is None:
                info.is_update = True
                info.refusal = (f"SPARQL Update ({word}) is not allowed: this endpoint is read-only; "
                                "send queries only (SELECT, ASK, CONSTRUCT, DESCRIBE)")
            elif word in QUERY_FORMS and info.form is None:
                info.form = word
            elif word == "LIMIT" and depth == 0:
                limit_at = match.end()
            previous.append(word)
        elif kind in ("iri", "pname") and previous[-1:] == ["FROM"]:
            info.from_graphs.append(value[1:-1] if kind == "iri" else value)
            previous.append("IRI")
        elif kind in ("iri", "pname") and previous[-2:] == ["FROM", "NAMED"]:
            info.from_named.append(value[1:-1] if kind == "iri" else value)
            previous.append("IRI")
        else:
            previous.append(kind or "")
        if len(previous) > 4:
            del previous[:-4]
    digits = _LIMIT_DIGITS.match(text, limit_at) if limit_at >= 0 else None
    info.limit = int(digits.group(1)) if digits else None  # anything else (a comment between) stays unknown
    if info.refusal is None:
        remote = [g for g in info.from_graphs + info.from_named if g not in local_graphs]
        if remote:
            info.refusal = (f"FROM <{remote[0]}> names a graph this endpoint does not hold; remote datasets "
                            "are never fetched: remove FROM / FROM NAMED to query the default graph")
    return info
