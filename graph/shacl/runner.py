"""Run the compiled SHACL queries on a pyoxigraph store and turn their rows into results."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SH
from rdflib.term import Node

from graph.shacl.compiler import _Compiler
from graph.shacl.model import ShaclResult, _Query, _Shape, _shape_result
from graph.shacl.sparql_constraints import _SparqlConstraint
from graph.shacl.terms import _iri, to_rdflib

GENERIC_MESSAGES = {
    SH.minCount: "Less than {arg} values on {path}",
    SH.maxCount: "More than {arg} values on {path}",
    SH.uniqueLang: "More than one value shares a language tag on {path}",
    SH.hasValue: "Missing the expected value {arg}",
    SH.disjoint: "Value is also a value of {arg}",
    SH.lessThan: "Value is not less than the values of {arg}",
    SH.qualifiedMinCount: "Fewer values than required conform to the qualified value shape",
    SH.qualifiedMaxCount: "More values than allowed conform to the qualified value shape",
    SH.datatype: "Value is not a literal with datatype {arg}",
    SH["class"]: "Value is not an instance of {arg}",
    SH.nodeKind: "Value is not of node kind {arg}",
    SH.minInclusive: "Value is not >= {arg}",
    SH.minLength: "Value is shorter than {arg} characters",
    SH.pattern: "Value does not match the pattern {arg}",
    SH.languageIn: "Language tag not in {arg}",
    SH["in"]: "Value not in {arg}",
    SH.node: "Value does not conform to the shape {arg}",
    SH["or"]: "Value does not conform to any shape in {arg}",
}


def _planned(shapes: Graph, subclasses: bool) -> tuple[_Compiler, list[_Query], list[tuple[_Shape, Node, str]]]:
    """Parse every shape of `shapes` and plan the queries of the targeted ones."""
    compiler = _Compiler(shapes, subclasses=subclasses)
    compiler.compile_all()
    queries, sparql = compiler.plan()
    return compiler, queries, sparql


def compile_shapes(shapes: Graph, *, subclasses: bool = False) -> list[str]:
    """Return the text of every query `validate_with_sparql` runs (for inspection and tests)."""
    _, queries, _ = _planned(shapes, subclasses)
    return [q.text for q in queries]


def validate_with_sparql(store: ox.Store, shapes: Graph, *, workers: int = 2) -> list[ShaclResult]:
    """Validate the default graph of `store` against `shapes`, one ShaclResult per result."""
    # The queries are independent and pyoxigraph releases the GIL while evaluating, so they
    # run on `workers` threads.
    subclasses = bool(store.query(f"ASK {{ ?a {_iri(RDFS.subClassOf)} ?b }}"))
    compiler, queries, sparql = _planned(shapes, subclasses)
    constraints = [_SparqlConstraint(compiler, shape, node) for shape, node, _ in sparql]
    tasks = [partial(_run, store, q) for q in queries]
    tasks += [partial(lambda c, f: list(c.run(store, f)), c, f)
              for c, (_, _, f) in zip(constraints, sparql, strict=True)]
    if workers > 1 and len(tasks) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            batches = list(pool.map(lambda task: task(), tasks))
    else:
        batches = [task() for task in tasks]
    return [result for batch in batches for result in batch]


def _message(shape: _Shape, kind: URIRef, arg: object) -> str:
    if shape.message is not None:
        return shape.message
    if isinstance(arg, tuple) and kind in (SH.qualifiedMinCount, SH.qualifiedMaxCount):
        arg = arg[1]
    return GENERIC_MESSAGES.get(kind, "constraint not met").format(arg=arg, path=shape.path)


def _result(shape: _Shape, kind: URIRef, arg: object, focus: Node, value: Node | None) -> ShaclResult:
    return _shape_result(shape, focus, value, _message(shape, kind, arg), shape.path_node)


def _true(term) -> bool:
    return isinstance(term, ox.Literal) and term.value in ("true", "1")


DETAIL_LIMIT = 64  # above this many flagged focus nodes, one full value query is cheaper


def _run(store: ox.Store, query: _Query, substitutions: dict | None = None) -> list[ShaclResult]:
    parts = query.parts or (query,)
    out: list[ShaclResult] = []
    flagged: list[list] = [[] for _ in parts]
    for solution in store.query(query.text, substitutions=substitutions):
        focus = to_rdflib(solution["this"])
        for part, marked in zip(parts, flagged, strict=True):
            if any(int(solution[mark[1:]].value) for mark in part.marks):
                marked.append(solution["this"])
            _solution_results(part, solution, focus, out)
    for part, marked in zip(parts, flagged, strict=True):
        if part.detail is not None and marked:
            if len(marked) > DETAIL_LIMIT:
                out += _run(store, part.detail)
            else:  # $this pre-bound (a substitution, not query text)
                for node in marked:
                    out += _run(store, part.detail, {ox.Variable("this"): node})
    return out


def _solution_results(query: _Query, solution: ox.QuerySolution, focus: Node, out: list[ShaclResult]) -> None:
    """Add the results one solution of `query` (or of one count query merged into it) stands for."""
    if query.mode == "lang":
        (shape, kind, arg), = query.checks
        out.append(_result(shape, kind, arg, focus, None))
    elif query.mode in ("node", "value"):
        value = to_rdflib(solution["value"]) if query.mode == "value" else focus
        for (shape, kind, arg), flag in zip(query.checks, query.flags, strict=True):
            if _true(solution[flag[1:]]):
                out.append(_result(shape, kind, arg, focus, None if kind == SH.hasValue else value))
    else:  # count
        n = int(solution[query.count[1:]].value)
        for (shape, kind, arg), flag in zip(query.checks, query.flags, strict=True):
            if kind == SH.minCount:
                failed = n < arg
            elif kind == SH.maxCount:
                failed = n > arg
            else:
                c = int(solution[flag[1:]].value)
                failed = (c < 1 if kind == SH.hasValue
                          else c < arg[1] if kind == SH.qualifiedMinCount else c > arg[1])
            if failed:
                out.append(_result(shape, kind, arg, focus, None))
