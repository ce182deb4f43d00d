"""Compile the shapes to SPARQL: target patterns, constraint expressions and grouped queries."""

from __future__ import annotations

import re
from dataclasses import replace
from itertools import count

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from graph.shacl.model import MAX_PAIRWISE, NODE_KINDS, WELL_FORMED, _Query, _Shape
from graph.shacl.shapes import ShapeReader
from graph.shacl.terms import _iri, _sparql_string, _term


class _Compiler(ShapeReader):
    """Generate the SPARQL of every constraint of the parsed shapes."""

    def __init__(self, shapes: Graph, *, subclasses: bool) -> None:
        self.type_path = f"{_iri(RDF.type)}/{_iri(RDFS.subClassOf)}*" if subclasses else _iri(RDF.type)
        self._fresh = count()
        super().__init__(shapes)

    def var(self) -> str:
        return f"?_v{next(self._fresh)}"

    # -- expressions ------------------------------------------------------------------------

    def value_violation(self, kind: URIRef, arg, v: str, stack: frozenset) -> str:
        """Return a SPARQL expression true when the value node `v` violates one value constraint."""
        # Every expression is written so that it never raises a SPARQL error (an error inside
        # FILTER would silently drop the violation).
        if kind == SH.datatype:
            if arg == RDF.langString:
                return f'!(isLiteral({v}) && LANG({v}) != "")'
            ok = f"isLiteral({v}) && DATATYPE({v}) = {_iri(arg)}"
            if arg in WELL_FORMED:
                ok += f" && REGEX(STR({v}), {_sparql_string(WELL_FORMED[arg])})"
            return f"!({ok})"
        if kind == SH.nodeKind:
            return "!" + NODE_KINDS[arg].format(v=v)
        if kind == SH["class"]:
            return f"NOT EXISTS {{ {v} {self.type_path} {arg} }}"
        if kind == SH.minInclusive:
            return f"(!isLiteral({v}) || !COALESCE({v} >= {arg}, false))"
        if kind == SH.minLength:
            return "false" if arg == 0 else f"(isBlank({v}) || STRLEN(STR({v})) < {arg})"
        if kind == SH.pattern:
            pattern, flags = arg
            flag_arg = f", {_sparql_string(flags)}" if flags else ""
            return f"(isBlank({v}) || !REGEX(STR({v}), {_sparql_string(pattern)}{flag_arg}))"
        if kind == SH.languageIn:
            if "*" in arg:
                return f'!(isLiteral({v}) && LANG({v}) != "")'
            tags = ", ".join(_sparql_string(t) for t in arg) or '""'
            return (f'!(isLiteral({v}) && LANG({v}) != "" && (LCASE(LANG({v})) IN ({tags}) || '
                    f'LCASE(STRBEFORE(CONCAT(LANG({v}), "-"), "-")) IN ({tags})))')
        if kind == SH["in"]:
            return "!(" + " || ".join(f"sameTerm({v}, {t})" for t in arg) + ")" if arg else "true"
        if kind == SH.hasValue:
            return f"!sameTerm({v}, {arg})"
        if kind == SH.node:
            return self.violates(self.shape(arg), v, stack)
        if kind == SH["or"]:
            return "(" + " && ".join(self.violates(self.shape(m), v, stack) for m in arg) + ")"
        raise NotImplementedError(f"{self.g.qname(kind)} as a value constraint")  # pragma: no cover

    def _value_check(self, shape: _Shape, kind: URIRef, arg, v: str) -> str:
        """Return the expression true when the value `v` of a focus node ?this fails one check."""
        if kind == SH.disjoint:
            return f"EXISTS {{ ?this {arg} {v} }}"
        if kind == SH.lessThan:  # not less than, or not comparable, with some value of `arg`
            other = self.var()
            return f"EXISTS {{ ?this {arg} {other} . FILTER(!COALESCE({v} < {other}, false)) }}"
        return self.value_violation(kind, arg, v, frozenset({shape.node}))

    def _distinct(self, x: str, path: str, n: int, condition=None) -> str:
        """Return a pattern with n pairwise-distinct values of `path` from `x` meeting `condition`."""
        if n > MAX_PAIRWISE:
            raise NotImplementedError(f"a count above {MAX_PAIRWISE} in a shape used through "
                                      "sh:node / sh:or / sh:qualifiedValueShape")
        names = [self.var() for _ in range(n)]
        parts = [f"{x} {path} {y} ." for y in names]
        parts += [f"FILTER({condition(y)})" for y in names] if condition else []
        parts += [f"FILTER(!sameTerm({a}, {b}))" for i, a in enumerate(names) for b in names[i + 1:]]
        return " ".join(parts)

    def violates(self, shape: _Shape, x: str, stack: frozenset = frozenset()) -> str:
        """Return a SPARQL expression true when node `x` does not conform to `shape` (any result)."""
        if shape.deactivated:
            return "false"
        if shape.node in stack:
            raise NotImplementedError(f"recursive shape {shape.node}")
        stack = stack | {shape.node}
        if shape.sparql:
            raise NotImplementedError(f"sh:sparql in {shape.node}, used through sh:node / sh:or / "
                                      "sh:qualifiedValueShape")
        terms: list[str] = []
        if shape.is_property:
            path = shape.path
            for kind, arg in shape.constraints:
                if kind == SH.minCount:
                    if arg:
                        terms.append(f"NOT EXISTS {{ {self._distinct(x, path, arg)} }}")
                elif kind == SH.maxCount:
                    terms.append(f"EXISTS {{ {self._distinct(x, path, arg + 1)} }}")
                elif kind == SH.uniqueLang:
                    a, b = self.var(), self.var()
                    terms.append(
                        f"EXISTS {{ {x} {path} {a} . {x} {path} {b} . FILTER(!sameTerm({a}, {b}) && "
                        f'isLiteral({a}) && isLiteral({b}) && LANG({a}) != "" && '
                        f"LCASE(LANG({a})) = LCASE(LANG({b}))) }}"
                    )
                elif kind == SH.hasValue:
                    terms.append(f"NOT EXISTS {{ {x} {path} {arg} }}")
                elif kind == SH.disjoint:
                    y = self.var()
                    terms.append(f"EXISTS {{ {x} {path} {y} . {x} {arg} {y} }}")
                elif kind == SH.lessThan:
                    y, other = self.var(), self.var()
                    terms.append(f"EXISTS {{ {x} {path} {y} . {x} {arg} {other} . "
                                 f"FILTER(!COALESCE({y} < {other}, false)) }}")
                elif kind == SH.qualifiedValueShape:
                    value_shape, low, high = arg
                    sub = self.shape(value_shape)

                    def conforming(y: str, sub=sub, stack=stack) -> str:
                        return "!" + self.violates(sub, y, stack)

                    if low:
                        terms.append(f"NOT EXISTS {{ {self._distinct(x, path, low, conforming)} }}")
                    if high is not None:
                        terms.append(f"EXISTS {{ {self._distinct(x, path, high + 1, conforming)} }}")
                else:
                    y = self.var()
                    check = self.value_violation(kind, arg, y, stack)
                    terms.append(f"EXISTS {{ {x} {path} {y} . FILTER({check}) }}")
        else:
            for kind, arg in shape.constraints:
                terms.append(self.value_violation(kind, arg, x, stack))
            for prop in shape.properties:
                terms.append(self.violates(self.shape(prop), x, stack))
        return "(" + " || ".join(terms) + ")" if terms else "false"

    # -- top-level queries ------------------------------------------------------------------

    def target_pattern(self, shape: _Shape) -> str:
        """Return a group graph pattern binding ?this to each focus node of `shape`, once."""
        parts = []
        for kind, t in shape.targets:
            if kind == SH.targetNode:
                parts.append(f"VALUES ?this {{ {_term(t)} }}")
            elif kind == SH.targetClass:
                parts.append(f"?this {self.type_path} {_iri(t)} .")
            elif kind == SH.targetSubjectsOf:
                parts.append(f"?this {_iri(t)} [] .")
            else:
                parts.append(f"[] {_iri(t)} ?this .")
        if len(parts) == 1 and shape.targets[0][0] == SH.targetClass and self.type_path == _iri(RDF.type):
            return parts[0]
        union = " UNION ".join("{ " + p + " }" for p in parts)
        return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"

    def checks(self, shape: _Shape, focus: str, out: dict) -> None:
        """Sort the constraints of `shape` (on the focus nodes of `focus`) into query groups."""
        # Constraints that read the same values (same focus pattern, same path) share ONE query,
        # so each join of targets and values is evaluated once: `out` maps
        # ("node", focus) / ("value", focus, path) / ("count", focus, path) / ("lang", ...)
        # to a list of (shape, constraint kind, argument).
        if shape.deactivated:
            return
        if not shape.is_property:
            for kind, arg in shape.constraints:
                out.setdefault(("node", focus), []).append((shape, kind, arg))
            for prop in shape.properties:
                self.checks(self.shape(prop), focus, out)
            return
        for kind, arg in shape.constraints:
            if kind == SH.qualifiedValueShape:
                value_shape, low, high = arg
                if high is not None:
                    out.setdefault(("count", focus, shape.path), []).append(
                        (shape, SH.qualifiedMaxCount, (value_shape, high)))
                if low:
                    out.setdefault(("count", focus, shape.path), []).append(
                        (shape, SH.qualifiedMinCount, (value_shape, low)))
            elif kind == SH.minCount and not arg:
                continue
            elif kind in (SH.minCount, SH.maxCount, SH.hasValue):
                out.setdefault(("count", focus, shape.path), []).append((shape, kind, arg))
            elif kind == SH.uniqueLang:
                out.setdefault(("lang", focus, shape.path, shape.node), []).append((shape, kind, arg))
            else:
                out.setdefault(("value", focus, shape.path), []).append((shape, kind, arg))

    def query(self, key: tuple, checks: list, value_checks: list | None = None) -> _Query:
        """Build the one SPARQL query of the group made by `checks`."""
        # A count group may take the value constraints on the same values (`value_checks`):
        # the GROUP BY query then also counts, per focus node, the values each one flags, so
        # the join is evaluated once; the violating values themselves are fetched afterwards
        # for the flagged focus nodes only (see runner._run).
        mode, focus = key[0], key[1]
        flags = [f"?_f{i}" for i in range(len(checks))]
        if mode == "node":
            binds = " ".join(
                f"BIND(COALESCE({self.value_violation(k, a, '?this', frozenset({s.node}))}, true) AS {f})"
                for (s, k, a), f in zip(checks, flags, strict=True))
            text = (f"SELECT DISTINCT ?this {' '.join(flags)} WHERE {{ {focus} {binds} "
                    f"FILTER({' || '.join(flags)}) }}")
            return _Query(mode, text, checks, flags)
        path = key[2]
        if mode == "value":
            parts = []
            for (s, k, a), f in zip(checks, flags, strict=True):
                check = self._value_check(s, k, a, "?value")
                parts.append(f"BIND(COALESCE({check}, true) AS {f})")
            text = (f"SELECT DISTINCT ?this ?value {' '.join(flags)} WHERE {{ {focus} ?this {path} ?value . "
                    f"{' '.join(parts)} FILTER({' || '.join(flags)}) }}")
            return _Query(mode, text, checks, flags)
        v = self.var()
        if mode == "lang":
            lang = self.var()
            text = (f"SELECT ?this {lang} WHERE {{ {focus} ?this {path} {v} . "
                    f'FILTER(isLiteral({v}) && LANG({v}) != "") BIND(LCASE(LANG({v})) AS {lang}) }} '
                    f"GROUP BY ?this {lang} HAVING (COUNT(DISTINCT {v}) > 1)")
            return _Query(mode, text, checks, [])
        # mode == "count". The values of a predicate (or inverse predicate) path are distinct
        # already, so COUNT needs no DISTINCT there (a set per group costs ~10%).
        count_ = _count(path)
        form = _count_form(checks, value_checks)
        if form == "missing":
            text = f"SELECT DISTINCT ?this ?_n WHERE {{ {focus} OPTIONAL {{ ?this {path} {v} }} FILTER(!BOUND({v})) BIND(0 AS ?_n) }}"
            return _Query(mode, text, checks, flags)
        if form == "over":  # no OPTIONAL: nodes without values pass
            high = min(a for _, _, a in checks)
            text = (f"SELECT ?this ({count_}{v}) AS ?_n) WHERE {{ {focus} ?this {path} {v} }} "
                    f"GROUP BY ?this HAVING ({count_}{v}) > {high})")
            return _Query(mode, text, checks, flags)
        pattern, selects, having, part = self._count_columns(key, checks, value_checks, v, "")
        text = (f"SELECT ?this {' '.join(selects)} WHERE {{ {focus} OPTIONAL {{ {pattern} }} }} "
                f"GROUP BY ?this HAVING ({' || '.join(having)})")
        return replace(part, text=text)

    @staticmethod
    def mergeable(key: tuple, checks: list, value_checks: list | None) -> bool:
        """Tell whether a count group takes the general form, on a focus that is one triple pattern."""
        return key[0] == "count" and not key[1].startswith("{") and _count_form(checks, value_checks) == "general"

    def _count_columns(self, key: tuple, checks: list, value_checks: list | None, v: str, tag: str
                       ) -> tuple[str, list[str], list[str], _Query]:
        """Return the value pattern, SELECT columns, HAVING terms and (textless) query of a count group."""
        path = key[2]
        count_ = _count(path)
        flags = [f"?_f{tag}{i}" for i in range(len(checks))]
        # COUNT of the values for min/maxCount, and one filtered copy of the values per
        # hasValue / qualified constraint (IF(..., ?v, ?unbound) leaves it unbound).
        n = f"?_n{tag}"
        binds, having, selects = [], [], [f"({count_}{v}) AS {n})"]
        for (s, k, a), f in zip(checks, flags, strict=True):
            if k == SH.minCount:
                having.append(f"{count_}{v}) < {a}")
                continue
            if k == SH.maxCount:
                having.append(f"{count_}{v}) > {a}")
                continue
            q = self.var()
            if k == SH.hasValue:
                ok = f"sameTerm({v}, {a})"
            else:
                ok = "!" + self.violates(self.shape(a[0]), v, frozenset({s.node}))
            binds.append(f"BIND(IF(COALESCE({ok}, false), {v}, ?_unbound) AS {q})")
            selects.append(f"({count_}{q}) AS {f})")
            if k == SH.hasValue:
                having.append(f"{count_}{q}) < 1")
            elif k == SH.qualifiedMinCount:
                having.append(f"{count_}{q}) < {a[1]}")
            else:
                having.append(f"{count_}{q}) > {a[1]}")
        marks = []
        for i, (s, k, a) in enumerate(value_checks or []):
            w, mark = self.var(), f"?_g{tag}{i}"
            check = self._value_check(s, k, a, v)
            binds.append(f"BIND(IF(COALESCE({check}, true), {v}, ?_unbound) AS {w})")
            selects.append(f"({count_}{w}) AS {mark})")
            having.append(f"{count_}{w}) > 0")
            marks.append(mark)
        detail = self.query(("value", key[1], path), value_checks) if value_checks else None
        pattern = f"?this {path} {v} . {' '.join(binds)}"
        return pattern, selects, having, _Query("count", "", checks, flags, tuple(marks), detail, n)

    def merged(self, focus: str, groups: list[tuple[tuple, list, list | None]]) -> _Query:
        """Build one query holding the count groups of one focus: a UNION, one branch per path.

        Each branch binds only its own values, so the rows per focus node are the sum, not the
        product, of the value counts, and every COUNT is the one of the group's own query; the
        branch of the focus alone keeps the nodes without any value. One GROUP BY then replaces
        one per path (the 6 of mkg:Link: 3.5 vs 4.3 CPU s at 10,000 articles).
        """
        branches, selects, having, parts = [f"{{ {focus} }}"], [], [], []
        for n, (key, checks, value_checks) in enumerate(groups):
            pattern, columns, terms, part = self._count_columns(key, checks, value_checks, self.var(), f"{n}_")
            branches.append(f"{{ {focus} {pattern} }}")
            selects += columns
            having += terms
            parts.append(part)
        text = (f"SELECT ?this {' '.join(selects)} WHERE {{ {' UNION '.join(branches)} }} "
                f"GROUP BY ?this HAVING ({' || '.join(having)})")
        return _Query("counts", text, [], [], parts=tuple(parts))

    def plan(self) -> tuple[list[_Query], list[tuple[_Shape, Node, str]]]:
        """Plan all queries of the targeted shapes and list the SPARQL-based constraints to run."""
        groups: dict[tuple, list] = {}
        sparql = []
        for shape in self.top_shapes():
            if shape.deactivated:
                continue
            focus = self.target_pattern(shape)
            self.checks(shape, focus, groups)
            if not shape.is_property:
                sparql += [(shape, node, focus) for node in shape.sparql]
        queries: list[_Query] = []
        merging: dict[str, list] = {}  # focus -> the general count groups on it
        for key, checks in groups.items():
            value_checks = groups.get(("value", *key[1:])) if key[0] == "count" else None
            if self.mergeable(key, checks, value_checks):
                merging.setdefault(key[1], []).append((key, checks, value_checks))
            elif key[0] == "count":
                queries.append(self.query(key, checks, value_checks))
            elif key[0] != "value" or ("count", *key[1:]) not in groups:
                queries.append(self.query(key, checks))
        # The merged queries are the longest: first, so that the other ones fill the other thread.
        merged = [self.query(*m[0]) if len(m) == 1 else self.merged(focus, m) for focus, m in merging.items()]
        queries = sorted(merged, key=lambda q: -len(q.parts)) + queries
        return queries, sparql


def _count_form(checks: list, value_checks: list | None) -> str:
    """Return the query form of a count group: "missing" (only minCount 1), "over" (only maxCount), or "general"."""
    kinds = {k for _, k, _ in checks}
    if not value_checks and kinds == {SH.minCount} and all(a == 1 for _, _, a in checks):
        return "missing"
    if not value_checks and kinds == {SH.maxCount}:
        return "over"
    return "general"


def _count(path: str) -> str:
    """Return the COUNT opening for the values of `path`: DISTINCT unless it is a (inverse) predicate."""
    return "COUNT(" if re.fullmatch(r"\^?\(?<[^>]*>\)?", path) else "COUNT(DISTINCT "
