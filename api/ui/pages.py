"""The HTML pages that are not Linked Data resources: home, SPARQL editor and validation report.

Usage::

    open http://127.0.0.1:8000/             # search, statistics, keywords, red links and orphans
    open http://127.0.0.1:8000/query        # SPARQL editor with the example queries
    open http://127.0.0.1:8000/validation   # the SHACL report by severity and source file

Concept, keyword and ontology pages are served by ``api.linked_data`` (content negotiation). Every page is
a Jinja template (``templates/``) with autoescaping; scripts and styles come from ``static/`` only (see the
CSP header); what a page shows is gathered by ``presenters.py`` from the read model.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from api.examples import EXAMPLES
from api.http import graph, service
from api.linked_data import html_response
from api.rest.reports import validation_report
from api.ui.presenters import home_page, node_link, validation_groups
from graph.readmodel.search import highlight
from graph.store.results import RESULT_FORMATS
from graph.vocab import SEVERITIES

bp = Blueprint("ui", __name__)

MAX_QUERY_CHARS = 200
VALIDATION_ITEMS_SHOWN = 2000  # per severity; /api/validation has them all


@bp.get("/")
def home() -> Response:
    """Show the search box, graph statistics, keywords with counts, red links and orphans."""
    idx = graph().model
    query = (request.args.get("q") or "").strip()[:MAX_QUERY_CHARS]
    hits = []
    if query and "\x00" not in query:
        for hit in idx.search(query, 20):
            span = highlight(hit.text, hit.form, hit.offset, hit.length, hit.key_form)
            start, end = (span["start"], span["end"]) if span else (0, 0)
            hits.append((node_link(idx, "concept", hit.slug), hit.field,
                         (hit.text[:start], hit.text[start:end], hit.text[end:])))
    return html_response("home.html", page=home_page(idx), query=query, hits=hits)


@bp.get("/query")
def sparql_page() -> Response:
    """Show the SPARQL editor, the example queries, and the result formats to download."""
    text = request.args.get("query") or EXAMPLES[0][2]
    formats = [(name, media, kind) for name, (media, kind) in RESULT_FORMATS.items()]
    return html_response("sparql.html", examples=EXAMPLES, query=text, formats=formats,
                         prefixes=service().vocab.prefixes(), base=service().vocab.base)


@bp.get("/validation")
def validation_page() -> Response:
    """Show the SHACL report of the served graph grouped by severity and by source file."""
    idx = graph().model
    report = validation_report()
    return html_response("validation.html", groups=validation_groups(idx, report, VALIDATION_ITEMS_SHOWN),
                         severities=SEVERITIES, counts=report.counts(), conforms=report.conforms,
                         shown=VALIDATION_ITEMS_SHOWN)
