"""Pick the concepts a run rotates over and build each workload's REST and SPARQL requests."""

from __future__ import annotations

import itertools
import json
import random
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from bench.corpus import sentence_pool
from bench.serve.servers import BenchError, http_get
from bench.serve.wrk import WRK_TIMEOUT_S

ROTATION = 200  # slugs / search queries a workload rotates over
WORST_LIMIT = 500  # the largest neighbourhood limit the REST API allows (api/rest/neighbours.py)
WORST_NEIGHBOURS = ("/neighbours?depth=3&direction=both&relation=linksTo,hasKeyword,definesTerm,definedIn,mentions"
                    f"&limit={WORST_LIMIT}")
SKOS = "http://www.w3.org/2004/02/skos/core#"
PREFIXES = "PREFIX skos: <{skos}>\nPREFIX mkg: <{mkg}>\n"


_NT_LINE = re.compile(
    r'^<([^>]+)> <([^>]+)> (?:<([^>]+)>|"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<[^>]+>)?) \.$'
)


@dataclass
class Sample:
    """Concepts and search strings a run rotates over, read from graph.nt."""

    mkg: str
    concepts: list[tuple[str, str]]  # (slug, iri)
    queries: list[str]
    total_concepts: int
    labels: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    every_concept: list[tuple[str, str]] = field(default_factory=list, repr=False)  # all, in a shuffled order
    every_query: list[str] = field(default_factory=list, repr=False)  # one search string per concept


def sample_graph(nt: Path, count: int = ROTATION) -> Sample:
    """Pick `count` concepts evenly over the sorted concept slugs and derive search strings from their labels."""
    slugs: dict[str, str] = {}
    labels: dict[str, dict[str, str]] = {}
    mkg = None
    with nt.open(encoding="utf-8") as f:
        for line in f:
            if "/concept/" not in line[:300]:
                continue
            m = _NT_LINE.match(line.rstrip("\n"))
            if not m:
                continue
            s, p, _, lit, lang = m.groups()
            if "/concept/" not in s or lit is None or "\\" in lit:
                continue
            if p.endswith("#slug"):
                slugs[s] = lit
                mkg = p[: -len("slug")]
            elif p == SKOS + "prefLabel" and lang:
                labels.setdefault(s, {})[lang.lower()] = lit
    if not slugs or mkg is None:
        raise BenchError(f"no concepts with a slug in {nt}")
    ordered = sorted((slug, iri) for iri, slug in slugs.items())
    step = len(ordered) / min(count, len(ordered))
    picked = [ordered[int(i * step)] for i in range(min(count, len(ordered)))]
    every = list(ordered)
    random.Random(0).shuffle(every)  # deterministic; neighbouring requests are unrelated concepts
    return Sample(mkg=mkg, concepts=picked, queries=_queries(picked, labels) or ["marketing"],
                  total_concepts=len(slugs), every_concept=every, every_query=_queries(every, labels))


def _queries(concepts: list[tuple[str, str]], labels: dict[str, dict[str, str]]) -> list[str]:
    """Return a search string per concept: its Arabic label's first word (and a prefix of the second), or a word
    of its English label."""
    queries = []
    for i, (_, iri) in enumerate(concepts):
        ar, en = labels.get(iri, {}).get("ar"), labels.get(iri, {}).get("en")
        if i % 4 == 3 and en and len(en.split()) >= 3:
            queries.append(en.split()[2].lower())  # "Concept 00042 Seasonal ..." -> "seasonal"
        elif ar:
            words = ar.split()
            queries.append(words[0] if i % 2 == 0 or len(words) < 2 else f"{words[0]} {words[1][:3]}")
    return queries


def text_search_queries(count: int = ROTATION) -> list[str]:
    """Return `count` two-word phrases of the generated corpus's sentences (bench.corpus), in a fixed order."""
    phrases = []
    for sentence in sentence_pool():
        words = [w for w in sentence.rstrip(".").split() if len(w) > 3]
        phrases.extend(f"{a} {b}" for a, b in itertools.pairwise(words))
    unique = list(dict.fromkeys(phrases))
    random.Random(1).shuffle(unique)
    return unique[:count]


@dataclass
class Workload:
    """One request mix: the same logical look-ups on every server."""

    name: str
    ours: list[tuple[str, dict[str, str]]]  # (path?query, headers)
    peer: list[tuple[str, dict[str, str]]]  # Oxigraph server's /query
    note: str = ""
    expect: tuple[int, ...] = (200, 304)  # our statuses that count as answered (404 for unknown slugs)
    virtuoso: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # the peer's queries on /sparql

    @property
    def replica(self) -> list[tuple[str, dict[str, str]]]:
        """Our requests, sent to a replica on the remote store (`mkg serve --store`)."""
        return self.ours


def unknown_slug(slug: str) -> str:
    """Return a slug that looks like a typo of `slug`: a letter dropped, or two words swapped."""
    words = slug.split("-")
    if len(words) > 2 and len(slug) % 2:
        words[0], words[1] = words[1], words[0]
        return "-".join(words)
    middle = len(slug) // 2
    return slug[:middle] + slug[middle + 1:] + ("x" if len(slug) < 4 else "")


def _sparql_path(endpoint: str, query: str) -> str:
    """Return endpoint?query=... for a GET of query."""
    return endpoint + "?" + urllib.parse.urlencode({"query": query})


def _q(text: str) -> str:
    """Quote a Python string as a SPARQL string literal."""
    return json.dumps(text, ensure_ascii=False)


def build_workloads(sample: Sample, ours_url: str, virtuoso_graph: str | None = None) -> list[Workload]:
    """Return the REST-vs-SPARQL and SPARQL-vs-SPARQL workloads for this sample (the peer's queries also for
    Virtuoso's /sparql on `virtuoso_graph`, when given)."""
    pre = PREFIXES.format(skos=SKOS, mkg=sample.mkg)
    json_h = {"Accept": "application/json"}
    sel_h = {"Accept": "application/sparql-results+json"}
    nt_h = {"Accept": "application/n-triples"}

    def peer(query: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
        return _sparql_path("/query", pre + query), headers

    def ours_sparql(query: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
        return _sparql_path("/sparql", pre + query), headers

    q_slug = urllib.parse.quote
    # The facts our concept answer holds (api/concepts.py): the concept's triples with the label and article
    # flag of what they point at, its article's triples and fragment nodes (sections, FAQ questions and their
    # answers, key figures, the take-away list), the anchors of its links both ways, and its backlinks and
    # other incoming relations with their labels. (Until 2026-12-04 the peer ran only the first branches:
    # labels, keywords and outgoing links, about a third of the answer.)
    detail = """PREFIX schema: <https://schema.org/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?s ?p ?o ?label ?hasArticle WHERE {
  VALUES ?c { <%s> }
  { ?c ?p ?o BIND(?c AS ?s) OPTIONAL { ?o skos:prefLabel ?label } OPTIONAL { ?o mkg:hasArticle ?hasArticle } }
  UNION { ?c schema:subjectOf ?s . ?s ?p ?o FILTER(?p != mkg:link) }
  UNION { ?c schema:subjectOf ?a . ?a ?via ?s FILTER(?via != mkg:link && isIRI(?s) && STRSTARTS(STR(?s), STR(?a)))
          ?s ?p ?o }
  UNION { ?c schema:subjectOf ?a . ?a ?via ?q . ?q ?via2 ?s
          FILTER(?via != mkg:link && isIRI(?s) && STRSTARTS(STR(?s), STR(?a))) ?s ?p ?o }
  UNION { ?c mkg:keyFigure ?s . ?s ?p ?o }
  UNION { ?c mkg:takeaway/rdf:rest* ?s . ?s rdf:first ?o }
  UNION { ?link mkg:linkTarget ?c ; mkg:linkSource ?s ; mkg:anchorText ?o }
  UNION { ?link mkg:linkSource ?c ; mkg:linkTarget ?s ; mkg:anchorText ?o }
  UNION { ?s ?p ?c FILTER(?p NOT IN (mkg:linkTarget, mkg:linkSource))
          OPTIONAL { ?s skos:prefLabel ?label } OPTIONAL { ?s mkg:hasArticle ?hasArticle } }
}"""
    neighbours = """SELECT ?direction ?n ?label WHERE {
  VALUES ?c { <%s> }
  { ?c mkg:linksTo ?n BIND("out" AS ?direction) } UNION { ?n mkg:linksTo ?c BIND("in" AS ?direction) }
  OPTIONAL { ?n skos:prefLabel ?label }
} LIMIT 200"""
    related = """SELECT ?d (COUNT(*) AS ?score) WHERE {
  VALUES ?c { <%s> }
  { ?c mkg:linksTo ?d } UNION { ?d mkg:linksTo ?c } UNION { ?c mkg:hasKeyword ?k . ?d mkg:hasKeyword ?k }
  UNION { ?a mkg:linksTo ?c . ?a mkg:linksTo ?d } UNION { ?c mkg:linksTo ?t . ?d mkg:linksTo ?t }
  FILTER(?d != ?c)
} GROUP BY ?d ORDER BY DESC(?score) ?d LIMIT 10"""
    relation = "(mkg:linksTo|^mkg:linksTo|mkg:hasKeyword|^mkg:hasKeyword|mkg:definesTerm|^mkg:definesTerm" \
               "|mkg:definedIn|^mkg:definedIn|mkg:mentions|^mkg:mentions)"
    worst = f"""SELECT DISTINCT ?n ?label WHERE {{
  VALUES ?c {{ <%s> }}
  ?c {relation}/{relation}?/{relation}? ?n
  OPTIONAL {{ ?n skos:prefLabel ?label }}
}} LIMIT {WORST_LIMIT}"""
    search = """SELECT ?c ?label WHERE {
  ?c skos:prefLabel|skos:altLabel ?label .
  FILTER(CONTAINS(LCASE(STR(?label)), %s))
} LIMIT 10"""
    text_search = """PREFIX schema: <https://schema.org/>
SELECT ?s WHERE { ?s schema:text ?text . FILTER(CONTAINS(?text, %s)) } LIMIT 10"""
    join = """SELECT ?target ?targetLabel ?keyword ?keywordLabel WHERE {
  VALUES ?slug { %s }
  ?c mkg:slug ?slug ; mkg:linksTo ?target .
  ?target skos:prefLabel ?targetLabel ; mkg:hasKeyword ?keyword .
  ?keyword skos:prefLabel ?keywordLabel .
} ORDER BY ?target ?keyword LIMIT 500"""
    construct = """CONSTRUCT { ?c ?p ?o . ?o skos:prefLabel ?label } WHERE {
  VALUES ?slug { %s }
  ?c mkg:slug ?slug ; ?p ?o .
  OPTIONAL { ?o skos:prefLabel ?label }
}"""
    # REST look-ups in two variants, as the SPARQL ones: "distinct" cycles through every concept (a shuffled
    # order) with Cache-Control: no-cache, so no kept answer or per-concept cache serves it (the peer ignores the
    # header); "repeated" rotates over ROTATION concepts, where our answer cache may answer.
    fresh = {**json_h, "Cache-Control": "no-cache"}
    fresh_sel = {**sel_h, "Cache-Control": "no-cache"}
    work = []
    for name, suffix, template in (
        ("concept detail", "", detail),
        ("neighbours depth=1", "/neighbours?depth=1", neighbours),
        ("related", "/related?limit=10", related),
    ):
        for variant, concepts, ours_h, peer_h in (("distinct", sample.every_concept, fresh, fresh_sel),
                                                  ("repeated", sample.concepts, json_h, sel_h)):
            work.append(Workload(
                f"{name}, {variant}",
                [(f"/api/concepts/{q_slug(s, safe='')}{suffix}", ours_h) for s, _ in concepts],
                [peer(template % iri, peer_h) for _, iri in concepts],
                "Cache-Control: no-cache, every concept" if variant == "distinct" else f"{len(concepts)} concepts",
            ))
    # the costliest parameters of the neighbourhood: every relation, both ways, three hops, the largest limit
    work.append(Workload(
        "neighbours worst params, distinct",
        [(f"/api/concepts/{q_slug(s, safe='')}{WORST_NEIGHBOURS}", fresh) for s, _ in sample.every_concept],
        [peer(worst % iri, fresh_sel) for _, iri in sample.every_concept],
        "Cache-Control: no-cache, every concept; compare with concept detail, distinct",
    ))
    # Unknown slugs (a site full of broken links, a crawler): every request a different slug that no concept has,
    # answered 404 with suggestions, as JSON and as the HTML page; beside them the known concept page in HTML.
    # The peer runs the concept-detail query for an IRI that does not exist (an empty answer).
    known = {s for s, _ in sample.every_concept}
    unknown = [(u, iri + "-missing") for (s, iri) in sample.every_concept if (u := unknown_slug(s)) not in known]
    html_h = {"Accept": "text/html", "Cache-Control": "no-cache"}
    work.append(Workload("concept detail, unknown slug", [(f"/api/concepts/{q_slug(u, safe='')}", fresh)
                                                          for u, _ in unknown],
                         [peer(detail % iri, fresh_sel) for _, iri in unknown],
                         "404 problem+json with suggestions, a different unknown slug each request", (404,)))
    work.append(Workload("concept page (HTML), distinct", [(f"/concept/{q_slug(s, safe='')}", html_h)
                                                           for s, _ in sample.every_concept],
                         [peer(detail % iri, fresh_sel) for _, iri in sample.every_concept],
                         "Accept: text/html, every concept"))
    work.append(Workload("concept page (HTML), unknown slug", [(f"/concept/{q_slug(u, safe='')}", html_h)
                                                               for u, _ in unknown],
                         [peer(detail % iri, fresh_sel) for _, iri in unknown],
                         "the HTML 404 page with the closest slugs", (404,)))
    for variant, queries, ours_h, peer_h in (("distinct", sample.every_query, fresh, fresh_sel),
                                             ("repeated", sample.queries, json_h, sel_h)):
        work.append(Workload(
            f"search, {variant}",
            [("/api/search?" + urllib.parse.urlencode({"q": q, "limit": 10}), ours_h) for q in queries],
            [peer(search % _q(q.lower()), peer_h) for q in queries],
            "Cache-Control: no-cache, a query per concept" if variant == "distinct" else f"{len(queries)} queries",
        ))
    # full-text search of the articles' text: two words of the corpus's sentences, every word required, BM25; the
    # peer has no article text, so the nearest it can do is a substring filter over the graph's longest texts
    # (FAQ answers, schema:text)
    text_queries = text_search_queries()
    work.append(Workload(
        "search (text), distinct",
        [("/api/search?" + urllib.parse.urlencode({"q": q, "in": "text", "limit": 10}), fresh) for q in text_queries],
        [peer(text_search % _q(q), fresh_sel) for q in text_queries],
        "Cache-Control: no-cache, two words of the corpus's sentences; the peer: CONTAINS over schema:text",
    ))
    concepts = sample.concepts
    work += [
        Workload(
            "sparql SELECT join, distinct",
            [ours_sparql(join % _q(s), sel_h) for s, _ in concepts],
            [peer(join % _q(s), sel_h) for s, _ in concepts],
        ),
        Workload(
            "sparql CONSTRUCT, distinct",
            [ours_sparql(construct % _q(s), nt_h) for s, _ in concepts],
            [peer(construct % _q(s), nt_h) for s, _ in concepts],
        ),
    ]
    hub = concepts[0][0]
    for name, template, headers in (
        ("sparql SELECT join, repeated", join, sel_h),
        ("sparql CONSTRUCT, repeated", construct, nt_h),
    ):
        path, _ = ours_sparql(template % _q(hub), headers)
        status, resp_headers, _ = http_get(ours_url + path, headers)
        etag = next((v for k, v in resp_headers.items() if k.lower() == "etag"), None)
        conditional = {**headers, "If-None-Match": etag} if etag else headers
        note = "If-None-Match: our ETag" if etag else f"no ETag from ours (status {status})"
        work.append(Workload(name, [(path, conditional)], [peer(template % _q(hub), conditional)], note))
    if virtuoso_graph:  # the same query texts, naming the pushed version as the default graph
        # and wrk's timeout as Virtuoso's: past it Virtuoso sends what it has (an "anytime" answer, its p50
        # then shows ~30 s) rather than evaluate on, unbounded, under the workloads that follow
        graph = urllib.parse.urlencode({"default-graph-uri": virtuoso_graph, "timeout": str(WRK_TIMEOUT_S * 1000)})
        for w in work:
            w.virtuoso = [("/sparql?" + graph + "&" + path.split("?", 1)[1], headers) for path, headers in w.peer]
            if w.name.startswith("neighbours worst params"):
                # three hops of ten alternatives: no answer within 120 s even at 1,000 articles, and its timeout
                # does not stop it, so it would load the store under every later workload: not sent (skipped)
                w.virtuoso = []
    return work
