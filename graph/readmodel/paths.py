"""Breadth-first walks over the index adjacency: a concept's neighbourhood and shortest link paths."""

from __future__ import annotations

from collections import defaultdict

from graph.readmodel.indexes import ReadModel
from graph.readmodel.model import Edge

Node = tuple[str, str]  # (kind, slug)


def neighbourhood(idx: ReadModel, start: Node, depth: int, direction: str, relations: set[str],
                  limit: int, max_edges: int | None = None
                  ) -> tuple[dict[Node, int], list[Node], dict[tuple, tuple[Edge, str]], bool]:
    """Walk up to `depth` hops from `start`; return (distance by node, node order, edges by key, truncated).

    At most `limit` nodes and `max_edges` edges (2 x limit by default) are kept, so the answer's size is
    bounded by the caps, not by the size of the graph around the start.
    """
    max_edges = 2 * limit if max_edges is None else max_edges
    distance = {start: 0}
    order = [start]
    edges: dict[tuple, tuple[Edge, str]] = {}
    frontier = [start]
    truncated = False
    for level in range(1, depth + 1):
        nxt = []
        for current in frontier:
            steps = []
            if direction in ("out", "both"):
                steps += [(e, (e.target_kind, e.target), "out") for e in idx.out.get(current, ())]
            if direction in ("in", "both"):
                steps += [(e, (e.source_kind, e.source), "in") for e in idx.inc.get(current, ())]
            for edge, other, way in steps:
                if edge.relation not in relations:
                    continue
                if other not in distance:
                    if len(order) >= limit:
                        truncated = True
                        continue
                    distance[other] = level
                    order.append(other)
                    nxt.append(other)
                key = (edge.source_kind, edge.source, edge.relation, edge.target_kind, edge.target)
                if key in edges:
                    continue
                if len(edges) >= max_edges:
                    truncated = True
                    continue
                edges[key] = (edge, way)
        frontier = nxt
    return distance, order, edges, truncated


def shortest_paths(idx: ReadModel, start: str, goal: str, max_length: int, undirected: bool,
                   max_paths: int) -> list[list[str]]:
    """Return up to `max_paths` shortest linksTo paths start → goal of at most max_length edges."""
    if start == goal:
        return [[start]]
    parents: dict[str, list[str]] = {start: []}
    frontier = [start]
    depth = 0
    while frontier and depth < max_length and goal not in parents:
        depth += 1
        level: dict[str, list[str]] = defaultdict(list)
        for current in frontier:
            nexts = idx.link_targets(current)
            if undirected:
                nexts = nexts + idx.link_sources(current)
            for nxt in nexts:
                if nxt not in parents:
                    level[nxt].append(current)
        for nxt, via in level.items():
            parents[nxt] = sorted(set(via))
        frontier = sorted(level)
    if goal not in parents:
        return []
    paths: list[list[str]] = []

    def walk(node: str, suffix: list[str]) -> None:
        if len(paths) >= max_paths:
            return
        if node == start:
            paths.append([start, *suffix])
            return
        for parent in parents[node]:
            walk(parent, [node, *suffix])

    walk(goal, [])
    return paths
