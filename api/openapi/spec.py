"""The OpenAPI 3.1 document of the REST concept API: parameters, operations and the assembled spec.

Built here in Python (one place, next to the handlers it describes) and checked by
tests/test_rest_openapi.py with schemathesis against the live app.

Usage::

    from api.openapi.spec import spec
    spec()["paths"]["/api/search"]["get"]["parameters"]
"""

from __future__ import annotations

import json
from functools import lru_cache

from api.openapi.schemas import SCHEMAS

PROBLEM = "application/problem+json"
RDF_MEDIA = ("text/turtle", "application/ld+json", "application/n-triples")
PRINTABLE = "^[^\\x00-\\x1f]*$"  # what a slug may hold (the server refuses control characters)
VERSION = "^[0-9a-f]{8,64}$"
RELATION = "(linksTo|hasKeyword|definesTerm|definedIn|mentions)"


def _param(name: str, where: str, schema: dict, description: str, required: bool = False,
           example: object = None) -> dict:
    """Return an OpenAPI parameter object (path parameters are always required)."""
    out = {"name": name, "in": where, "required": required or where == "path", "schema": schema,
           "description": description}
    if example is not None:
        out["example"] = example
    return out


LANG = _param("lang", "query", {"type": "string", "pattern": "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"},
              "label language (BCP 47); falls back to Accept-Language, then ar, en, any")
SLUG = _param("slug", "path", {"type": "string", "minLength": 1, "maxLength": 300, "pattern": "^[^/\\x00-\\x1f]+$"},
              "the concept's slug (another spelling redirects with 301)", example="viral-marketing")


def _limit(default: int, maximum: int) -> dict:
    """Return the `limit` query parameter with this default and maximum."""
    return _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
                  f"at most this many items (1-{maximum})")


OFFSET = _param("offset", "query", {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0},
                "skip this many items")
ACCEPT_LANGUAGE = _param("Accept-Language", "header", {"type": "string"}, "preferred label languages")


def _ok(schema: str, description: str, rdf: bool = True) -> dict:
    """Return a 200 response of a component schema, also as RDF unless rdf=False, with ETag headers."""
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    if rdf:
        for media in RDF_MEDIA:
            content[media] = {"schema": {"type": "string"}}
    return {"description": description, "content": content,
            "headers": {"ETag": {"schema": {"type": "string"}}, "Cache-Control": {"schema": {"type": "string"}}}}


def _problem(description: str) -> dict:
    """Return an error response carrying a problem+json body."""
    return {"description": description, "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _operation(op_id: str, summary: str, params: list[dict], ok: dict, *, not_found: bool = False,
               redirect: bool = False, extra: dict | None = None, description: str = "") -> dict:
    """Return a GET path item with the standard 304/400 (and optional 404/301) responses."""
    responses = {"200": ok, "304": {"description": "not modified (If-None-Match matched the ETag)"},
                 "400": _problem("a parameter is invalid; `parameter` names it")}
    if not_found:
        responses["404"] = _problem("unknown slug; `suggestions` lists close matches")
    if redirect:
        responses["301"] = {"description": "the slug is another spelling; Location gives the canonical URL",
                            "headers": {"Location": {"schema": {"type": "string"}}}}
    responses["414"] = {"description": "the request line is over 8,190 bytes (gunicorn's limit)",
                        "content": {"text/html": {"schema": {"type": "string"}}}}
    responses["431"] = {"description": "a header over 4 KB that the service parses, or over 32 KB of headers",
                        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}},
                                    "text/html": {"schema": {"type": "string"}}}}
    responses.update(extra or {})
    op = {"operationId": op_id, "summary": summary, "parameters": [*params, ACCEPT_LANGUAGE], "responses": responses}
    if description:
        op["description"] = description
    return {"get": op}


@lru_cache(maxsize=1)
def spec_json() -> str:
    """Return the OpenAPI document as JSON text (built once)."""
    paths = {
        "/api/concepts": _operation(
            "listConcepts", "Page through concepts (ordered by slug)",
            [_param("keyword", "query", {"type": "string", "maxLength": 300, "pattern": PRINTABLE},
                    "only concepts with this keyword slug (empty: any)"),
             _param("kind", "query", {"type": "string", "enum": ["article", "redlink", "term"]},
                    "article: has an article; term: a defined term; redlink: only linked to"),
             _param("has_article", "query", {"type": "boolean"}, "filter on having an article"),
             LANG, _limit(50, 500), OFFSET],
            _ok("ConceptPage", "a page of concepts with total and next/prev links")),
        "/api/concepts/{slug}": _operation(
            "getConcept", "Everything about one concept", [SLUG, LANG],
            _ok("Concept", "the concept: labels, definition, keywords, links both ways, article facts"),
            not_found=True, redirect=True),
        "/api/concepts/{slug}/neighbours": _operation(
            "getNeighbours", "The concept's neighbourhood as {nodes, edges}",
            [SLUG,
             _param("depth", "query", {"type": "integer", "minimum": 1, "maximum": 3, "default": 1}, "hops (1-3)"),
             _param("direction", "query", {"type": "string", "enum": ["out", "in", "both"], "default": "both"},
                    "follow outgoing, incoming or both"),
             _param("relation", "query", {"type": "string", "pattern": f"^{RELATION}(,{RELATION})*$",
                                          "default": "linksTo"},
                    "comma-separated relations to follow: linksTo, hasKeyword, definesTerm, definedIn, mentions"),
             _limit(200, 500), LANG],
            _ok("Neighbours", "nodes (with distance and labels) and edges (with relation and direction)"),
            not_found=True, redirect=True),
        "/api/concepts/{slug}/related": _operation(
            "getRelated", "Concepts ranked by the related score", [SLUG, _limit(10, 100), LANG],
            _ok("Related", "ranked concepts, each with its reasons and their contributions"),
            not_found=True, redirect=True,
            description="score = 3·[c→d] + 2·[d→c] + Σ_shared keywords k 1/log2(1+|C(k)|) + "
                        "Σ_articles a linking both 1.5/log2(1+|out(a)|) + Σ_targets t linked by both 1/log2(1+|in(t)|)"),
        "/api/concepts/{slug}/link-suggestions": _operation(
            "getLinkSuggestions", "Where the concept's article names other concepts without linking them",
            [SLUG, LANG, _limit(50, 200), OFFSET],
            _ok("LinkSuggestions", "one suggestion per target at its first unlinked mention, most useful first",
                rdf=False),
            not_found=True, redirect=True,
            description="A mention is a label, altLabel, hiddenLabel (anchor text) or abbreviation of another concept "
                        "in a paragraph or list item (never in links, headings, code or front matter), Arabic-"
                        "normalised, longest match first. score = 2·[target has an article] + [target is a defined "
                        "term] + log2(1 + mentions) + 1/(1 + links to the target) − 1.5·[linked later in the "
                        "article]"),
        "/api/search": _operation(
            "search", "Find concepts by label, anchor text, abbreviation, slug or keyword, or by their article's text",
            [_param("q", "query", {"type": "string", "minLength": 1, "maxLength": 200,
                                   "pattern": "^[^\\x00]*[^\\x00\\s][^\\x00]*$"},
                    "text in Arabic or English; diacritics, tatweel and letter variants are normalised",
                    required=True, example="التَّسويق الفيروسي"),
             _param("in", "query", {"type": "string", "enum": ["labels", "text", "all"], "default": "labels"},
                    "labels: names, anchors, abbreviations, slugs, keywords; text: the articles' text (body, FAQ, "
                    "take-aways, term definitions; every word, with or without a definite article, BM25); "
                    "all: label matches, then text matches of other concepts"),
             LANG, _limit(10, 100)],
            _ok("SearchResults", "label matches ranked exact > prefix > word > infix, with highlights; text matches "
                                 "ranked by BM25, with snippets and the section they are in")),
        "/api/keywords": _operation(
            "listKeywords", "Keywords with concept counts", [LANG, _limit(100, 500), OFFSET],
            _ok("KeywordPage", "a page of keywords")),
        "/api/keywords/{slug}": _operation(
            "getKeyword", "One keyword and its concepts",
            [{**SLUG, "description": "the keyword's slug", "example": "business"}, LANG, _limit(100, 500), OFFSET],
            _ok("Keyword", "the keyword and a page of its concepts"), not_found=True, redirect=True),
        "/api/path": _operation(
            "getPath", "Shortest link paths between two concepts",
            [_param("from", "query", {"type": "string", "minLength": 1, "maxLength": 300, "pattern": PRINTABLE},
                    "start concept slug", required=True, example="social-media-marketing-smm"),
             _param("to", "query", {"type": "string", "minLength": 1, "maxLength": 300, "pattern": PRINTABLE},
                    "end concept slug", required=True, example="viral-marketing"),
             _param("max", "query", {"type": "integer", "minimum": 1, "maximum": 6, "default": 4},
                    "longest path considered (edges)"),
             _param("direction", "query", {"type": "string", "enum": ["out", "both"], "default": "out"},
                    "out: follow links as written; both: ignore their direction"),
             _limit(10, 50), LANG],
            _ok("Path", "the shortest paths (empty when none within max)"), not_found=True),
        "/api/stats": _operation("getStats", "Graph statistics", [], _ok("Stats", "counts", rdf=False)),
        "/api/validation": _operation(
            "getValidation", "The SHACL validation report of the served graph", [],
            {"description": "the report", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Validation"}},
                "text/turtle": {"schema": {"type": "string"}}, "application/ld+json": {"schema": {"type": "string"}},
                "application/n-triples": {"schema": {"type": "string"}}}},
            extra={"503": _problem("no graph file to validate")}),
        "/api/changes": _operation(
            "listChanges", "What changed between graph versions, per concept",
            [_param("since", "query", {"type": "string", "pattern": VERSION},
                    "a kept graph version: answer what changed from it to the served version (absent: list the "
                    "kept changesets)"),
             _param("concept", "query", {"type": "string", "minLength": 1, "maxLength": 300, "pattern": PRINTABLE},
                    "only this concept's changes"),
             _limit(50, 500), OFFSET],
            _ok("Changes", "the changesets kept, or the concepts added, removed and changed (labels, definitions, "
                           "links with anchors, keywords) and the SHACL results that appeared or went away",
                rdf=False),
            extra={"410": _problem("`since` is not a kept version (expired, or never built here); `kept` lists "
                                   "the kept ones")}),
        "/api/changes/{old}/{new}/{side}.nt": _operation(
            "getPatch", "The triples removed or added from one kept version to another, as N-Triples",
            [_param("old", "path", {"type": "string", "pattern": VERSION}, "the older version"),
             _param("new", "path", {"type": "string", "pattern": VERSION}, "the newer version"),
             _param("side", "path", {"type": "string", "enum": ["removed", "added"]},
                    "removed: delete these triples, then added: insert these, as DBpedia Live changesets")],
            {"description": "sorted N-Triples lines", "content": {"application/n-triples": {"schema": {
                "type": "string"}}}, "headers": {"ETag": {"schema": {"type": "string"}}}},
            extra={"410": _problem("a version is not kept (expired, or never built here)")}),
    }
    for item in paths.values():
        item["get"]["responses"].setdefault("503", _problem("the graph is not loaded yet"))
    document = {
        "openapi": "3.1.0",
        "info": {"title": "marketing-kg REST concept API", "version": "1.0.0",
                 "description": "Look-ups, neighbourhoods, ranked related concepts, Arabic-aware search, keywords "
                                "and paths over the marketing knowledge graph. Errors are RFC 9457 problem+json. "
                                "Every resource is also available as Turtle, JSON-LD or N-Triples via Accept."},
        "paths": paths,
        "components": {"schemas": SCHEMAS},
    }
    return json.dumps(document, ensure_ascii=False, indent=1)


def spec() -> dict:
    """Return (a copy of) the OpenAPI document."""
    return json.loads(spec_json())
