"""REST search route: concepts by any label, anchor text, abbreviation, slug or keyword (graph.readmodel.search)."""

from __future__ import annotations

from flask import Blueprint, Response

from api.http import graph, respond
from api.rest.params import bad_parameter, int_param, lang_param, language_preferences, single_param, summary
from api.rest.present import label_triples
from graph.arabic import normalize
from graph.readmodel.search import TIERS, highlight

bp = Blueprint("search", __name__)

SEARCH_MAX_LIMIT = 100
MAX_QUERY_CHARS = 200


def _query_param() -> tuple[str, str]:
    """Return (q, its normalised form); reject a blank, overlong or NUL-bearing query (as the contract)."""
    query = single_param("q")
    if query is None or not query.strip():
        raise bad_parameter("q", "this parameter is required and may not be blank")
    if len(query) > MAX_QUERY_CHARS:
        raise bad_parameter("q", f"at most {MAX_QUERY_CHARS} characters", maximum=MAX_QUERY_CHARS)
    if "\x00" in query:
        raise bad_parameter("q", "may not contain NUL characters")
    return query, normalize(query)  # only diacritics or marks normalise to nothing, which matches nothing


@bp.get("/api/search")
def search() -> Response:
    """Answer concepts matching ``q``, Arabic-normalised and ranked, each with its best match."""
    idx = graph().model
    query, normalized = _query_param()
    lang = lang_param()
    limit = int_param("limit", 10, 1, SEARCH_MAX_LIMIT)
    prefs = language_preferences(lang)

    def hits() -> list:
        return idx.search(query, limit, lang) if normalized else []

    def build() -> dict:
        results = []
        for hit in hits():
            match = {"field": hit.field, "text": hit.text, "lang": hit.lang, "tier": TIERS[hit.tier],
                     "highlight": highlight(hit.text, hit.form, hit.offset, hit.length, hit.key_form)}
            if hit.via_keyword:
                match["keyword"] = hit.via_keyword
            results.append({**summary(idx, "concept", hit.slug, prefs), "match": match})
        return {"query": query, "normalized": normalized, "count": len(results), "results": results}

    def triples() -> list:
        return label_triples(idx, [("concept", h.slug) for h in hits()])

    return respond(build, triples)
