"""Inspect SPARQL text before evaluation: its form, what a read-only public endpoint refuses, and its size.

The lexer reads the SPARQL 1.1 terminals as pyoxigraph's parser (spargebra, a PEG grammar) reads them:
whitespace and comments (a comment ends at CR or LF), the four string forms with their escapes, IRIs,
variables, blank node labels, language tags, numbers (integers, decimals, doubles with exponents), prefixed
names, and words. Its character classes are the grammar's, so a token it skips is never longer than the
parser's. That parser has no separate lexer and needs no space between tokens: `trueSERVICE`, `1e0SERVICE`,
`"x"SERVICE`, `<iri>SERVICE` and even `SERVICE:name` (the keyword, then the prefixed name `:name`) are read
as SERVICE. So a refused keyword is searched for inside every word and every prefix of a prefixed name,
and inside a local name unless that name cannot fall apart (its prefix is declared with an IRI ending in
`/` or `#`, and it is plain letters, digits, `_` and `-`: `schema:Service` is fine).

`<` is both an IRI opener and less-than: `<…>` is an IRI only when it looks like an absolute IRI (the
endpoint sets no base IRI, so the parser reads a relative one as less-than); otherwise its inside is read
as code. An IRI holding an apostrophe is refused, since the parser may read a string there.

Refused before any evaluation: SERVICE, Virtuoso's DEFINE pragmas, every SPARQL Update operation (LOAD,
INSERT, DELETE, CLEAR, DROP, CREATE, ADD, MOVE, COPY, WITH), FROM / FROM NAMED, brackets nested more than
MAX_NESTING deep, and more than MAX_OPERATORS operators and graph pattern keywords (each can add a level
to the trees the parser and the evaluator recurse on; a few thousand overflow a query process's stack).
This check gives clear, early answers; what stops a query from reaching the network is the query processes'
sandbox (graph.store.sandbox).

Usage::

    info = inspect_query("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }")
    info.refusal   # 'SERVICE is not allowed: this endpoint never fetches remote data'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# character classes of the grammar, as pyoxigraph 0.5 writes them (no characters beyond U+FFFF)
_BASE = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f" \
        "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
_CHARS_U = _BASE + "_"
_CHARS = _CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_LOCAL_CHAR = rf"[{_CHARS}:]|{_PLX}"
_PN_PREFIX = rf"[{_BASE}][{_CHARS}]*(?:\.+[{_CHARS}]+)*"
_PN_LOCAL = rf"(?:[{_CHARS_U}:0-9]|{_PLX})(?:{_LOCAL_CHAR})*(?:\.+(?:{_LOCAL_CHAR})+)?"
_ECHAR = r"\\[tbnrf\"'\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"

TOKEN = re.compile(
    rf"""
      (?P<ws>[ \t\r\n]+)
    | (?P<comment>\#[^\r\n]*)
    | (?P<string>'''(?:(?:''|')?(?:[^'\\]|{_ECHAR}))*'''|\"\"\"(?:(?:\"\"|\")?(?:[^"\\]|{_ECHAR}))*\"\"\"
                 |'(?:[^'\\\n\r]|{_ECHAR})*'|"(?:[^"\\\n\r]|{_ECHAR})*")
    | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{{4}}|\\U[0-9A-Fa-f]{{8}})*>)
    | (?P<var>[?$][{_CHARS_U}0-9][{_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)
    | (?P<bnode>_:[{_CHARS_U}0-9][{_CHARS}]*(?:\.+[{_CHARS}]+)*)
    | (?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?)
    | (?P<number>(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+|[0-9]*\.[0-9]+|[0-9]+)
    | (?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<other>\|\||&&|!=|<=|>=|\^\^|.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ABSOLUTE_IRI = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]*:")
_SAFE_LOCAL = re.compile(r"[A-Za-z0-9_\-]+")
_SAFE_NAMESPACE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S*[/#]")

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("LOAD", "INSERT", "DELETE", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")
REFUSED = {
    "SERVICE": "SERVICE is not allowed: this endpoint never fetches remote data",
    "DEFINE": "DEFINE pragmas are not allowed: this endpoint never fetches remote data",
}
OPERATORS = frozenset({"||", "&&", "=", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "|", "^", "!", "{"})
PATTERN_KEYWORDS = frozenset({"UNION", "MINUS", "OPTIONAL", "BIND", "FILTER", "GRAPH", "SERVICE", "LATERAL",
                              "EXISTS", "IN", "VALUES"})
MAX_NESTING = 64  # brackets, braces and parentheses
MAX_OPERATORS = 1000  # a query process with an 8 MB stack overflows at about 3,000 MINUS blocks
_LIMIT_DIGITS = re.compile(r"[ \t\r\n]*([0-9]{1,9})(?![0-9])")


@dataclass
class QueryInfo:
    """What the lexer learnt about a query: its form, datasets it names, and why it is refused."""

    form: str | None = None
    from_graphs: list[str] = field(default_factory=list)
    from_named: list[str] = field(default_factory=list)
    refusal: str | None = None
    is_update: bool = False
    limit: int | None = None  # the outer query's LIMIT, when written as `LIMIT <digits>`
    normal: str = ""  # the tokens, one space apart: the text without comments or layout (literals as written)


def _refused_in(text: str) -> str | None:
    """Return the refusal for a refused keyword anywhere in `text` (any case), else None."""
    upper = text.upper()
    return next((reason for word, reason in REFUSED.items() if word in upper), None)


class _Reader:
    """The lexer's state while it walks one query."""

    def __init__(self, text: str, prefixes: dict[str, str] | None) -> None:
        self.text = text
        self.info = QueryInfo()
        self.namespaces = dict(prefixes or {})
        self.based = False  # a BASE declaration makes relative IRIs valid
        self.depth = 0
        self.operators = 0
        self.limit_at = -1
        self.end = 0
        self.tokens: list[str] = []
        self.dataset: str | None = None  # "FROM" or "FROM NAMED" while waiting for its graph
        self.declaring: str | None = None  # the prefix of a PREFIX declaration waiting for its IRI

    def refuse(self, reason: str) -> None:
        if self.info.refusal is None:
            self.info.refusal = reason

    def walk(self) -> QueryInfo:
        position, end = 0, len(self.text)
        while position < end and self.info.refusal is None:
            match = TOKEN.match(self.text, position)
            assert match is not None  # `other` matches any character
            kind, value = match.lastgroup, match.group()
            if kind == "iri" and not (self.based or _ABSOLUTE_IRI.match(value)):
                kind, value = "other", "<"  # a relative IRI is less-than to the parser: read on inside
            position = self.end = match.start() + len(value)
            if kind not in ("ws", "comment"):
                self.tokens.append(value)
                self.token(kind or "", value)
        if self.info.refusal is None and (self.info.from_graphs or self.info.from_named):
            graph = (self.info.from_graphs + self.info.from_named)[0]
            self.refuse(f"FROM <{graph}> names a dataset; remote datasets are never fetched: remove FROM / "
                        "FROM NAMED to query the default graph")
        digits = _LIMIT_DIGITS.match(self.text, self.limit_at) if self.limit_at >= 0 else None
        self.info.limit = int(digits.group(1)) if digits else None  # a comment between stays unknown
        self.info.normal = " ".join(self.tokens)
        return self.info

    def token(self, kind: str, value: str) -> None:
        if self.declaring is not None and kind not in ("pname", "iri"):
            self.declaring = None  # PREFIX is followed by its name and IRI, nothing else
        if kind == "other":
            self.punctuation(value)
        elif kind == "word":
            self.word(value.upper())
        elif kind == "pname":
            self.prefixed_name(value)
        elif kind == "iri":
            if "'" in value:
                # `FILTER(?o<'x>') SERVICE ...`: the parser may read `<` as less-than and 'x>' as a string
                self.refuse("an IRI or `<` comparison with an apostrophe in it cannot be checked safely: "
                            "write ' as %27 inside IRIs, or put a space after `<` in comparisons")
            self.named(value[1:-1])
        elif kind == "var" and self.dataset:
            self.dataset = None

    def punctuation(self, value: str) -> None:
        if value in "{([":
            self.depth += 1
            if self.depth > MAX_NESTING:
                self.refuse(f"the query nests braces, brackets or parentheses more than {MAX_NESTING} deep: "
                            "flatten it")
        elif value in "})]":
            self.depth -= 1
        if value in OPERATORS:
            self.count()

    def count(self) -> None:
        self.operators += 1
        if self.operators > MAX_OPERATORS:
            self.refuse(f"the query has more than {MAX_OPERATORS} operators and graph pattern keywords "
                        "(each nests what the query process evaluates): split it, or list values with VALUES "
                        "or IN instead of chains of || and UNION")

    def word(self, word: str) -> None:
        reason = _refused_in(word)
        if reason:
            self.refuse(reason)
            return
        if self.info.form is None and word.startswith(UPDATE_KEYWORDS):
            self.info.is_update = True
            self.refuse(f"SPARQL Update ({word[:10]}) is not allowed: this endpoint is read-only; send queries "
                        "only (SELECT, ASK, CONSTRUCT, DESCRIBE)")
        elif word in QUERY_FORMS and self.info.form is None:
            self.info.form = word
        elif word == "LIMIT" and self.depth == 0:
            self.limit_at = self.end
        if "FROM" in word:
            self.dataset = "FROM NAMED" if word.endswith("NAMED") else "FROM"
        elif word == "NAMED" and self.dataset == "FROM":
            self.dataset = "FROM NAMED"
        elif word == "BASE":
            self.based = True
        elif word == "PREFIX":
            self.declaring = ""
        if word in PATTERN_KEYWORDS:
            self.count()

    def prefixed_name(self, value: str) -> None:
        prefix, _, local = value.partition(":")
        if self.declaring == "" and not local:
            self.declaring = prefix  # PREFIX p: <iri>
            return
        reason = _refused_in(prefix)
        if reason is None and _refused_in(local):
            namespace = self.namespaces.get(prefix)
            # the parser splits `p:xSERVICE` into `p:` and the keyword when p:xSERVICE is not a valid IRI
            if not (namespace and _SAFE_NAMESPACE.fullmatch(namespace) and _SAFE_LOCAL.fullmatch(local)):
                reason = _refused_in(local)
        if reason:
            self.refuse(f"{reason} (the parser reads the keyword inside {value[:60]!r}: rename the prefix, or "
                        "write the IRI in full)")
            return
        self.named(value)

    def named(self, name: str) -> None:
        """An IRI or prefixed name: a declared namespace, or the graph of FROM / FROM NAMED."""
        if self.declaring is not None and self.declaring != "":
            self.namespaces[self.declaring] = name
            self.declaring = None
        elif self.dataset:
            (self.info.from_named if self.dataset == "FROM NAMED" else self.info.from_graphs).append(name)
            self.dataset = None


def inspect_query(text: str, prefixes: dict[str, str] | None = None) -> QueryInfo:
    """Lex `text` and return its form, its outer LIMIT and the first reason to refuse it, if any.

    `prefixes` are the namespaces the endpoint declares for every query (as pyoxigraph's `prefixes=`).
    """
    return _Reader(text, prefixes).walk()
