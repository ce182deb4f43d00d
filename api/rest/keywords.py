"""REST keyword routes: the keyword list with concept counts, and one keyword with a page of its concepts."""

from __future__ import annotations

from flask import Blueprint, Response

from api.http import Problem, graph, respond
from api.rest.params import (
    MAX_LIMIT,
    MAX_OFFSET,
    int_param,
    lang_param,
    language_preferences,
    slug_param,
    summary,
)
from api.rest.present import describe, edge_triples, label_triples, page_links, redirect_canonical

bp = Blueprint("keywords", __name__)


@bp.get("/api/keywords")
def list_keywords() -> Response:
    """Answer a page of keywords with their concept counts, ordered by slug."""
    idx = graph().model
    lang = lang_param()
    limit = int_param("limit", 100, 1, MAX_LIMIT)
    offset = int_param("offset", 0, 0, MAX_OFFSET)
    prefs = language_preferences(lang)

    def build() -> dict:
        slugs = sorted(idx.keywords)
        items = [{**summary(idx, "keyword", s, prefs), "concept_count": len(idx.keyword_concepts.get(s, ()))}
                 for s in slugs[offset:offset + limit]]
        return {"total": len(slugs), "limit": limit, "offset": offset, "items": items,
                "links": page_links(len(slugs), limit, offset)}

    def triples() -> list:
        return label_triples(idx, [("keyword", s) for s in sorted(idx.keywords)[offset:offset + limit]])

    return respond(build, triples)


@bp.get("/api/keywords/<slug>")
def keyword(slug: str) -> Response:
    """Answer one keyword and a page of its concepts (301 from another slug spelling)."""
    slug_param("slug", slug)
    idx = graph().model
    found = idx.resolve_keyword(slug)
    if found is None:
        close = idx.group_suggestions("keyword", slug)
        prefs = language_preferences(None)
        raise Problem(404, "keyword-not-found", "Keyword Not Found", f"no keyword has the slug {slug[:100]!r}",
                      requested=slug[:300], suggestions=[summary(idx, "keyword", s, prefs) for s in close])
    canonical = found[0]
    if canonical != slug:
        return redirect_canonical("keyword", canonical, cacheable=False)
    lang = lang_param()
    limit = int_param("limit", 100, 1, MAX_LIMIT)
    offset = int_param("offset", 0, 0, MAX_OFFSET)
    prefs = language_preferences(lang)
    members = idx.keyword_concepts.get(canonical, [])

    def build() -> dict:
        node = idx.keywords[canonical]
        return {**summary(idx, "keyword", canonical, prefs),
                "labels": {lang or "none": text for lang, text in sorted(node.labels.items())},
                "concept_count": len(members), "limit": limit, "offset": offset,
                "concepts": [summary(idx, "concept", s, prefs) for s in members[offset:offset + limit]],
                "links": page_links(len(members), limit, offset)}

    def triples() -> list:
        node = idx.keywords[canonical]
        has_keyword = [e for s in members for e in idx.out.get(("concept", s), ()) if e.relation == "hasKeyword"
                       and e.target == canonical]
        return [*describe(node.iri), *edge_triples(idx, has_keyword),
                *label_triples(idx, [("concept", s) for s in members])]

    return respond(build, triples)
