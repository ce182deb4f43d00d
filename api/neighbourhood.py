"""REST routes over a concept's surroundings: its neighbourhood, its related concepts and link paths.

Registered on ``api.concepts.bp`` when that module is imported.
"""

from __future__ import annotations

import itertools

import orjson
import pyoxigraph as ox
from flask import Response, request

from api.concepts import bp
from api.indexes import Edge, GraphIndexes
from api.related import FORMULA, WEIGHTS
from api.rest_common import (
    bad_parameter,
    choice_param,
    fresh_answer_requested,
    indexes,
    int_param,
    kept,
    lang_param,
    language_preferences,
    resolve_concept,
    service,
    single_param,
    slug_param,
    summary,
)
from api.rest_response import concept_from_path, edge_triples, label_triples, respond
from api.traversal import neighbourhood, shortest_paths

RELATED_MAX_LIMIT = 100
NEIGHBOURS_MAX_LIMIT = 500  # with edges at most 2 x limit: the worst answer costs a few concept details
PATH_MAX_LENGTH = 6
DIRECTIONS = ("out", "in", "both")
_ALWAYS_KNOWN_RELATIONS = {"linksTo", "hasKeyword", "definesTerm", "definedIn", "mentions"}  # the ontology's


def _relations_param(idx: GraphIndexes) -> set[str]:
    """Return the relations named by ``relation`` (repeatable, comma-separated), linksTo by default."""
    values = request.args.getlist("relation")
    if not values:
        return {"linksTo"}
    raw = [part for value in values for part in value.split(",")]
    known = idx.relations | _ALWAYS_KNOWN_RELATIONS
    unknown = [r for r in raw if r not in known]  # an empty part or a space is unknown too, as in the contract
    if unknown:
        raise bad_parameter("relation", f"unknown relation {unknown[0][:50]!r}; known: {', '.join(sorted(known))}",
                            allowed=sorted(known))
    return set(raw)


def _node_id(idx: GraphIndexes, kind: str, slug: str) -> str:
    """Return the id of a node in a neighbourhood answer: its IRI, else kind:slug."""
    node = idx.node(kind, slug)
    return node.iri if node is not None else f"{kind}:{slug}"


def node_json(idx: GraphIndexes, kind: str, slug: str, prefs: tuple[str, ...], distance: int) -> orjson.Fragment:
    """Return a neighbourhood node as JSON: its summary, id and distance (all but the distance kept per node)."""
    head = kept(idx, ("neighbour-node", kind, slug, prefs),
                lambda: orjson.dumps({**summary(idx, kind, slug, prefs), "id": _node_id(idx, kind, slug)})[:-1])
    return orjson.Fragment(b'%s,"distance":%d}' % (head, distance))


def edge_json(idx: GraphIndexes, edge: Edge, way: str) -> dict:
    """Return a neighbourhood edge: its ends' ids, relation, direction and anchor texts."""
    item = {"source": _node_id(idx, edge.source_kind, edge.source),
            "target": _node_id(idx, edge.target_kind, edge.target), "relation": edge.relation, "direction": way}
    if edge.anchors:
        item["anchors"] = [a["text"] for a in edge.anchors if a["text"]]
    return item


@bp.get("/api/concepts/<slug>/neighbours")
def neighbours(slug: str) -> Response:
    """Answer the neighbourhood of a concept as {nodes, edges}, breadth first up to `depth`."""
    idx, canonical, moved = concept_from_path(slug, "/neighbours")
    if moved is not None:
        return moved
    depth = int_param("depth", 1, 1, 3)
    direction = choice_param("direction", "both", DIRECTIONS)
    limit = int_param("limit", 200, 1, NEIGHBOURS_MAX_LIMIT)
    lang = lang_param()
    relations = _relations_param(idx)
    prefs = language_preferences(lang)

    def walk():
        return neighbourhood(idx, ("concept", canonical), depth, direction, relations, limit)

    def build() -> dict:
        distance, order, edges, truncated = walk()
        return {"concept": summary(idx, "concept", canonical, prefs), "depth": depth, "direction": direction,
                "relations": sorted(relations), "truncated": truncated,
                "nodes": [node_json(idx, kind, slug_, prefs, distance[(kind, slug_)]) for kind, slug_ in order],
                "edges": [edge_json(idx, edge, way) for edge, way in edges.values()]}

    def triples() -> list:
        _, order, edges, _ = walk()
        return [*edge_triples(idx, [e for e, _ in edges.values()]), *label_triples(idx, order)]

    return respond(build, triples)


@bp.get("/api/concepts/<slug>/related")
def related(slug: str) -> Response:
    """Answer concepts ranked by the documented related score, each with its reasons."""
    idx, canonical, moved = concept_from_path(slug, "/related")
    if moved is not None:
        return moved
    limit = int_param("limit", 10, 1, RELATED_MAX_LIMIT)
    lang = lang_param()
    prefs = language_preferences(lang)

    def build() -> dict:
        results = []
        for entry in idx.related(canonical, cached=not fresh_answer_requested())[:limit]:
            results.append({**summary(idx, "concept", entry["slug"], prefs), "score": entry["score"],
                            "reasons": entry["reasons"]})
        return {"concept": summary(idx, "concept", canonical, prefs), "results": results,
                "weights": dict(WEIGHTS), "formula": FORMULA}

    def triples() -> list:
        return label_triples(idx, [("concept", e["slug"]) for e in idx.related(canonical, cached=not fresh_answer_requested())[:limit]])

    return respond(build, triples)


@bp.get("/api/path")
def path() -> Response:
    """Answer the shortest linksTo paths between two concepts (breadth-first search over the adjacency)."""
    idx = indexes()
    resolved = {}
    for name in ("from", "to"):
        value = slug_param(name, single_param(name))
        assert value is not None
        resolved[name] = resolve_concept(idx, value, parameter=name)
    max_length = int_param("max", 4, 1, PATH_MAX_LENGTH)
    direction = choice_param("direction", "out", ("out", "both"))
    limit = int_param("limit", 10, 1, 50)
    lang = lang_param()
    prefs = language_preferences(lang)

    def found_paths() -> list[list[str]]:
        return shortest_paths(idx, resolved["from"], resolved["to"], max_length, direction == "both", limit)

    def build() -> dict:
        paths = found_paths()
        return {"from": summary(idx, "concept", resolved["from"], prefs),
                "to": summary(idx, "concept", resolved["to"], prefs),
                "max": max_length, "direction": direction, "found": bool(paths),
                "length": len(paths[0]) - 1 if paths else None,
                "paths": [[summary(idx, "concept", s, prefs) for s in p] for p in paths]}

    def triples() -> list:
        out = []
        predicate = ox.NamedNode(str(service().vocab.MKG.linksTo))
        for p in found_paths():
            for a, b in itertools.pairwise(p):
                forward = b in idx.link_targets(a)
                source, target = (a, b) if forward else (b, a)
                out.append(ox.Triple(ox.NamedNode(idx.concepts[source].iri), predicate,
                                     ox.NamedNode(idx.concepts[target].iri)))
            out += label_triples(idx, [("concept", s) for s in p])
        return out

    return respond(build, triples)
