"""REST reports on the whole served graph: /api/stats counts and the /api/validation SHACL report."""

from __future__ import annotations

import json
import threading

from flask import Blueprint, Response, request

from api.http import (
    RDF_MEDIA,
    RDFLIB_NAMES,
    Problem,
    cache_control,
    etag,
    graph,
    respond,
    service,
    wanted_rdf_format,
)
from graph.export import ntriples_bytes
from graph.readmodel.model import CONCEPT_KINDS

bp = Blueprint("reports", __name__)
_validation_cache: dict[tuple[str, str], object] = {}  # measured: the SHACL report takes seconds per version
_validation_lock = threading.Lock()


@bp.get("/api/stats")
def stats() -> Response:
    """Answer counts by kind, red links, orphans, keywords, links and the graph version."""
    current = graph()
    idx = current.model

    def build() -> dict:
        kinds = dict.fromkeys(CONCEPT_KINDS, 0)
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
            "version": current.version,
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


def validation_report():
    """Return the SHACL report of the served graph file, computed once per graph version."""
    current, settings, vocab = graph(), service().settings, service().vocab
    if current.export_path is None:
        raise Problem(503, "validation-unavailable", "Validation Unavailable",
                      "this app serves a store without a graph file to validate")
    key = (str(current.export_path), current.version)
    with _validation_lock:
        report = _validation_cache.get(key)
        if report is None:
            from graph.pipeline.build import (
                validate_lines,  # the whole pipeline: only when a report is asked for
            )

            body = ntriples_bytes(current.export_path)
            report, _, _ = validate_lines(body, current.store.triple_count(), vocab, settings.ontology_dir,
                                          settings.validation_engine)
            if len(_validation_cache) > 4:
                _validation_cache.clear()
            _validation_cache[key] = report
    return report


@bp.get("/api/validation")
def validation() -> Response:
    """Answer the SHACL validation report of the served graph as JSON or RDF."""
    report = validation_report()
    version = graph().version
    fmt = wanted_rdf_format(True)
    tag = etag(version, "validation", str(fmt))
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    elif fmt is not None:
        shapes = report.report_graph
        body = shapes.serialize(format=RDFLIB_NAMES[fmt]) if shapes is not None else ""
        response = Response(body, content_type=f"{RDF_MEDIA[fmt]}; charset=utf-8")
    else:
        body = {"version": version, **report.to_json()}
        response = Response(json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8")
    response.set_etag(tag)
    response.headers["Cache-Control"] = cache_control()
    response.vary.add("Accept")
    return response
