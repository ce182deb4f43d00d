"""REST search route: concepts by label (graph.readmodel.search) or by the text of their article (fulltext).

``in=labels`` (the default) matches labels, anchor texts, abbreviations, slugs and keywords; ``in=text`` the
articles' text (BM25, snippets with their section); ``in=all`` gives the label matches first, then the text
matches of other concepts.
"""

from __future__ import annotations

from flask import Blueprint, Response

from api.http import graph, respond
from api.rest.params import (
    bad_parameter,
    choice_param,
    int_param,
    lang_param,
    language_preferences,
    single_param,
    summary,
)
from api.rest.present import label_triples
from graph.arabic import normalize
from graph.readmodel.indexes import ReadModel
from graph.readmodel.search import TIERS, Hit, highlight
from graph.readmodel.text.fulltext import TextHit

bp = Blueprint("search", __name__)

SEARCH_MAX_LIMIT = 100
MAX_QUERY_CHARS = 200
SCOPES = ("labels", "text", "all")


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


def label_match(hit: Hit) -> dict:
    """Return how a label search hit matched: field, text, language, tier and highlight."""
    match = {"field": hit.field, "text": hit.text, "lang": hit.lang, "tier": TIERS[hit.tier],
             "highlight": highlight(hit.text, hit.form, hit.offset, hit.length, hit.key_form)}
    if hit.via_keyword:
        match["keyword"] = hit.via_keyword
    return match


def text_match(hit: TextHit) -> dict:
    """Return how a text search hit matched: its BM25 score and its best passages' snippets and sections."""
    return {"field": "text", "score": hit.score, "passages": hit.matched,
            "snippets": [{"section": p.section, "heading": p.heading, "line": p.line, **p.snippet}
                         for p in hit.passages]}


def search_hits(idx: ReadModel, query: str, scope: str, limit: int, lang: str | None) -> list[tuple[str, dict]]:
    """Return (concept slug, match) pairs for a query in a scope, best first (see the module docstring)."""
    found: list[tuple[str, dict]] = []
    if scope in ("labels", "all"):
        found = [(hit.slug, label_match(hit)) for hit in idx.search(query, limit, lang)]
    text = idx.text_index()
    if scope in ("text", "all") and text is not None and len(found) < limit:
        seen = {slug for slug, _ in found}
        for hit in text.search(query, limit):
            if hit.slug not in seen and hit.slug in idx.concepts and len(found) < limit:
                found.append((hit.slug, text_match(hit)))
    return found


@bp.get("/api/search")
def search() -> Response:
    """Answer concepts matching ``q`` in their labels, their article's text or both, ranked, with highlights."""
    idx = graph().model
    query, normalized = _query_param()
    scope = choice_param("in", "labels", SCOPES)
    lang = lang_param()
    limit = int_param("limit", 10, 1, SEARCH_MAX_LIMIT)
    prefs = language_preferences(lang)

    def hits() -> list[tuple[str, dict]]:
        return search_hits(idx, query, scope, limit, lang) if normalized else []

    def build() -> dict:
        results = [{**summary(idx, "concept", slug, prefs), "match": match} for slug, match in hits()]
        document = {"query": query, "normalized": normalized, "count": len(results), "results": results}
        if scope != "labels":  # the label search's answer stays as it was
            document = {"query": query, "normalized": normalized, "in": scope,
                        "text_available": idx.text_index() is not None, "count": len(results), "results": results}
        return document

    def triples() -> list:
        return label_triples(idx, [("concept", slug) for slug, _ in hits()])

    return respond(build, triples)
