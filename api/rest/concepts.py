"""REST concepts (Skosmos-like): the concept list and everything about one concept.

Every answer comes from the read model (``graph.readmodel``, made once per graph version) or from a
SPARQL query with the user's values bound as substitutions; user input is never pasted into SPARQL text.
The other REST routes have a blueprint each in this folder::

    /api/concepts                         ?keyword= &kind=article|redlink|term &has_article= &lang= &limit= &offset=
    /api/concepts/{slug}                  everything about a concept (301 from another slug spelling)
    /api/concepts/{slug}/neighbours       neighbours.py: ?depth=1..3 &direction=out|in|both &relation= &limit=
    /api/concepts/{slug}/related          neighbours.py: ?limit=  ranked by graph.readmodel.related's score
    /api/path                             paths.py: ?from= &to= &max= &direction=out|both &limit=
    /api/search                           search.py: ?q= &lang= &limit=
    /api/keywords, /api/keywords/{slug}   keywords.py: ?lang= &limit= &offset=
    /api/stats, /api/validation           reports.py

Parameters and label language: ``params.py``; negotiation, ETags and respond: ``api.http``.
"""

from __future__ import annotations

from flask import Blueprint, Response

from api.http import graph, respond, service
from api.rest.params import (
    MAX_LIMIT,
    MAX_OFFSET,
    bool_param,
    choice_param,
    href,
    int_param,
    lang_param,
    language_preferences,
    pick_label,
    single_param,
    slug_param,
    summary,
)
from api.rest.present import concept_facts, concept_from_path, describe, label_triples, page_links
from graph.readmodel.facts import named_facts
from graph.readmodel.model import CONCEPT_KINDS, local_name

bp = Blueprint("concepts", __name__)


@bp.get("/api/concepts")
def list_concepts() -> Response:
    """Answer a page of concepts, ordered by slug, filtered by keyword, kind and has_article."""
    idx = graph().model
    keyword = slug_param("keyword", single_param("keyword"), required=False)
    kind = choice_param("kind", None, CONCEPT_KINDS)
    has_article = bool_param("has_article")
    lang = lang_param()
    limit = int_param("limit", 50, 1, MAX_LIMIT)
    offset = int_param("offset", 0, 0, MAX_OFFSET)
    prefs = language_preferences(lang)

    def selected() -> list[str]:
        if keyword is not None:
            resolved = idx.resolve_keyword(keyword)
            slugs = list(idx.keyword_concepts.get(resolved[0], [])) if resolved else []
        else:
            slugs = idx.sorted_slugs
        return [s for s in slugs
                if (kind is None or idx.concepts[s].concept_kind == kind)
                and (has_article is None or idx.concepts[s].has_article == has_article)]

    def build() -> dict:
        slugs = selected()
        page = slugs[offset:offset + limit]
        items = []
        for slug in page:
            item = summary(idx, "concept", slug, prefs)
            item["keywords"] = list(idx.concepts[slug].keywords)
            items.append(item)
        return {"total": len(slugs), "limit": limit, "offset": offset, "items": items,
                "links": page_links(len(slugs), limit, offset)}

    def triples() -> list:
        return label_triples(idx, [("concept", s) for s in selected()[offset:offset + limit]])

    return respond(build, triples)


@bp.get("/api/concepts/<slug>")
def concept(slug: str) -> Response:
    """Answer everything about one concept: labels, definition, keywords, links both ways, article facts."""
    idx, canonical, moved = concept_from_path(slug)
    if moved is not None:
        return moved
    lang = lang_param()
    prefs = language_preferences(lang)
    node = idx.concepts[canonical]

    def build() -> dict:
        facts, _ = concept_facts(idx, node, prefs)
        out_links, in_links, other_out, other_in = [], [], {}, {}
        for edge in idx.out.get(("concept", canonical), ()):
            if edge.relation == "linksTo":
                out_links.append({**summary(idx, edge.target_kind, edge.target, prefs), "anchors": list(edge.anchors)})
            elif edge.relation != "hasKeyword":
                other_out.setdefault(edge.relation, []).append(summary(idx, edge.target_kind, edge.target, prefs))
        for edge in idx.inc.get(("concept", canonical), ()):
            if edge.relation == "linksTo":
                in_links.append({**summary(idx, edge.source_kind, edge.source, prefs), "anchors": list(edge.anchors)})
            else:
                other_in.setdefault(edge.relation, []).append(summary(idx, edge.source_kind, edge.source, prefs))
        definition = pick_label(node.definitions, prefs)
        return {
            "iri": node.iri,
            "slug": node.slug,
            "kind": node.concept_kind,
            "types": sorted(local_name(t) for t in node.types),
            "label": pick_label(node.labels, prefs) or {"value": node.slug, "lang": None},
            "labels": {lang or "none": text for lang, text in sorted(node.labels.items())},
            "alt_labels": [{"value": v, "lang": lg or None} for v, lg in node.alt_labels],
            "hidden_labels": [{"value": v, "lang": lg or None} for v, lg in node.hidden_labels],
            "abbreviations": sorted(node.abbreviations),
            "aliases": sorted(node.aliases),
            "definition": definition,
            "definitions": {lang or "none": text for lang, text in sorted(node.definitions.items())},
            "keywords": [summary(idx, "keyword", k, prefs) for k in node.keywords],
            "has_article": node.has_article,
            "article": node.article,
            "source": node.source,
            "links_out": out_links,
            "links_in": in_links,
            "relations_out": other_out,
            "relations_in": other_in,
            **named_facts(facts, other_out, idx, prefs, service().vocab),
            "facts": facts,
            "links": {"self": href("concept", canonical), "neighbours": href("concept", canonical) + "/neighbours",
                      "related": href("concept", canonical) + "/related"},
        }

    def triples() -> list:
        _, fact_triples = concept_facts(idx, node, prefs)
        return [*describe(node.iri), *fact_triples]

    return respond(build, triples)
