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
from collections.abc import Collection

from graph.readmodel.indexes import ReadModel

WEIGHTS = {"links_to": 3.0, "linked_from": 2.0, "shared_keywords": 1.0, "co_citation": 1.5, "coupling": 1.0}
FORMULA = ("score = 3·[c→d] + 2·[d→c] + Σ_k 1/log2(1+|C(k)|) + Σ_a 1.5/log2(1+|out(a)|)"
           " + Σ_t 1/log2(1+|in(t)|)")
RELATED_MAX = 200

REASONS = ("links_to", "linked_from", "shared_keywords", "co_citation", "coupling")
VIA_MAX = 20

Groups = list[tuple[str, Collection[str]]]


def _credit_groups(acc: dict[str, float], weight: float, groups: Groups) -> None:
    """Credit every member of each group of two or more with weight / log2(1 + group size)."""
    get = acc.get
    for _name, members in groups:
        if len(members) > 1:
            share = weight / math.log2(1 + len(members))
            for member in members:
                acc[member] = get(member, 0.0) + share


def _via(candidate: str, groups: Groups) -> list[str]:
    """Return the names of the first VIA_MAX groups (of two or more) the candidate belongs to."""
    out = []
    for name, members in groups:
        if len(members) > 1 and candidate in members:
            out.append(name)
            if len(out) == VIA_MAX:
                break
    return out


def related_concepts(idx: ReadModel, slug: str, limit: int = RELATED_MAX) -> list[dict]:
    """Return up to `limit` (at most RELATED_MAX) concepts related to `slug`, best first, with score and reasons."""
    # Scores are summed per reason into flat dicts, then into one total per candidate (reason by reason, so the
    # floating-point sums are those of a per-candidate sum in REASONS order); the reasons' "via" lists are
    # worked out for the winners only.
    outs, ins = set(idx.link_targets(slug)), set(idx.link_sources(slug))
    groups: dict[str, Groups] = {
        "shared_keywords": [(k, set(idx.keyword_concepts.get(k, ()))) for k in idx.concepts[slug].keywords],
        # co-citation: another concept linked from the same article
        "co_citation": [(citing, set(idx.link_targets(citing))) for citing in sorted(ins)],
        # bibliographic coupling: another article linking to the same concept
        "coupling": [(target, set(idx.link_sources(target))) for target in sorted(outs)],
    }
    per: dict[str, dict[str, float]] = {
        "links_to": dict.fromkeys(outs, WEIGHTS["links_to"]),
        "linked_from": dict.fromkeys(ins, WEIGHTS["linked_from"]),
    }
    for reason, reason_groups in groups.items():
        per[reason] = {}
        _credit_groups(per[reason], WEIGHTS[reason], reason_groups)
    totals: dict[str, float] = {}
    get = totals.get
    for reason in REASONS:
        for other, value in per[reason].items():
            totals[other] = get(other, 0) + value
    totals.pop(slug, None)
    concepts = idx.concepts
    ranked = heapq.nsmallest(min(limit, RELATED_MAX), (
        (-round(total, 4), other) for other, total in totals.items() if other in concepts))
    results = []
    for negative, other in ranked:
        parts = {reason: per[reason][other] for reason in REASONS if other in per[reason]}
        reasons = [{"reason": name, "contribution": round(value, 4),
                    "via": _via(other, groups[name]) if name in groups else []}
                   for name, value in sorted(parts.items(), key=lambda kv: (-kv[1], kv[0]))]
        results.append({"slug": other, "score": -negative, "reasons": reasons})
    return results
