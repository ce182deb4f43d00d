"""REST reports on the whole served graph: /api/stats counts and the /api/validation SHACL report.

Registered on ``api.concepts.bp`` when that module is imported.
"""

from __future__ import annotations

import hashlib
import json
import threading

from flask import Response, request

from api.concepts import KINDS, bp
from api.problems import Problem
from api.rest_common import indexes, service
from api.rest_response import MEDIA_TYPES, respond, wanted_rdf_format

_RDFLIB_FORMATS = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt11"}
_validation_cache: dict[tuple[str, str], object] = {}
_validation_lock = threading.Lock()


@bp.get("/api/stats")
def stats() -> Response:
    """Answer counts by kind, red links, orphans, keywords, links and the graph version."""
    idx = indexes()
    current = service()

    def build() -> dict:
        kinds = {kind: 0 for kind in KINDS}
        red_links, orphans = [], []
        for slug in idx.sorted_slugs:
            node = idx.concepts[slug]
            kinds[node.concept_kind] = kinds.get(node.concept_kind, 0) + 1
            incoming = idx.link_sources(slug)
            if not node.has_article and incoming:
                red_links.append(slug)
            if node.has_article and not incoming:
                orphans.append(slug)
        edges = sum(len(v) for v in idx.out.values())
        return {
            "version": current.store.version,
            "triples": current.store.triple_count(),
            "concepts": len(idx.concepts),
            "kinds": kinds,
            "keywords": len(idx.keywords),
            "organizations": len(idx.organizations),
            "links": idx.link_count,
            "edges": edges,
            "relations": {rel: sum(1 for v in idx.out.values() for e in v if e.relation == rel)
                          for rel in sorted(idx.relations)},
            "red_links": {"count": len(red_links), "slugs": red_links[:100]},
            "orphans": {"count": len(orphans), "slugs": orphans[:100]},
            "index_build_seconds": round(idx.build_seconds, 3),
            "search_entries": len(idx.search_index),
        }

    return respond(build)


def _validation_report():
    """Return the SHACL report of the served graph file, computed once per graph version."""
    current = service()
    if current.graph_path is None:
        raise Problem(503, "validation-unavailable", "Validation Unavailable",
                      "this app serves a store without a graph file to validate")
    key = (str(current.graph_path), current.store.version)
    with _validation_lock:
        report = _validation_cache.get(key)
        if report is None:
            from graph.build import validate_lines
            from graph.export import ntriples_bytes

            body = ntriples_bytes(current.graph_path)
            report, _, _ = validate_lines(body, current.store.triple_count(), current.vocab,
                                          current.settings.ontology_dir, current.settings.validation_engine)
            if len(_validation_cache) > 4:
                _validation_cache.clear()
            _validation_cache[key] = report
    return report


@bp.get("/api/validation")
def validation() -> Response:
    """Answer the SHACL validation report of the served graph as JSON or RDF."""
    report = _validation_report()
    current = service()
    fmt = wanted_rdf_format(True)
    etag = hashlib.sha256(f"{current.store.version}\nvalidation\n{fmt}".encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    elif fmt is not None:
        graph = report.report_graph
        body = graph.serialize(format=_RDFLIB_FORMATS[fmt]) if graph is not None else ""
        response = Response(body, content_type=f"{MEDIA_TYPES[fmt]}; charset=utf-8")
    else:
        body = {"version": current.store.version, **report.to_json()}
        response = Response(json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8")
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={current.settings.cache_max_age}"
    response.vary.add("Accept")
    return response
