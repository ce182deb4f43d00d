"""REST link suggestions: where a concept's article names other concepts without linking them (graph.readmodel.text.linking).

    /api/concepts/{slug}/link-suggestions     ?lang= &limit= &offset=

Computed by the build for every article and read as one row; `available` is false when the served version
has no article text (a graph file that is not a build's, or a remote store without its build beside it).
"""

from __future__ import annotations

from flask import Blueprint, Response

from api.http import respond
from api.rest.params import MAX_OFFSET, int_param, lang_param, language_preferences, summary
from api.rest.present import concept_from_path, page_links
from graph.readmodel.indexes import ReadModel
from graph.readmodel.text.linking import markdown_link

bp = Blueprint("linking", __name__)

MAX_LIMIT = 200


def suggestion_items(idx: ReadModel, slug: str, prefs: tuple[str, ...]) -> tuple[bool, list[dict]]:
    """Return (whether the version has article text, the concept's suggestions with their targets' summaries)."""
    text = idx.text_index()
    if text is None:
        return False, []
    items = []
    for found in text.suggestions(slug) or ():
        target = found["target"]
        items.append({
            "target": summary(idx, "concept", target, prefs), "text": found["text"], "line": found["line"],
            "snippet": found["snippet"], "field": found["field"], "label": found["label"],
            "mentions": found["mentions"], "other_lines": found["other_lines"], "linked_at": found["linked_at"],
            "target_links_in": found["target_links_in"], "score": found["score"],
            "markdown": markdown_link(found["text"], target),
        })
    return True, items


@bp.get("/api/concepts/<slug>/link-suggestions")
def link_suggestions(slug: str) -> Response:
    """Answer the unlinked mentions of other concepts in this concept's article, most useful link first."""
    idx, canonical, moved = concept_from_path(slug, "/link-suggestions")
    if moved is not None:
        return moved
    lang = lang_param()
    limit = int_param("limit", 50, 1, MAX_LIMIT)
    offset = int_param("offset", 0, 0, MAX_OFFSET)
    prefs = language_preferences(lang)

    def build() -> dict:
        available, items = suggestion_items(idx, canonical, prefs)
        node = idx.concepts[canonical]
        return {"concept": summary(idx, "concept", canonical, prefs), "source": node.source,
                "available": available, "total": len(items), "limit": limit, "offset": offset,
                "items": items[offset:offset + limit], "links": page_links(len(items), limit, offset)}

    return respond(build)
