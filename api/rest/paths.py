"""REST route over links between two concepts: the shortest linksTo paths (breadth first over the read model)."""

from __future__ import annotations

import itertools

import pyoxigraph as ox
from flask import Blueprint, Response

from api.http import graph, respond, service
from api.rest.params import (
    choice_param,
    int_param,
    lang_param,
    language_preferences,
    resolve_concept,
    single_param,
    slug_param,
    summary,
)
from api.rest.present import label_triples
from graph.readmodel.paths import shortest_paths

bp = Blueprint("paths", __name__)

PATH_MAX_LENGTH = 6


@bp.get("/api/path")
def path() -> Response:
    """Answer the shortest linksTo paths between two concepts (breadth-first search over the adjacency)."""
    idx = graph().model
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
