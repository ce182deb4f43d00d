"""The JSON documents the read model answers with: how a node is shown, and a concept's neighbourhood.

Shared by the REST layer and by the build, which saves each concept's neighbourhood with the default
parameters (depth 1, both directions, linksTo, up to 200 nodes, labels in ar > en > any) beside the read
model: the most asked-for answer is then read, not computed (``ReadModel.saved_neighbourhood``).

Usage::

    summary(model, "concept", "viral-marketing", ("ar", "en", ""))   # {'slug': ..., 'label': {...}, 'href': ...}
    json_bytes(neighbourhood_document(model, "viral-marketing"))
"""

from __future__ import annotations

import functools
from urllib.parse import quote

import orjson

from graph.readmodel.indexes import ReadModel
from graph.readmodel.model import Edge
from graph.readmodel.paths import neighbourhood

DEFAULT_PREFERENCES = ("ar", "en", "")
"""Label languages when a request names none: Arabic, then English, then any."""
DEFAULT_NEIGHBOURHOOD = {"depth": 1, "direction": "both", "relations": frozenset({"linksTo"}), "limit": 200}
"""The parameters of a neighbourhood request that gives none: its answer is saved per concept."""
_HREF_BASES = {"concept": "/api/concepts/", "keyword": "/api/keywords/"}


def pick_label(labels: dict[str, str], prefs: tuple[str, ...]) -> dict | None:
    """Return {"value", "lang"} for the preferred language present, else any label."""
    for pref in prefs:
        if pref in labels:
            return {"value": labels[pref], "lang": pref or None}
    if labels:
        lang = sorted(labels)[0]
        return {"value": labels[lang], "lang": lang or None}
    return None


@functools.lru_cache(maxsize=1 << 16)
def href(kind: str, slug: str) -> str:
    """Return the REST URL of a concept or keyword ("" for other kinds)."""
    base = _HREF_BASES.get(kind)
    return base + quote(slug, safe="") if base else ""


def summary(idx: ReadModel, kind: str, slug: str, prefs: tuple[str, ...]) -> dict:
    """Return a node as other resources show it: slug, IRI, type, label (with its language), link."""
    found = idx.keep((kind, slug, prefs), lambda: _summary(idx, kind, slug, prefs))
    return dict(found)  # a copy: callers add to it (their nested dicts are shared and must stay unchanged)


def _summary(idx: ReadModel, kind: str, slug: str, prefs: tuple[str, ...]) -> dict:
    node = idx.node(kind, slug)
    out: dict = {"slug": slug, "type": kind}
    if node is None:
        return out
    out["iri"] = node.iri
    out["label"] = pick_label(node.labels, prefs) or {"value": slug, "lang": None}
    if kind == "concept":
        out["kind"] = node.concept_kind
        out["has_article"] = node.has_article
    link = href(kind, slug)
    if link:
        out["href"] = link
    return out


def _node_id(idx: ReadModel, kind: str, slug: str) -> str:
    """Return the id of a node in a neighbourhood answer: its IRI, else kind:slug."""
    node = idx.node(kind, slug)
    return node.iri if node is not None else f"{kind}:{slug}"


def node_json(idx: ReadModel, kind: str, slug: str, prefs: tuple[str, ...], distance: int) -> orjson.Fragment:
    """Return a neighbourhood node as JSON: its summary, id and distance (all but the distance kept per node)."""
    head = idx.keep(("neighbour-node", kind, slug, prefs),
                    lambda: orjson.dumps({**summary(idx, kind, slug, prefs), "id": _node_id(idx, kind, slug)})[:-1])
    return orjson.Fragment(b'%s,"distance":%d}' % (head, distance))


def edge_json(idx: ReadModel, edge: Edge, way: str) -> dict:
    """Return a neighbourhood edge: its ends' ids, relation, direction and anchor texts."""
    item = {"source": _node_id(idx, edge.source_kind, edge.source),
            "target": _node_id(idx, edge.target_kind, edge.target), "relation": edge.relation, "direction": way}
    if edge.anchors:
        item["anchors"] = [a["text"] for a in edge.anchors if a["text"]]
    return item


def neighbourhood_document(idx: ReadModel, slug: str, depth: int = 1, direction: str = "both",
                           relations: frozenset[str] | set[str] = DEFAULT_NEIGHBOURHOOD["relations"],
                           limit: int = 200, prefs: tuple[str, ...] = DEFAULT_PREFERENCES) -> dict:
    """Return the neighbourhood of a concept as {concept, depth, direction, relations, truncated, nodes, edges}."""
    distance, order, edges, truncated = neighbourhood(idx, ("concept", slug), depth, direction, set(relations), limit)
    return {"concept": summary(idx, "concept", slug, prefs), "depth": depth, "direction": direction,
            "relations": sorted(relations), "truncated": truncated,
            "nodes": [node_json(idx, kind, other, prefs, distance[(kind, other)]) for kind, other in order],
            "edges": [edge_json(idx, edge, way) for edge, way in edges.values()]}
