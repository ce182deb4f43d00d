"""Define the supported SHACL vocabulary, the parsed shape and query records, and results."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import URIRef
from rdflib.namespace import SH, XSD
from rdflib.term import Node

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
VALUE_CONSTRAINTS = (  # one result per violating value node, sh:value = the value node
    SH.datatype, SH["class"], SH.nodeKind, SH.minInclusive, SH.minLength, SH.pattern,
    SH.languageIn, SH["in"], SH.node, SH["or"],
)
FOCUS_CONSTRAINTS = (  # property shapes only: one result per focus node (or per language)
    SH.minCount, SH.maxCount, SH.uniqueLang, SH.disjoint, SH.lessThan, SH.qualifiedValueShape,
)
PARAMETERS = (SH.flags, SH.qualifiedMinCount, SH.qualifiedMaxCount)  # read with their constraint
NON_VALIDATING = (SH.name, SH.description, SH.order, SH.group, SH.defaultValue)
SHAPE_PREDICATES = frozenset(
    (*TARGETS, *VALUE_CONSTRAINTS, *FOCUS_CONSTRAINTS, *PARAMETERS, *NON_VALIDATING,
     SH.hasValue, SH.property, SH.sparql, SH.path, SH.severity, SH.message, SH.deactivated)
)
SPARQL_CONSTRAINT_PREDICATES = frozenset((SH.select, SH.prefixes, SH.message, SH.deactivated))
OTHER_PREDICATES = frozenset((SH.declare, SH.prefix, SH.namespace, SH.inversePath, SH.zeroOrMorePath))
KNOWN_TYPES = frozenset((SH.NodeShape, SH.PropertyShape, SH.SPARQLConstraint, SH.PropertyGroup))
NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isIRI({v}) || isBlank({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}
# Lexical forms rdflib accepts (anything else is ill-typed and fails sh:datatype in pyshacl).
WELL_FORMED = {
    XSD.integer: r"^\s*[+-]?[0-9]+\s*$",
    XSD.boolean: r"^(true|false|1|0)$",
}
MAX_PAIRWISE = 8  # nested min/max counts are expanded into n pairwise-distinct variables
SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


@dataclass(frozen=True, slots=True)
class ShaclResult:
    """Hold one validation result as rdflib terms (shape and path nodes of the shapes graph)."""

    severity: str  # Violation | Warning | Info (local name of the severity IRI)
    focus: Node
    path: URIRef | None  # the result path when it is a predicate path, else None
    value: Node | None
    message: str
    shape: Node  # sh:sourceShape: a URIRef or a BNode of the shapes graph
    path_node: Node | None = None  # the full sh:resultPath (URIRef or BNode of the shapes graph)
    severity_iri: URIRef = SH.Violation

    @property
    def shape_iri(self) -> str | None:
        return str(self.shape) if isinstance(self.shape, URIRef) else None



@dataclass(frozen=True)
class _Query:
    mode: str  # node | value | count | lang | counts (several count queries on one focus, merged)
    text: str
    checks: list  # (shape, constraint kind, argument), one per flag variable
    flags: list[str]
    # count mode: the COUNT columns of value constraints folded into this query, and the
    # value query that lists the violating values of the (few) focus nodes they flag.
    marks: tuple[str, ...] = ()
    detail: _Query | None = None
    count: str = "?_n"  # count mode: the column of the number of values
    parts: tuple[_Query, ...] = ()  # counts mode: the count queries whose columns this one holds


@dataclass(eq=False)
class _Shape:
    node: Node
    is_property: bool
    path_node: Node | None
    path: str | None  # SPARQL property path
    severity: URIRef
    message: str | None
    deactivated: bool
    targets: list[tuple[URIRef, Node]]
    constraints: list[tuple[URIRef, object]] = field(default_factory=list)
    properties: list[Node] = field(default_factory=list)
    sparql: list[Node] = field(default_factory=list)


def _severity_name(iri: URIRef) -> str:
    return SEVERITY_NAMES.get(iri) or str(iri).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _shape_result(shape: _Shape, focus: Node, value: Node | None, message: str,
                  path_node: Node | None) -> ShaclResult:
    """Build the result `shape` reports for `focus`, with its severity and source shape."""
    return ShaclResult(
        severity=_severity_name(shape.severity),
        focus=focus,
        path=path_node if isinstance(path_node, URIRef) else None,
        value=value,
        message=message,
        shape=shape.node,
        path_node=path_node,
        severity_iri=shape.severity,
    )
