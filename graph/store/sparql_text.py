"""Read and write SPARQL text by tokens: where a query's WHERE group opens, its VALUES blocks, bound terms.

The tokens are graph.store.guard's, so strings, IRIs and comments are never mistaken for structure.

Usage::

    bind_values("SELECT ?l WHERE { ?c skos:prefLabel ?l }", {"c": NamedNode(iri)})
    # 'SELECT ?l WHERE { VALUES (?c) { (<…>) }  ?c skos:prefLabel ?l }'
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from graph.store.guard import TOKEN


def pattern_group(query: str) -> int | None:
    """Return the index just after the `{` opening the query's WHERE group, or None (DESCRIBE <x>)."""
    depth, form, where = 0, None, False
    for match in TOKEN.finditer(query):
        kind, text = match.lastgroup, match.group()
        if kind == "word" and depth == 0:
            word = text.upper()
            if word in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") and form is None:
                form = word
            elif word == "WHERE":
                where = True
        elif kind == "other" and text == "{":
            if depth == 0 and form is not None and (where or form != "CONSTRUCT"):
                return match.end()
            depth += 1
        elif kind == "other" and text == "}":
            depth -= 1
    return None


def trailing_values(query: str) -> tuple[int, int] | None:
    """Return the (start, end) of a VALUES block after the query's WHERE group (SPARQL 1.1 §10.2.2), or None."""
    opened = pattern_group(query)
    if opened is None:
        return None
    depth, start = 1, None
    for match in TOKEN.finditer(query, opened):
        kind, text = match.lastgroup, match.group()
        if kind == "word" and depth == 0 and text.upper() == "VALUES":
            start = match.start()
        elif kind == "other" and text == "{":
            depth += 1
        elif kind == "other" and text == "}":
            depth -= 1
            if depth == 0 and start is not None:
                return start, match.end()
    return None


def values_rows(tokens: list[re.Match]) -> int:
    """Return the number of rows of the VALUES data block the tokens start with (after the VALUES keyword)."""
    if not tokens:
        return 0
    columns = tokens[0].group() == "("
    rows, depth, previous, end = 0, 0, "", -1
    for match in tokens[1:]:
        kind, text = match.lastgroup, match.group()
        if text == "{":
            depth += 1
        elif text == "}":
            return rows
        elif depth and columns and text == "(":
            rows += 1
        elif depth and not columns:  # a term starts after a space (1.5e3, "a"@en, "1"^^xsd:int are one each)
            typed = previous in ("^^", "^")
            if (kind in ("iri", "string") and not typed) or (match.start() != end and not typed):
                rows += 1
        previous, end = text, match.end()
    return rows


def term(value: ox.NamedNode | ox.Literal) -> str:
    """Return a bound value as an escaped N-Triples term, refusing anything else."""
    if isinstance(value, ox.NamedNode):
        text = str(ox.NamedNode(value.value))  # re-validated: no <>"{}|^`\ or spaces survive
        if re.search(r'[\x00-\x20<>"{}|^`\\]', text[1:-1]):
            raise ValueError(f"cannot bind IRI {value.value!r}")
        return text
    if isinstance(value, ox.Literal):
        return str(value)  # pyoxigraph escapes quotes, backslashes and line breaks
    raise TypeError(f"only NamedNode and Literal values can be bound, not {type(value).__name__}")


def bind_values(query: str, bindings: dict | None) -> str:
    """Put `bindings` in a VALUES block opening the query's WHERE group (a join, so anywhere in it means
    the same; some stores mishandle a trailing block)."""
    if not bindings:
        return query
    names = list(bindings)
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", name):
            raise ValueError(f"cannot bind variable {name!r}")
    block = (" VALUES (" + " ".join(f"?{n}" for n in names) + ") { ("
             + " ".join(term(bindings[n]) for n in names) + ") } ")
    opened = pattern_group(query)
    return query + "\n" + block if opened is None else query[:opened] + block + query[opened:]
