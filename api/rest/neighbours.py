"""REST routes over a concept's surroundings: its neighbourhood and its related concepts."""

from __future__ import annotations

from flask import Blueprint, Response, request

from api.http import respond
from api.rest.params import bad_parameter, choice_param, int_param, lang_param, language_preferences, summary
from api.rest.present import concept_from_path, edge_triples, label_triples
from graph.readmodel.documents import DEFAULT_NEIGHBOURHOOD, neighbourhood_document
from graph.readmodel.indexes import ReadModel
from graph.readmodel.paths import neighbourhood
from graph.readmodel.related import FORMULA, WEIGHTS, related_concepts

bp = Blueprint("neighbours", __name__)
DEFAULTS = tuple(DEFAULT_NEIGHBOURHOOD[k] for k in ("depth", "direction", "relations", "limit"))

RELATED_MAX_LIMIT = 100
NEIGHBOURS_MAX_LIMIT = 500  # with edges at most 2 x limit: the worst answer costs a few concept details
DIRECTIONS = ("out", "in", "both")
_ALWAYS_KNOWN_RELATIONS = {"linksTo", "hasKeyword", "definesTerm", "definedIn", "mentions"}  # the ontology's


def _relations_param(idx: ReadModel) -> set[str]:
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

    def build() -> dict | bytes:
        # no lang and no Accept-Language: the default label languages, as the read model saved the answer with
        if (depth, direction, relations, limit) == DEFAULTS and lang is None and not request.headers.get(
                "Accept-Language"):
            saved = idx.saved_neighbourhood(canonical)
            if saved is not None:
                return saved
        return neighbourhood_document(idx, canonical, depth, direction, relations, limit, prefs)

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
        for entry in related_concepts(idx, canonical, limit):
            results.append({**summary(idx, "concept", entry["slug"], prefs), "score": entry["score"],
                            "reasons": entry["reasons"]})
        return {"concept": summary(idx, "concept", canonical, prefs), "results": results,
                "weights": dict(WEIGHTS), "formula": FORMULA}

    def triples() -> list:
        return label_triples(idx, [("concept", e["slug"]) for e in related_concepts(idx, canonical, limit)])

    return respond(build, triples)
