"""The component schemas of the REST API's OpenAPI document: the JSON bodies every operation answers with."""

from __future__ import annotations

import copy

LABEL = {"type": "object", "required": ["value", "lang"],
         "properties": {"value": {"type": "string"}, "lang": {"type": ["string", "null"]}}}
NULLABLE_LABEL = {"oneOf": [LABEL, {"type": "null"}]}
SUMMARY = {
    "type": "object",
    "required": ["slug", "type"],
    "properties": {
        "slug": {"type": "string"},
        "type": {"type": "string", "enum": ["concept", "keyword", "organization"]},
        "iri": {"type": "string", "format": "iri"},
        "label": LABEL,
        "kind": {"type": "string", "enum": ["article", "redlink", "term"]},
        "has_article": {"type": "boolean"},
        "href": {"type": "string"},
    },
}
PAGE_LINKS = {"type": "object", "required": ["self", "first"],
              "properties": {k: {"type": "string"} for k in ("self", "first", "next", "prev")}}
ANCHOR = {"type": "object", "properties": {"text": {"type": ["string", "null"]}, "line": {"type": ["integer", "null"]},
                                           "section": {"type": ["string", "null"]}}}
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": ["string", "null"]},
        "parameter": {"type": "string", "description": "the request parameter that was rejected"},
        "suggestions": {"type": "array", "items": {"$ref": "#/components/schemas/NodeSummary"},
                        "description": "did you mean: close matches for an unknown slug"},
    },
    "additionalProperties": True,
}
LINKED = {"allOf": [{"$ref": "#/components/schemas/NodeSummary"},
                    {"type": "object", "properties": {"anchors": {"type": "array", "items": ANCHOR}}}]}
SECTION = {"type": "object", "required": ["name", "position", "line", "level", "parent"], "properties": {
    "name": NULLABLE_LABEL, "position": {"type": ["integer", "null"]}, "line": {"type": ["integer", "null"]},
    "level": {"type": ["integer", "null"], "minimum": 2, "maximum": 6}, "parent": {"type": ["integer", "null"]}}}
OUTLINE_SECTION = {"allOf": [SECTION, {"type": "object", "required": ["sections"], "properties": {
    "sections": {"type": "array", "items": {"$ref": "#/components/schemas/OutlineSection"}}}}]}
DEFINITION = {"type": "object", "required": ["text", "label", "article", "source", "line"], "properties": {
    "text": NULLABLE_LABEL, "label": NULLABLE_LABEL,
    "article": {"oneOf": [{"$ref": "#/components/schemas/NodeSummary"}, {"type": "null"}],
                "description": "the concept whose article holds the paragraph"},
    "source": {"type": ["string", "null"]}, "line": {"type": ["integer", "null"]}}}
CONCEPT = {
    "type": "object",
    "required": ["iri", "slug", "kind", "label", "labels", "alt_labels", "hidden_labels", "abbreviations", "aliases",
                 "definition", "has_article", "article", "source", "keywords", "links_out", "links_in",
                 "relations_out", "relations_in", "faq", "takeaways", "summary", "key_figures", "sections",
                 "outline", "defined_terms", "also_defined_in", "mentions", "created", "modified", "authors",
                 "facts"],
    "additionalProperties": False,
    "properties": {
        "iri": {"type": "string"},
        "slug": {"type": "string"},
        "kind": {"type": "string", "enum": ["article", "redlink", "term"]},
        "types": {"type": "array", "items": {"type": "string"}},
        "label": LABEL,
        "labels": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "label per language tag (\"none\" for an untagged label)"},
        "alt_labels": {"type": "array", "items": LABEL},
        "hidden_labels": {"type": "array", "items": LABEL, "description": "anchor texts and other spellings"},
        "abbreviations": {"type": "array", "items": {"type": "string"}},
        "aliases": {"type": "array", "items": {"type": "string"}, "description": "other slug spellings"},
        "definition": NULLABLE_LABEL,
        "definitions": {"type": "object", "additionalProperties": {"type": "string"}},
        "keywords": {"type": "array", "items": {"$ref": "#/components/schemas/NodeSummary"}},
        "has_article": {"type": "boolean"},
        "article": {"type": ["string", "null"]},
        "source": {"type": ["string", "null"], "description": "markdown file, relative to content/"},
        "links_out": {"type": "array", "items": LINKED},
        "links_in": {"type": "array", "items": LINKED, "description": "backlinks"},
        "relations_out": {"type": "object", "additionalProperties": {
            "type": "array", "items": {"$ref": "#/components/schemas/NodeSummary"}}},
        "relations_in": {"type": "object", "additionalProperties": {
            "type": "array", "items": {"$ref": "#/components/schemas/NodeSummary"}}},
        "faq": {"type": "array", "items": {"type": "object", "required": ["question", "answer"], "properties": {
            "question": NULLABLE_LABEL, "answer": NULLABLE_LABEL,
            "about": {"oneOf": [{"$ref": "#/components/schemas/NodeSummary"}, {"type": "null"}]}}}},
        "takeaways": {"type": "array", "items": LABEL},
        "summary": NULLABLE_LABEL,
        "key_figures": {"type": "array", "items": {"type": "object", "properties": {
            "value": NULLABLE_LABEL, "caption": NULLABLE_LABEL}}},
        "sections": {"type": "array", "items": SECTION,
                     "description": "every section of the article in reading order; parent: the position of the "
                                    "enclosing section (null for a top-level one)"},
        "outline": {"type": "array", "items": {"$ref": "#/components/schemas/OutlineSection"},
                    "description": "the same sections nested: each with its sub-sections"},
        "defined_terms": {"type": "array", "items": {"$ref": "#/components/schemas/NodeSummary"}},
        "also_defined_in": {"type": "array", "items": DEFINITION,
                            "description": "every bold-labelled paragraph, in any article, that defines this "
                                           "concept (by source file and line); the definition above is the "
                                           "concept's own"},
        "created": {"type": ["string", "null"], "description": "front-matter date (xsd:date or xsd:dateTime)"},
        "modified": {"type": ["string", "null"], "description": "front-matter lastmod"},
        "authors": {"type": "array", "items": {"type": "string"}},
        "mentions": {"type": "array", "items": {"$ref": "#/components/schemas/NodeSummary"}},
        "facts": {"type": "object", "additionalProperties": {"type": "array"},
                  "description": "every other fact of the concept and its article (FAQ = mainEntity, take-aways, "
                                 "abstract, keyFigure, section, hasTermDefinition, definesTerm, mentions, headline, "
                                 "created, creator...), keyed by the property's local name; nested nodes follow "
                                 "JSON-LD compact conventions, a node shown at the top is {\"id\"} when nested"},
        "links": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
PAGE = {
    "type": "object", "required": ["total", "limit", "offset", "items", "links"],
    "properties": {"total": {"type": "integer", "minimum": 0}, "limit": {"type": "integer"},
                   "offset": {"type": "integer"}, "links": PAGE_LINKS,
                   "items": {"type": "array", "items": {"$ref": "#/components/schemas/NodeSummary"}}},
}
NEIGHBOURS = {
    "type": "object", "required": ["concept", "nodes", "edges", "truncated"],
    "properties": {
        "concept": {"$ref": "#/components/schemas/NodeSummary"},
        "depth": {"type": "integer"}, "direction": {"type": "string"}, "truncated": {"type": "boolean"},
        "relations": {"type": "array", "items": {"type": "string"}},
        "nodes": {"type": "array", "items": {"allOf": [
            {"$ref": "#/components/schemas/NodeSummary"},
            {"type": "object", "required": ["id", "distance"],
             "properties": {"id": {"type": "string"}, "distance": {"type": "integer", "minimum": 0, "maximum": 3}}}]}},
        "edges": {"type": "array", "items": {
            "type": "object", "required": ["source", "target", "relation", "direction"],
            "properties": {"source": {"type": "string"}, "target": {"type": "string"}, "relation": {"type": "string"},
                           "direction": {"type": "string", "enum": ["out", "in"]},
                           "anchors": {"type": "array", "items": {"type": "string"}}}}},
    },
}
RELATED = {
    "type": "object", "required": ["concept", "results"],
    "properties": {
        "concept": {"$ref": "#/components/schemas/NodeSummary"},
        "weights": {"type": "object", "additionalProperties": {"type": "number"}},
        "formula": {"type": "string"},
        "results": {"type": "array", "items": {"allOf": [
            {"$ref": "#/components/schemas/NodeSummary"},
            {"type": "object", "required": ["score", "reasons"], "properties": {
                "score": {"type": "number"},
                "reasons": {"type": "array", "items": {
                    "type": "object", "required": ["reason", "contribution"],
                    "properties": {"reason": {"type": "string", "enum": ["links_to", "linked_from", "shared_keywords",
                                                                        "co_citation", "coupling"]},
                                   "contribution": {"type": "number"},
                                   "via": {"type": "array", "items": {"type": "string"}}}}}}}]}},
    },
}
HIGHLIGHT = {"type": "object", "required": ["start", "end"],
             "properties": {"start": {"type": "integer"}, "end": {"type": "integer"}}}
SNIPPET = {"type": "object", "required": ["text", "highlights"],
           "properties": {"text": {"type": "string"}, "highlights": {"type": "array", "items": HIGHLIGHT}}}
LABEL_MATCH = {
    "type": "object", "required": ["field", "text", "tier"],
    "properties": {
        "field": {"type": "string", "enum": ["prefLabel", "abbreviation", "altLabel", "hiddenLabel", "anchor", "slug",
                                             "keyword"]},
        "text": {"type": "string"}, "lang": {"type": ["string", "null"]},
        "tier": {"type": "string", "enum": ["exact", "prefix", "word", "infix"]},
        "keyword": {"type": "string"},
        "highlight": {"oneOf": [{"type": "null"}, HIGHLIGHT]}}}
TEXT_MATCH = {
    "type": "object", "required": ["field", "score", "passages", "snippets"],
    "properties": {
        "field": {"type": "string", "enum": ["text"]},
        "score": {"type": "number", "description": "BM25 (higher is better)"},
        "passages": {"type": "integer", "description": "matching passages of the article among those ranked"},
        "snippets": {"type": "array", "items": {"allOf": [SNIPPET, {"type": "object", "properties": {
            "section": {"oneOf": [{"type": "null"}, {"type": "object", "required": ["position", "name"], "properties": {
                "position": {"type": "integer"}, "name": {"type": "string"}, "level": {"type": "integer"},
                "line": {"type": "integer"}}}]},
            "heading": {"type": ["string", "null"], "description": "the heading above: a section's or an FAQ question"},
            "line": {"type": ["integer", "null"], "description": "source line (null: the front-matter description)"},
        }}]}}}}
SEARCH = {
    "type": "object", "required": ["query", "normalized", "count", "results"],
    "properties": {
        "query": {"type": "string"}, "normalized": {"type": "string"}, "count": {"type": "integer"},
        "in": {"type": "string", "enum": ["text", "all"], "description": "given when in= is not labels"},
        "text_available": {"type": "boolean", "description": "false when the served version has no article text"},
        "results": {"type": "array", "items": {"allOf": [
            {"$ref": "#/components/schemas/NodeSummary"},
            {"type": "object", "required": ["match"], "properties": {"match": {"oneOf": [LABEL_MATCH, TEXT_MATCH]}}}]}},
    },
}
LINK_SUGGESTIONS = {
    "type": "object", "required": ["concept", "available", "total", "limit", "offset", "items", "links"],
    "properties": {
        "concept": {"$ref": "#/components/schemas/NodeSummary"}, "source": {"type": ["string", "null"]},
        "available": {"type": "boolean", "description": "false when the served version has no article text"},
        "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
        "links": PAGE_LINKS,
        "items": {"type": "array", "items": {
            "type": "object",
            "required": ["target", "text", "line", "snippet", "field", "label", "mentions", "markdown", "score"],
            "properties": {
                "target": {"$ref": "#/components/schemas/NodeSummary"},
                "text": {"type": "string", "description": "the words as written at the first unlinked mention"},
                "line": {"type": "integer", "description": "its line in the article's file"},
                "snippet": SNIPPET,
                "field": {"type": "string", "enum": ["prefLabel", "abbreviation", "altLabel", "hiddenLabel", "anchor"]},
                "label": {"type": "string", "description": "the target's name that matched"},
                "mentions": {"type": "integer", "description": "unlinked mentions of the target in the article"},
                "other_lines": {"type": "array", "items": {"type": "integer"}},
                "linked_at": {"type": ["integer", "null"],
                              "description": "the line of the article's own link to the target, after this mention"},
                "target_links_in": {"type": "integer"}, "score": {"type": "number"},
                "markdown": {"type": "string", "description": "the link to write: [text](/slug)"}}}},
    },
}
KEYWORD = {
    "allOf": [{"$ref": "#/components/schemas/NodeSummary"}, {
        "type": "object", "required": ["concept_count", "concepts"],
        "properties": {"labels": {"type": "object", "additionalProperties": {"type": "string"}},
                       "concept_count": {"type": "integer"}, "limit": {"type": "integer"},
                       "offset": {"type": "integer"}, "links": PAGE_LINKS,
                       "concepts": {"type": "array", "items": {"$ref": "#/components/schemas/NodeSummary"}}}}],
}
PATH = {
    "type": "object", "required": ["from", "to", "found", "paths"],
    "properties": {"from": {"$ref": "#/components/schemas/NodeSummary"},
                   "to": {"$ref": "#/components/schemas/NodeSummary"},
                   "max": {"type": "integer"}, "direction": {"type": "string"}, "found": {"type": "boolean"},
                   "length": {"type": ["integer", "null"]},
                   "paths": {"type": "array", "items": {"type": "array",
                                                        "items": {"$ref": "#/components/schemas/NodeSummary"}}}},
}
COUNTED = {"type": "object", "required": ["count", "slugs"],
           "properties": {"count": {"type": "integer"}, "slugs": {"type": "array", "items": {"type": "string"}}}}
STATS = {
    "type": "object", "required": ["version", "concepts", "kinds", "keywords", "links", "red_links", "orphans"],
    "properties": {"version": {"type": "string"}, "triples": {"type": "integer"}, "concepts": {"type": "integer"},
                   "kinds": {"type": "object", "additionalProperties": {"type": "integer"}},
                   "keywords": {"type": "integer"}, "organizations": {"type": "integer"},
                   "links": {"type": "integer"}, "edges": {"type": "integer"},
                   "relations": {"type": "object", "additionalProperties": {"type": "integer"}},
                   "red_links": COUNTED, "orphans": COUNTED,
                   "index_build_seconds": {"type": "number"}, "search_entries": {"type": "integer"}},
}
VALIDATION = {
    "type": "object", "required": ["version", "conforms", "counts", "results"],
    "properties": {"version": {"type": "string"}, "conforms": {"type": "boolean"},
                   "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                   "seconds": {"type": "number"},
                   "results": {"type": "array", "items": {"type": "object", "properties": {
                       k: {"type": ["string", "null"]} for k in
                       ("severity", "focus", "path", "value", "message", "shape", "source")}}}},
}
KEYWORD_PAGE = {**copy.deepcopy(PAGE), "properties": {**PAGE["properties"], "items": {
    "type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/NodeSummary"},
                                         {"type": "object", "required": ["concept_count"],
                                          "properties": {"concept_count": {"type": "integer"}}}]}}}}

_VALUES = {"type": "object", "properties": {"removed": {"type": "array"}, "added": {"type": "array"}}}
_SHACL_CHANGES = {"type": "object", "properties": {"appeared": {"type": "array", "items": {"type": "object"}},
                                                   "went_away": {"type": "array", "items": {"type": "object"}}}}
_STATUS = {"type": "string", "enum": ["added", "removed", "changed"]}
_TOUCHED_COUNTS = {"type": "object", "description": "the concepts the changeset touched, by status",
                   "properties": {"added": {"type": "integer"}, "changed": {"type": "integer"},
                                  "removed": {"type": "integer"}}}
_TOUCHED = {"type": "object", "required": ["concept", "status"],
            "properties": {"concept": {"type": "string"}, "status": _STATUS}}
CHANGES = {
    "type": "object",
    "description": "without `since`: the kept changesets (version, versions, changesets); with it: what changed "
                   "from `since` to the served version (from, to, triples, patch, total, offset, limit, concepts, "
                   "shacl)",
    "properties": {
        "version": {"type": "string"}, "versions": {"type": "array", "items": {"type": "string"}},
        "changesets": {"type": "array", "items": {"type": "object", "required": ["from", "to", "removed", "added"],
                                                  "properties": {"from": {"type": "string"}, "to": {"type": "string"},
                                                                 "time": {"type": "string"},
                                                                 "removed": {"type": ["integer", "string"]},
                                                                 "added": {"type": ["integer", "string"]},
                                                                 "concepts": _TOUCHED_COUNTS,
                                                                 "touched": {"type": "array", "items": _TOUCHED}}}},
        "from": {"type": "string"}, "to": {"type": "string"},
        "triples": {"type": "object", "properties": {"removed": {"type": "integer"}, "added": {"type": "integer"}}},
        "patch": {"type": ["object", "null"], "properties": {"removed": {"type": "string"},
                                                              "added": {"type": "string"}}},
        "total": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
        "concepts": {"type": "array", "items": {
            "type": "object", "required": ["concept", "iri", "status", "triples"],
            "properties": {"concept": {"type": "string"}, "iri": {"type": "string"},
                           "status": _STATUS,
                           "triples": {"type": "object"}, "labels": _VALUES, "definitions": _VALUES,
                           "links": _VALUES, "keywords": _VALUES}}},
        "shacl": _SHACL_CHANGES,
    },
}

SCHEMAS = {
    "NodeSummary": SUMMARY, "Problem": PROBLEM_SCHEMA, "Concept": CONCEPT, "OutlineSection": OUTLINE_SECTION,
    "ConceptPage": PAGE,
    "Neighbours": NEIGHBOURS, "Related": RELATED, "SearchResults": SEARCH, "KeywordPage": KEYWORD_PAGE,
    "Keyword": KEYWORD, "Path": PATH, "Stats": STATS, "Validation": VALIDATION, "Changes": CHANGES, "LinkSuggestions": LINK_SUGGESTIONS,
}
