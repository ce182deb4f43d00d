"""Hash the answers of a fixed list of requests, to prove a redesign leaves every answer byte-identical.

The script starts `mkg serve --graph GRAPH` from a checkout (its own `graph/` and `api/` first on
PYTHONPATH), sends a fixed, deterministic list of requests (REST, Linked Data, exports, SPARQL in every
format, 301/303/404/406, UI pages), and records per request the sha256 of its status, Content-Type,
Location and body. Run it on two commits and compare the two files:

Usage::

    python -m bench answers --checkout /tmp/base --graph build/graph.nt --out /tmp/base.json
    python -m bench answers --graph build/graph.nt --out /tmp/new.json
    python -m bench answers --compare /tmp/base.json /tmp/new.json

Requests go through urllib (no Accept-Encoding, so no gzip), to one gunicorn worker.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import urllib.parse
from pathlib import Path

from bench.serve.servers import Server, free_port, http_get, wait_ready

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_SLUG = re.compile(rb'^<([^>]+)/(concept|keyword|organization)/([^>/#]+)> <[^>]+#slug> "', re.M)
_KIND_IRI = re.compile(rb"^<([^>]+)/(keyword|organization)/([^>/#]+)> ", re.M)

RDF_ACCEPTS = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")
SELECT_FORMATS = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                  "text/tab-separated-values")
GRAPH_FORMATS = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")


def _slugs(graph: Path) -> tuple[list[str], list[str], list[str]]:
    """Return the sorted concept, keyword and organization slugs named in an N-Triples or Turtle graph."""
    data = graph.read_bytes()
    concepts = sorted({m.group(3).decode() for m in _SLUG.finditer(data) if m.group(2) == b"concept"})
    keywords = sorted({m.group(3).decode() for m in _KIND_IRI.finditer(data) if m.group(2) == b"keyword"})
    organizations = sorted({m.group(3).decode() for m in _KIND_IRI.finditer(data) if m.group(2) == b"organization"})
    return concepts, keywords, organizations


def _spread(items: list[str], count: int) -> list[str]:
    """Return `count` items evenly spread over `items` (all of them when fewer)."""
    if len(items) <= count:
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


def _sparql(query: str, accept: str, **extra: str) -> tuple[str, dict[str, str]]:
    return "/sparql?" + urllib.parse.urlencode({"query": query, **extra}), {"Accept": accept}


def requests_for(graph: Path, per_kind: int = 12) -> list[tuple[str, dict[str, str]]]:
    """Return the fixed list of (path?query, headers) for the graph (about 250 for a large one)."""
    concepts, keywords, organizations = _slugs(graph)
    picked = _spread([quote(s) for s in concepts], per_kind)
    kws = _spread([quote(s) for s in keywords], 4)
    orgs = _spread([quote(s) for s in organizations], 3)
    json_h, html_h = {"Accept": "application/json"}, {"Accept": "text/html"}
    out: list[tuple[str, dict[str, str]]] = []
    add = out.append
    for path in ("/api/concepts", "/api/concepts?limit=7&offset=3", "/api/concepts?kind=redlink&lang=en",
                 "/api/concepts?has_article=true&limit=500", "/api/keywords", "/api/keywords?limit=3&offset=1",
                 "/api/stats", "/api/validation", "/openapi.json", "/health", "/api/concepts?limit=0",
                 "/api/concepts?kind=nope", "/api/concepts?limit=5&limit=6"):
        add((path, json_h))
    add(("/api/validation", {"Accept": "text/turtle"}))
    add(("/api/concepts?limit=3", {"Accept": "text/turtle"}))
    for index, slug in enumerate(picked):
        base = f"/api/concepts/{slug}"
        add((base, json_h))
        add((base + "?lang=en", json_h))
        add((base, {"Accept": RDF_ACCEPTS[index % 3]}))
        add((base + "/neighbours", json_h))
        add((base + "/neighbours?depth=2&direction=out&relation=linksTo,hasKeyword", json_h))
        add((base + "/neighbours?depth=3&limit=20", {"Accept": "text/turtle"}))
        add((base + "/related?limit=5", json_h))
        add((base + "/related", {"Accept": "application/n-triples"}))
        add((f"/concept/{slug}", {"Accept": RDF_ACCEPTS[index % 4]}))
        add((f"/concept/{slug}", html_h))
        add((f"/concept/{slug}?format=jsonld", {}))
        add((f"/article/{slug}", {}))
        add((f"/api/path?from={slug}&to={picked[(index + 3) % len(picked)]}&direction=both", json_h))
        add((f"/api/path?from={slug}&to={picked[(index + 1) % len(picked)]}", {"Accept": "text/turtle"}))
        add(("/api/concepts/" + slug.upper().replace("-", "_"), json_h))  # 301 (or 404) for another spelling
        add((f"/concept/{slug.upper()}", html_h))
    for slug in kws:
        add((f"/api/keywords/{slug}", json_h))
        add((f"/api/keywords/{slug}?limit=2", {"Accept": "text/turtle"}))
        add((f"/keyword/{slug}", html_h))
        add((f"/keyword/{slug}", {"Accept": "text/turtle"}))
        add((f"/api/concepts?keyword={slug}&limit=5", json_h))
    for slug in orgs:
        add((f"/organization/{slug}", html_h))
        add((f"/organization/{slug}", {"Accept": "application/n-triples"}))
    # searches: label words, prefixes, Latin, Arabic with diacritics, nothing found, errors
    for text in ("تسويق", "التَّسويق الفيروسي", "marketing", "seo", "concept 0001", "تس", "zzzqqq", "ال",
                 "customer", " ", "x" * 201):
        add(("/api/search?" + urllib.parse.urlencode({"q": text}), json_h))
    add(("/api/search?" + urllib.parse.urlencode({"q": "تسويق", "limit": 3, "lang": "en"}), {"Accept": "text/turtle"}))
    # unknown slugs: JSON 404s with suggestions, the HTML 404 page
    for unknown in ("no-such-concept", "viral-marketin", "marketing-viral", "zz", "concept-00001-x",
                    picked[0] + "-missing" if picked else "a-b", "%D8%AA%D8%B3%D9%88%D9%8A%D9%82"):
        add((f"/api/concepts/{unknown}", json_h))
        add((f"/concept/{unknown}", html_h))
        add((f"/concept/{unknown}", {"Accept": "text/turtle"}))
        add((f"/api/concepts/{unknown}/neighbours", json_h))
    add(("/api/keywords/no-such-keyword", json_h))
    add(("/keyword/no-such-keyword", html_h))
    add(("/organization/no-such-org", {"Accept": "text/turtle"}))
    add(("/api/path?from=no-such&to=" + (picked[0] if picked else "x"), json_h))
    add(("/concept/" + (picked[0] if picked else "x"), {"Accept": "image/png"}))  # 406
    # Linked Data and UI pages
    for path, headers in (("/", html_h), ("/?q=%D8%AA%D8%B3%D9%88%D9%8A%D9%82", html_h), ("/?q=marketing", html_h),
                          ("/query", html_h), ("/validation", html_h), ("/docs", html_h), ("/ontology", html_h),
                          ("/ontology", {"Accept": "text/turtle"}), ("/ontology?format=jsonld", {}),
                          ("/ontology?format=rdfxml", {}), ("/sparql", html_h), ("/sparql", {"Accept": "text/turtle"}),
                          ("/sparql", {"Accept": "application/ld+json"})):
        add((path, headers))
    # exports
    for name in ("graph.ttl", "graph.nt", "graph.jsonld", "ontology.ttl", "shapes.ttl", "nope.ttl"):
        add((f"/export/{name}", {}))
    # SPARQL: every result format, row caps, errors and refusals
    select = ("SELECT ?c ?l WHERE { ?c a mkg:Concept ; skos:prefLabel ?l } ORDER BY ?c ?l LIMIT 50")
    for accept in SELECT_FORMATS:
        add(_sparql(select, accept))
        add(_sparql("SELECT ?s ?p ?o WHERE { ?s a mkg:Link ; ?p ?o }", accept))  # over the row cap (large graphs)
        add(_sparql("ASK { ?s a mkg:Concept }", accept))
    add(_sparql(select.replace("LIMIT 50", "LIMIT 20000"), "application/sparql-results+json"))
    add(_sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "application/sparql-results+json"))
    add(_sparql("SELECT ?x WHERE { ?s ?p ?o } LIMIT 3", "application/sparql-results+json", format="csv"))
    for accept in GRAPH_FORMATS:
        for slug in picked[:3]:
            add(_sparql(f"CONSTRUCT {{ ?c ?p ?o . ?o skos:prefLabel ?l }} WHERE {{ VALUES ?slug {{ \"{unquote(slug)}\" }} "
                        "?c mkg:slug ?slug ; ?p ?o . OPTIONAL { ?o skos:prefLabel ?l } }", accept))
            add(_sparql(f"DESCRIBE <https://marketing-kg.example/concept/{slug}>", accept))
        add(_sparql("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", accept))  # over the row cap
        add(_sparql("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 25", accept))
        add(_sparql("CONSTRUCT WHERE { ?s a mkg:Keyword ; ?p ?o }", accept))
    add(_sparql("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5", "text/turtle", format="nt"))
    add(_sparql("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5", "application/sparql-results+json"))  # 406
    for bad in ("SELECT * WHERE { ?s ?p }", "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
                "INSERT DATA { <a:b> <a:c> <a:d> }", "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }"):
        add(_sparql(bad, "application/sparql-results+json"))
    return out


def quote(slug: str) -> str:
    """Percent-encode a slug for a URL path segment."""
    return urllib.parse.quote(slug, safe="")


def unquote(slug: str) -> str:
    """Undo quote()."""
    return urllib.parse.unquote(slug)


UNSTABLE = ("/api/validation\t", "/sparql\t", "/api/stats\t")
"""Answers that differ between two runs of the same code (rdflib writes fresh blank node ids; /api/stats has
the read model's build time): compared on their
status and Content-Type only."""


def answer_hash(status: int, headers: dict[str, str], body: bytes) -> str:
    """Return the sha256 of what an answer is compared on: status, Content-Type, Location and body."""
    lower = {k.lower(): v for k, v in headers.items()}
    head = f"{status}\n{lower.get('content-type', '')}\n{lower.get('location', '')}\n".encode()
    return hashlib.sha256(head + body).hexdigest()


def hash_answers(checkout: Path, graph: Path, log: Path) -> dict[str, dict]:
    """Serve `graph` with the checkout's code and return {request key: {hash, status, bytes}}."""
    import os
    import sys as _sys

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MKG_")}
    env.update(MKG_CONFIG=os.devnull, PYTHONPATH=str(checkout), PYTHONHASHSEED="0")  # rdflib output order
    cmd = [_sys.executable, "-m", "graph.cli", "serve", "--graph", str(graph), "--host", "127.0.0.1", "--port",
           str(port), "--workers", "1", "--threads", "4"]
    url = f"http://127.0.0.1:{port}"
    found: dict[str, dict] = {}
    with Server("mkg serve", cmd, log, cwd=checkout, env=env) as server:
        wait_ready(server, url + "/ready")
        for path, headers in requests_for(graph):
            key = path + "\t" + json.dumps(headers, sort_keys=True)
            status, answer_headers, body = http_get(url + path, headers)
            found[key] = {"hash": answer_hash(status, answer_headers, body), "status": status, "bytes": len(body),
                          "type": {k.lower(): v for k, v in answer_headers.items()}.get("content-type", "")}
    return found


def compare(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
    """Return a line per request whose answer differs (or that only one side has)."""
    lines = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if key.startswith(UNSTABLE) and old and new:
            same = (old["status"], old.get("type")) == (new["status"], new.get("type"))
        else:
            same = bool(old and new and old["hash"] == new["hash"])
        if not same:
            lines.append(f"{key}: {old and (old['status'], old['bytes'])} -> {new and (new['status'], new['bytes'])}")
    return lines


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `answers` subcommand to the bench CLI."""
    p = subparsers.add_parser("answers", help="hash the answers of a fixed list of requests (before/after)")
    p.add_argument("--checkout", type=Path, default=PROJECT_ROOT, help="the code to serve with (default: this one)")
    p.add_argument("--graph", type=Path, action="append", default=[], help="graph file(s) to serve (repeatable)")
    p.add_argument("--out", type=Path, help="write {graph: {request: hash}} here as JSON")
    p.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"), help="compare two outputs")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    """Run `python -m bench answers`."""
    if args.compare:
        before, after = (json.loads(p.read_text()) for p in args.compare)
        differences = 0
        for name in sorted(set(before) | set(after)):
            lines = compare(before.get(name, {}), after.get(name, {}))
            total = len(set(before.get(name, {})) | set(after.get(name, {})))
            print(f"{name}: {total - len(lines)} of {total} answers identical")
            for line in lines:
                print("  " + line)
            differences += len(lines)
        return 1 if differences else 0
    result = {}
    for graph in args.graph:
        log = Path(args.out or "answers").with_suffix(f".{graph.parent.name}.log")
        result[str(graph)] = hash_answers(args.checkout.resolve(), graph.pipeline.resolve(), log)
        print(f"{graph}: {len(result[str(graph)])} answers", file=sys.stderr)
    text = json.dumps(result, indent=1, ensure_ascii=False)
    if args.out:
        args.out.write_text(text)
    else:
        print(text)
    return 0
