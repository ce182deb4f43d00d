"""Read a SHACL shapes graph into shape records, rejecting every unsupported construct."""

from __future__ import annotations

import re

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

from graph.shacl.model import (
    KNOWN_TYPES,
    NODE_KINDS,
    NON_VALIDATING,
    OTHER_PREDICATES,
    SHAPE_PREDICATES,
    SPARQL_CONSTRAINT_PREDICATES,
    TARGETS,
    WELL_FORMED,
    _Shape,
)
from graph.shacl.terms import _LANG_TAG, _iri, _term


def _one(graph: Graph, node: Node, predicate: URIRef) -> Node | None:
    values = list(graph.objects(node, predicate))
    if len(values) > 1:
        raise ValueError(f"shape {node}: more than one {graph.qname(predicate)}")
    return values[0] if values else None


def _int(graph: Graph, node: Node, predicate: URIRef) -> int | None:
    value = _one(graph, node, predicate)
    if value is None:
        return None
    if not isinstance(value, Literal) or not isinstance(value.value, int) or value.value < 0:
        raise ValueError(f"shape {node}: {graph.qname(predicate)} must be a non-negative integer")
    return int(value.value)


def _flag(graph: Graph, node: Node, predicate: URIRef) -> bool:
    """Return whether `node` has `predicate` set to boolean true."""
    value = _one(graph, node, predicate)
    return bool(value is not None and getattr(value, "value", False) is True)


def _foreign(graph: Graph, node: Node, allowed: frozenset) -> list[URIRef]:
    """List the SHACL predicates on `node` that are not in `allowed`."""
    return [p for p in set(graph.predicates(node, None)) if str(p).startswith(str(SH)) and p not in allowed]


def _pick_message(graph: Graph, node: Node) -> str | None:
    messages = [m for m in graph.objects(node, SH.message) if isinstance(m, Literal)]
    if not messages:
        return None
    messages.sort(key=lambda m: (m.language not in (None, "en"), m.language or "", str(m)))
    return str(messages[0])


class ShapeReader:
    """Parse each shape of the shapes graph once, on first use."""

    def __init__(self, shapes: Graph) -> None:
        self.g = shapes
        self._shapes: dict[Node, _Shape] = {}
        self._check_vocabulary()

    # -- parsing ----------------------------------------------------------------------------

    def _check_vocabulary(self) -> None:
        known = SHAPE_PREDICATES | SPARQL_CONSTRAINT_PREDICATES | OTHER_PREDICATES
        for s, p, o in self.g:
            if str(p).startswith(str(SH)) and p not in known:
                raise NotImplementedError(f"unsupported SHACL construct {self.g.qname(p)} (on {s})")
            if p == RDF.type and str(o).startswith(str(SH)) and o not in KNOWN_TYPES:
                raise NotImplementedError(f"unsupported SHACL construct a {self.g.qname(o)} ({s})")

    def shape(self, node: Node) -> _Shape:
        if node in self._shapes:
            return self._shapes[node]
        g = self.g
        if foreign := _foreign(g, node, SHAPE_PREDICATES):
            raise NotImplementedError(f"unsupported SHACL construct {g.qname(foreign[0])} on shape {node}")
        path_node = _one(g, node, SH.path)
        severity = _one(g, node, SH.severity) or SH.Violation
        if not isinstance(severity, URIRef):
            raise ValueError(f"shape {node}: sh:severity must be an IRI")
        shape = _Shape(
            node=node,
            is_property=path_node is not None,
            path_node=path_node,
            path=self.path(path_node) if path_node is not None else None,
            severity=severity,
            message=_pick_message(g, node),
            deactivated=_flag(g, node, SH.deactivated),
            targets=[(p, o) for p in TARGETS for o in g.objects(node, p)] + self._implicit_targets(node),
        )
        self._shapes[node] = shape
        for p, o in sorted(g.predicate_objects(node), key=lambda po: (str(po[0]), str(po[1]))):
            self._constraint(shape, p, o)
        return shape

    def _implicit_targets(self, node: Node) -> list[tuple[URIRef, Node]]:
        classes = {RDFS.Class, *self.g.subjects(RDFS.subClassOf, RDFS.Class)}
        if set(self.g.objects(node, RDF.type)) & classes:
            return [(SH.targetClass, node)]
        return []

    def _constraint(self, shape: _Shape, p: URIRef, o: Node) -> None:
        g, node = self.g, shape.node
        if p == SH.property:
            if shape.is_property:
                raise NotImplementedError(f"sh:property on the property shape {node}")
            shape.properties.append(o)
        elif p == SH.sparql:
            if shape.is_property:
                raise NotImplementedError(f"sh:sparql on the property shape {node}")
            self._check_sparql_constraint(o)
            shape.sparql.append(o)
        elif p in (SH.minCount, SH.maxCount, SH.minLength):
            if p != SH.minLength and not shape.is_property:
                raise NotImplementedError(f"{g.qname(p)} on the node shape {node}")
            shape.constraints.append((p, _int(g, node, p)))
        elif p == SH.uniqueLang:
            if not shape.is_property:
                raise NotImplementedError(f"sh:uniqueLang on the node shape {node}")
            if not isinstance(o, Literal) or not isinstance(o.value, bool):
                raise ValueError(f"shape {node}: sh:uniqueLang must be a boolean")
            if o.value:
                shape.constraints.append((p, True))
        elif p in (SH.disjoint, SH.lessThan):
            if not shape.is_property:
                raise NotImplementedError(f"{g.qname(p)} on the node shape {node}")
            shape.constraints.append((p, _iri(o)))
        elif p == SH.qualifiedValueShape:
            if not shape.is_property:
                raise NotImplementedError(f"sh:qualifiedValueShape on the node shape {node}")
            disjoint = _one(g, node, SH.qualifiedValueShapesDisjoint)
            if disjoint is not None and getattr(disjoint, "value", False):
                raise NotImplementedError(f"sh:qualifiedValueShapesDisjoint on {node}")
            low, high = _int(g, node, SH.qualifiedMinCount), _int(g, node, SH.qualifiedMaxCount)
            if low is None and high is None:
                raise ValueError(f"shape {node}: sh:qualifiedValueShape without a qualified count")
            shape.constraints.append((p, (o, low, high)))
        elif p == SH.datatype:
            if o in (RDF.langString, XSD.string):
                pass
            elif o not in WELL_FORMED:
                raise NotImplementedError(f"sh:datatype {o} (only rdf:langString, xsd:string, "
                                          "xsd:integer, xsd:boolean are compiled)")
            shape.constraints.append((p, o))
        elif p == SH.nodeKind:
            if o not in NODE_KINDS:
                raise ValueError(f"shape {node}: unknown sh:nodeKind {o}")
            shape.constraints.append((p, o))
        elif p == SH["class"]:
            shape.constraints.append((p, _iri(o)))
        elif p == SH.minInclusive:
            if not isinstance(o, Literal):
                raise ValueError(f"shape {node}: sh:minInclusive must be a literal")
            shape.constraints.append((p, _term(o)))
        elif p == SH.pattern:
            flags = _one(g, node, SH.flags)
            flags_text = str(flags) if flags is not None else ""
            if set(flags_text) - set("imsx"):
                raise NotImplementedError(f"sh:flags {flags_text!r} on {node} (only i, m, s, x)")
            re.compile(str(o))  # a broken regex is an error in the shapes, not a violation
            shape.constraints.append((p, (str(o), flags_text)))
        elif p == SH.languageIn:
            tags = [str(t).lower() for t in Collection(g, o)]
            if not all(tag == "*" or _LANG_TAG.match(tag) for tag in tags):
                raise ValueError(f"shape {node}: bad language range in sh:languageIn")
            shape.constraints.append((p, tags))
        elif p == SH["in"]:
            shape.constraints.append((p, [_term(t) for t in Collection(g, o)]))
        elif p == SH.hasValue:
            shape.constraints.append((p, _term(o)))
        elif p == SH.node:
            shape.constraints.append((p, o))
        elif p == SH["or"]:
            members = list(Collection(g, o))
            if not members:
                raise ValueError(f"shape {node}: empty sh:or list")
            shape.constraints.append((p, members))
        # targets, path, severity, message, deactivated, flags, qualified counts and the
        # non-validating properties were read above.

    def _check_sparql_constraint(self, node: Node) -> None:
        if foreign := _foreign(self.g, node, SPARQL_CONSTRAINT_PREDICATES):
            p = foreign[0]
            raise NotImplementedError(f"unsupported {self.g.qname(p)} on the SPARQL constraint {node}"
                                      + (" (SHACL takes the severity from the shape)"
                                         if p == SH.severity else ""))
        if _one(self.g, node, SH.select) is None:
            raise NotImplementedError(f"SPARQL constraint {node} without sh:select")

    def path(self, node: Node) -> str:
        g = self.g
        if isinstance(node, URIRef):
            return _iri(node)
        if (inverse := _one(g, node, SH.inversePath)) is not None:
            return f"^({self.path(inverse)})"
        if (repeated := _one(g, node, SH.zeroOrMorePath)) is not None:
            return f"({self.path(repeated)})*"
        if _one(g, node, RDF.first) is not None:
            steps = [self.path(step) for step in Collection(g, node)]
            if len(steps) < 2:
                raise ValueError(f"sequence path {node} has fewer than two steps")
            return "(" + "/".join(steps) + ")"
        kinds = sorted(g.qname(p) for p in g.predicates(node, None))
        raise NotImplementedError(f"unsupported SHACL path {node} ({', '.join(kinds) or 'empty'})")

    # -- expressions ------------------------------------------------------------------------

    def top_shapes(self) -> list[_Shape]:
        nodes = {s for p in TARGETS for s in self.g.subjects(p, None)}
        for kind in (SH.NodeShape, SH.PropertyShape):
            nodes |= {s for s in self.g.subjects(RDF.type, kind) if self._implicit_targets(s)}
        return [self.shape(n) for n in sorted(nodes, key=str)]

    def compile_all(self) -> None:
        """Parse every shape of the graph so that unsupported constructs fail even if untargeted."""
        nodes: set[Node] = set(self.g.subjects(RDF.type, SH.NodeShape)) | set(
            self.g.subjects(RDF.type, SH.PropertyShape))
        for p in SHAPE_PREDICATES - {*NON_VALIDATING, SH.message, SH.deactivated, SH.severity}:
            nodes |= set(self.g.subjects(p, None))
        for p in (SH.node, SH.property, SH.qualifiedValueShape):
            nodes |= set(self.g.objects(None, p))
        for lst in self.g.objects(None, SH["or"]):
            nodes |= set(Collection(self.g, lst))
        for n in nodes - set(self.g.subjects(SH.select, None)):
            self.shape(n)
