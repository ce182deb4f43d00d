"""Run SHACL-SPARQL constraints (sh:sparql with sh:select) of node shapes on pyoxigraph."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from graph.shacl.model import ShaclResult, _Shape, _shape_result
from graph.shacl.shapes import ShapeReader, _flag, _one, _pick_message
from graph.shacl.terms import _iri, _to_ox, to_rdflib

_PREBOUND_UNSUPPORTED = re.compile(r"[$?](currentShape|shapesGraph|PATH)\b")
_THIS = re.compile(r"[$?]this\b")
_MESSAGE_VAR = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")
_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_FORBIDDEN_CLAUSES = re.compile(r"\b(MINUS|VALUES|SERVICE)\b", re.IGNORECASE)


def _outer_group(query: str) -> int:
    """Return the index just after the `{` opening the outermost WHERE group of a SELECT query."""
    i, n, depth = 0, len(query), 0
    seen_select = False
    while i < n:
        c = query[i]
        if c == "#":
            i = query.find("\n", i)
            i = n if i < 0 else i
            continue
        if c in "\"'":
            quote = c * 3 if query.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not query.startswith(quote, j):
                j += 2 if query[j] == "\\" else 1
            i = j + len(quote)
            continue
        if c == "<":
            m = _IRIREF.match(query, i)
            if m:
                i = m.end()
                continue
        if query[i:i + 6].upper() == "SELECT":
            seen_select = True
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "{" and depth == 0 and seen_select:
            return i + 1
        i += 1
    raise ValueError("no WHERE group found in the sh:select query")


class _SparqlConstraint:
    """Run one sh:sparql constraint of a node shape and report its rows as results."""

    def __init__(self, reader: ShapeReader, shape: _Shape, node: Node) -> None:
        g = reader.g
        self.shape, self.node = shape, node
        self.deactivated = _flag(g, node, SH.deactivated)
        select = str(_one(g, node, SH.select))
        if m := _PREBOUND_UNSUPPORTED.search(select):
            raise NotImplementedError(f"pre-bound variable {m.group(0)} in the SPARQL constraint {node}")
        if m := _FORBIDDEN_CLAUSES.search(re.sub(r'"[^"]*"|\'[^\']*\'', "", select)):
            raise ValueError(f"a SPARQL constraint must not use {m.group(1).upper()} ({node})")
        prefixes = []
        for holder in g.objects(node, SH.prefixes):
            for declaration in g.objects(holder, SH.declare):
                prefix = str(_one(g, declaration, SH.prefix))
                namespace = URIRef(str(_one(g, declaration, SH.namespace)))
                if not re.fullmatch(r"[A-Za-z][\w.-]*|", prefix):
                    raise ValueError(f"bad sh:prefix {prefix!r}")
                prefixes.append(f"PREFIX {prefix}: {_iri(namespace)}")
        self.prologue = "\n".join(sorted(set(prefixes)))
        self.select = select
        self.uses_this = bool(_THIS.search(select))
        self.message = _pick_message(g, node) or shape.message
        self.only_target_nodes = bool(shape.targets) and all(k == SH.targetNode for k, _ in shape.targets)

    def run(self, store: ox.Store, focus: str) -> Iterator[ShaclResult]:
        if self.deactivated:
            return
        if not self.uses_this:
            raise NotImplementedError(f"SPARQL constraint {self.node} without $this")
        if self.only_target_nodes:  # pre-bind $this, once per target node
            query = f"{self.prologue}\n{self.select}"
            for _, node in self.shape.targets:
                yield from self._rows(store, query, node, {ox.Variable("this"): _to_ox(node)})
            return
        at = _outer_group(self.select)  # join the target pattern in at the start of WHERE
        query = f"{self.prologue}\n{self.select[:at]} {focus} {self.select[at:]}"
        yield from self._rows(store, query, None, None)

    def _rows(self, store, query, focus: Node | None, substitutions) -> Iterator[ShaclResult]:
        solutions = store.query(query, substitutions=substitutions)
        names = [v.value for v in solutions.variables]
        seen = set()
        for solution in solutions:
            row = {name: to_rdflib(solution[name]) for name in names}
            if row.get("failure") is not None:
                raise RuntimeError(f"SPARQL constraint {self.node} reported a failure: {row}")
            this = row.get("this") or focus
            if this is None:
                raise ValueError(f"SPARQL constraint {self.node} returned a row without ?this")
            key = tuple(sorted((k, v) for k, v in row.items() if v is not None))
            if key in seen:
                continue
            seen.add(key)
            value = row.get("value") if row.get("value") is not None else this
            path = row.get("path")
            message = self.message or f"SPARQL constraint {self.node} not met"
            bound = {k: v for k, v in row.items() if v is not None}
            message = _MESSAGE_VAR.sub(lambda m, bound=bound: str(bound.get(m.group(1), m.group(0))), message)
            yield _shape_result(self.shape, this, value, message, path)
