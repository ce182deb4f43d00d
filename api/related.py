"""The related-concepts score of the REST API, with the reasons behind every score.

Related score of a candidate d for the concept c (each term is reported as a reason with its
contribution and the concepts or keywords it came through)::

    score(c, d) = 3.0 · [c links to d]                                    links_to
                + 2.0 · [d links to c]                                    linked_from
                + Σ_{k ∈ K(c) ∩ K(d)}        1.0 / log2(1 + |C(k)|)       shared_keywords
                + Σ_{a : a→c and a→d}        1.5 / log2(1 + |out(a)|)     co_citation
                + Σ_{t : c→t and d→t}        1.0 / log2(1 + |in(t)|)      coupling

K(x) are x's keywords, C(k) the concepts with keyword k, out(a) the concepts article a links to,
in(t) the concepts linking to t. The log damping makes a keyword shared by everything, an article
linking to everything or a hub everybody links to count for little. Ties break by slug.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from api.indexes import GraphIndexes

WEIGHTS = {"links_to": 3.0, "linked_from": 2.0, "shared_keywords": 1.0, "co_citation": 1.5, "coupling": 1.0}
FORMULA = ("score = 3·[c→d] + 2·[d→c] + Σ_k 1/log2(1+|C(k)|) + Σ_a 1.5/log2(1+|out(a)|)"
           " + Σ_t 1/log2(1+|in(t)|)")
RELATED_MAX = 200

Scores = dict[str, dict[str, float]]
Via = dict[str, dict[str, list[str]]]


def _credit_groups(scores: Scores, via: Via, reason: str, groups: Iterable[tuple[str, Iterable[str]]]) -> None:
    """Credit every member of each group of two or more with WEIGHTS[reason] / log2(1 + group size)."""
    for name, members in groups:
        members = list(members)
        if len(members) > 1:
            weight = WEIGHTS[reason] / math.log2(1 + len(members))
            for member in members:
                scores[member][reason] += weight
                via[member][reason].append(name)


def related_concepts(idx: GraphIndexes, slug: str) -> list[dict]:
    """Return up to RELATED_MAX concepts related to `slug`, best first, each with score and reasons."""
    scores: Scores = defaultdict(lambda: defaultdict(float))
    via: Via = defaultdict(lambda: defaultdict(list))
    outs, ins = set(idx.link_targets(slug)), set(idx.link_sources(slug))
    for target in outs:
        scores[target]["links_to"] += WEIGHTS["links_to"]
    for source in ins:
        scores[source]["linked_from"] += WEIGHTS["linked_from"]
    _credit_groups(scores, via, "shared_keywords",
                   ((keyword, idx.keyword_concepts.get(keyword, ())) for keyword in idx.concepts[slug].keywords))
    # co-citation: another concept linked from the same article
    _credit_groups(scores, via, "co_citation", ((citing, set(idx.link_targets(citing))) for citing in sorted(ins)))
    # bibliographic coupling: another article linking to the same concept
    _credit_groups(scores, via, "coupling", ((target, set(idx.link_sources(target))) for target in sorted(outs)))
    scores.pop(slug, None)
    ranked = heapq.nsmallest(RELATED_MAX, ((-round(sum(parts.values()), 4), other)
                                           for other, parts in scores.items() if other in idx.concepts))
    results = []
    for negative, other in ranked:
        parts = scores[other]
        reasons = [{"reason": name, "contribution": round(value, 4), "via": via[other].get(name, [])[:20]}
                   for name, value in sorted(parts.items(), key=lambda kv: (-kv[1], kv[0]))]
        results.append({"slug": other, "score": -negative, "reasons": reasons})
    return results

