"""The HTML pages that are not Linked Data resources: home, SPARQL editor and validation report.

Usage::

    open http://127.0.0.1:8000/             # search (names and article text), statistics, keywords, red links
    open http://127.0.0.1:8000/sparql       # SPARQL editor (Yasqe + Yasr) with the example queries
    open http://127.0.0.1:8000/validation   # the SHACL report by severity and source file
    <script src="http://127.0.0.1:8000/widget.js" defer></script>   # <mkg-related slug="…"> on another site

Concept, keyword and ontology pages are served by ``api.linked_data`` (content negotiation). Every page is
a Jinja template (``templates/``) with autoescaping; scripts and styles come from ``static/`` only (see the
CSP header); what a page shows is gathered by ``presenters.py`` from the read model.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, request, send_from_directory

from api.examples import EXAMPLES
from api.http import graph, policy_with_styles, service
from api.linked_data import html_response
from api.rest.reports import validation_report
from api.ui.presenters import home_page, node_link, recent_changes, text_hits, validation_groups
from graph.readmodel.search import highlight
from graph.store.results import RESULT_FORMATS
from graph.vocab import SEVERITIES

bp = Blueprint("ui", __name__)

MAX_QUERY_CHARS = 200
DESCRIPTION_TYPES = (("turtle", "text/turtle"), ("jsonld", "application/ld+json"), ("rdfxml", "application/rdf+xml"))
TEXT_HITS_SHOWN = 20
VALIDATION_ITEMS_SHOWN = 2000  # per severity; /api/validation has them all


@bp.get("/")
def home() -> Response:
    """Show the search box, graph statistics, keywords with counts, red links and orphans."""
    idx = graph().model
    query = (request.args.get("q") or "").strip()[:MAX_QUERY_CHARS]
    hits, found_in_text = [], None
    if query and "\x00" not in query:
        for hit in idx.search(query, 20):
            span = highlight(hit.text, hit.form, hit.offset, hit.length, hit.key_form)
            start, end = (span["start"], span["end"]) if span else (0, 0)
            hits.append((node_link(idx, "concept", hit.slug), hit.field,
                         (hit.text[:start], hit.text[start:end], hit.text[end:])))
        found_in_text = text_hits(idx, query, TEXT_HITS_SHOWN)
    page = home_page(idx)
    return html_response("home.html", page=page, query=query, hits=hits, text_hits=found_in_text,
                         recent=recent_changes(idx, page.version))


@bp.get("/query")
def old_sparql_page() -> Response:
    """Send the editor's old address to /sparql (308); a query in the URL comes along in the fragment."""
    text = request.args.get("query")
    return redirect("/sparql" + ("#" + urlencode({"query": text}) if text else ""), code=308)


@functools.lru_cache(maxsize=1)
def yasr_styles() -> tuple[str, ...]:
    """Return the <style> texts Yasr's table adds (its bundled column-resizer): the editor page's CSP allows them."""
    bundle = (Path(__file__).parent / "static" / "vendor" / "yasr" / "yasr.min.js").read_text(encoding="utf-8")
    found = re.search(r"createStyle\(\w,`( \.grip-resizable\{[^`]*)`\)", bundle)
    fixed = (found.group(1),) if found else ()
    # and, built from the resizer's default options, the cursor while a column is dragged or hovered
    return (*fixed, "*{cursor:col-resize!important}", ".grip-handle .grip-resizable:hover{cursor:col-resize!important}")


def sparql_page() -> Response:
    """Return the SPARQL editor page (Yasqe and Yasr), with the example queries and the result formats."""
    current = graph()
    formats = [(name, media, kind) for name, (media, kind) in RESULT_FORMATS.items()]
    response = html_response("sparql.html", examples=EXAMPLES, query=EXAMPLES[0][2], formats=formats,
                             prefixes=service().vocab.prefixes(), base=service().vocab.base, version=current.version,
                             triples=current.store.triple_count(), alternates=DESCRIPTION_TYPES)
    response.headers["Content-Security-Policy"] = policy_with_styles(yasr_styles())
    return response


@bp.get("/widget.js")
def widget() -> Response:
    """Serve the <mkg-related> web component other sites embed (static/widget.js; CORS like the data paths)."""
    response = send_from_directory(current_app.static_folder, "widget.js", mimetype="text/javascript",
                                   max_age=service().settings.cache_max_age, conditional=True, etag=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/validation")
def validation_page() -> Response:
    """Show the SHACL report of the served graph grouped by severity and by source file."""
    idx = graph().model
    report = validation_report()
    return html_response("validation.html", groups=validation_groups(idx, report, VALIDATION_ITEMS_SHOWN),
                         severities=SEVERITIES, counts=report.counts(), conforms=report.conforms,
                         shown=VALIDATION_ITEMS_SHOWN)
