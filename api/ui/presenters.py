"""What the HTML pages show, gathered from the same indexes and fact functions the REST API answers from.

Usage::

    page = concept_page(graph().model, "viral-marketing")
    page.title, page.english, [link.label for link in page.links_out]
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import url_for

from api.http import graph, service
from api.rest.params import pick_label
from api.rest.present import concept_facts
from graph import changes
from graph.readmodel.facts import named_facts
from graph.readmodel.indexes import ReadModel
from graph.readmodel.model import local_name
from graph.readmodel.related import related_concepts
from graph.readmodel.text.linking import markdown_link

PREFS = ("ar", "en", "")
RELATION_NAMES = {  # other relations than linksTo/hasKeyword, as (Arabic, English) headings; ^ = inverse
    "definesTerm": ("مصطلحات معرَّفة هنا", "Terms defined in this article"),
    "definedIn": ("معرَّف في", "Defined in"),
    "mentions": ("يذكر", "Mentions"),
    "definesTerm^": ("معرَّف في", "Defined in"),
    "definedIn^": ("مصطلحات معرَّفة هنا", "Terms defined in this article"),
    "mentions^": ("مذكور في", "Mentioned by"),
}
RELATION_WORDS = {  # the relations of the neighbourhood graph (REST names), as (Arabic, English) words
    "linksTo": ("يرتبط بـ", "links to"),
    "hasKeyword": ("كلمة مفتاحية", "has keyword"),
    "definesTerm": ("يعرِّف مصطلحًا", "defines a term"),
    "definedIn": ("معرَّف في", "defined in"),
    "mentions": ("يذكر", "mentions"),
}
REASON_WORDS = {  # the reasons of the related score (graph.readmodel.related.REASONS), as (Arabic, English) words
    "links_to": ("يرتبط به", "links to it"),
    "linked_from": ("يرتبط بهذا المفهوم", "links here"),
    "shared_keywords": ("كلمات مفتاحية مشتركة", "shared keywords"),
    "co_citation": ("تربطهما المقالات نفسها", "linked together from the same articles"),
    "coupling": ("يرتبطان بالمفاهيم نفسها", "both link to the same concepts"),
}
KIND_WORDS = {  # concept kinds, as (Arabic, English) words
    "article": ("مقالة", "article"),
    "redlink": ("رابط أحمر: لا مقالة بعد", "red link: no article yet"),
    "term": ("مصطلح معرَّف", "defined term"),
}


def page_url(kind: str, slug: str) -> str:
    """Return the HTML/Linked Data path of a concept, keyword or organization ("" for other kinds)."""
    return f"/{kind}/{quote(slug, safe='')}" if kind in ("concept", "keyword", "organization") else ""


@dataclass(frozen=True)
class NodeLink:
    """A node as a page links to it: Arabic label, English label, where it goes, and why."""

    slug: str
    kind: str
    label: str
    english: str | None
    url: str
    iri: str | None = None
    has_article: bool = True
    note: str = ""


@dataclass(frozen=True)
class Reason:
    """One reason of a related concept's score, in words, with what it came through."""

    arabic: str
    english: str
    contribution: float
    via: list[NodeLink]


def words(table: dict[str, tuple[str, str]], code: str) -> tuple[str, str]:
    """Return the (Arabic, English) words of a code name; an unknown one is shown as it is."""
    return table.get(code, (code, code))


def _reason(idx: ReadModel, reason: dict) -> Reason:
    """Return a related-score reason in words, its "via" slugs as links (keywords, else concepts)."""
    kind = "keyword" if reason["reason"] == "shared_keywords" else "concept"
    arabic, english = words(REASON_WORDS, reason["reason"])
    return Reason(arabic, english, reason["contribution"], [node_link(idx, kind, slug) for slug in reason["via"][:3]])


@dataclass
class ConceptPage:
    """Everything the concept page shows."""

    slug: str
    iri: str
    title: str
    english: str | None
    kind: str
    definition: str | None
    english_definition: str | None
    abbreviations: list[str]
    alt_labels: list[str]
    keywords: list[NodeLink]
    links_out: list[NodeLink]
    links_in: list[NodeLink]
    relations: list[tuple[str, str, list[NodeLink]]]
    related: list[tuple[NodeLink, float, list[Reason]]]
    faq: list[tuple[str, str]]
    takeaways: list[str]
    summary: str | None
    figures: list[tuple[str, str]]
    outline: list[dict]  # {"name", "line", "sections": [...]}: the article's sections, nested
    mentions: list[NodeLink]
    source: str | None
    has_article: bool
    graph_relations: list[tuple[str, str, str]] = field(default_factory=list)  # (code, Arabic, English)
    also_defined_in: list[tuple[NodeLink | None, str, str, str]] = field(default_factory=list)  # where, label, text, file:line
    created: str | None = None
    modified: str | None = None
    authors: list[str] = field(default_factory=list)
    link_suggestions: list[dict] | None = None  # None: the version has no article text

    @property
    def kind_words(self) -> tuple[str, str]:
        return words(KIND_WORDS, self.kind)


def marked_parts(text: str, highlights: list[dict]) -> list[tuple[str, bool]]:
    """Return `text` cut into (piece, is highlighted) parts by {"start", "end"} offsets."""
    parts, at = [], 0
    for span in sorted(highlights, key=lambda h: h["start"]):
        if span["start"] < at:
            continue
        parts += [(text[at:span["start"]], False), (text[span["start"]:span["end"]], True)]
        at = span["end"]
    return [part for part in [*parts, (text[at:], False)] if part[0]]


def suggestion_rows(idx: ReadModel, slug: str) -> list[dict] | None:
    """Return the link suggestions of a concept's article as the page lists them, None without article text."""
    text = idx.text_index()
    if text is None:
        return None
    return [{"target": node_link(idx, "concept", item["target"]), "line": item["line"], "text": item["text"],
             "parts": marked_parts(item["snippet"]["text"], item["snippet"]["highlights"]),
             "markdown": markdown_link(item["text"], item["target"]), "mentions": item["mentions"],
             "linked_at": item["linked_at"]}
            for item in text.suggestions(slug) or ()]


def text_hits(idx: ReadModel, query: str, limit: int) -> list[tuple[NodeLink, list[dict]]] | None:
    """Return the concepts whose article text matches `query`, with their passages, None without article text."""
    text = idx.text_index()
    if text is None:
        return None
    return [(node_link(idx, "concept", hit.slug),
             [{"section": p.section["name"] if p.section else None, "heading": p.heading, "line": p.line,
               "parts": marked_parts(p.snippet["text"], p.snippet["highlights"])} for p in hit.passages])
            for hit in text.search(query, limit) if hit.slug in idx.concepts]


def node_link(idx: ReadModel, kind: str, slug: str, note: str = "") -> NodeLink:
    """Return how pages show and link one concept, keyword or organisation."""
    node = idx.node(kind, slug)
    if node is None:
        return NodeLink(slug, kind, slug, None, page_url(kind, slug), note=note)
    arabic = pick_label(node.labels, PREFS)
    english = node.labels.get("en")
    label = arabic["value"] if arabic else slug
    return NodeLink(slug, kind, label, english if english and english != label else None, page_url(kind, slug),
                    node.iri, node.has_article if kind == "concept" else True, note)


def _text(value) -> str | None:
    """Return the text of a named-fact value ({"value", "lang"} or None)."""
    return value["value"] if isinstance(value, dict) and value.get("value") is not None else None


def _anchor_note(anchors) -> str:
    """Return the distinct anchor texts of a link, joined."""
    texts = list(dict.fromkeys(a["text"] for a in anchors if a.get("text")))
    return "، ".join(texts[:5])


def _merge_relations(relations: dict[str, list[NodeLink]]) -> list[tuple[str, str, list[NodeLink]]]:
    """Return (Arabic heading, English heading, links) per heading; a relation and its inverse share one."""
    merged: dict[tuple[str, str], dict[tuple[str, str], NodeLink]] = {}
    for name, links in sorted(relations.items()):
        heading = RELATION_NAMES.get(name, (name, name))
        for link in links:
            merged.setdefault(heading, {}).setdefault((link.kind, link.slug), link)
    return [(arabic, english, list(links.values())) for (arabic, english), links in merged.items()]


def concept_page(idx: ReadModel, slug: str) -> ConceptPage:
    """Return the concept page of a canonical concept slug."""
    node = idx.concepts[slug]
    facts, _ = concept_facts(idx, node, PREFS)
    links_out, links_in, relations = [], [], defaultdict(list)
    for edge in idx.out.get(("concept", slug), ()):
        if edge.relation == "linksTo":
            links_out.append(node_link(idx, edge.target_kind, edge.target, _anchor_note(edge.anchors)))
        elif edge.relation not in ("hasKeyword", "mentions"):  # mentions are listed with the facts
            relations[edge.relation].append(node_link(idx, edge.target_kind, edge.target))
    for edge in idx.inc.get(("concept", slug), ()):
        if edge.relation == "linksTo":
            links_in.append(node_link(idx, edge.source_kind, edge.source, _anchor_note(edge.anchors)))
        elif edge.relation in ("definesTerm", "definedIn", "mentions"):
            relations[edge.relation + "^"].append(node_link(idx, edge.source_kind, edge.source))
    named = named_facts(facts, {}, idx, PREFS, service().vocab)
    related = [(node_link(idx, "concept", entry["slug"]), entry["score"], [_reason(idx, r) for r in entry["reasons"]])
               for entry in idx.keep(("related-page", slug), lambda: related_concepts(idx, slug, 10))]
    label = pick_label(node.labels, PREFS)
    return ConceptPage(
        slug=slug, iri=node.iri, title=label["value"] if label else slug, english=node.labels.get("en"),
        kind=node.concept_kind,
        definition=node.definitions.get("ar") or next(iter(node.definitions.values()), None),
        english_definition=node.definitions.get("en"),
        abbreviations=sorted(node.abbreviations),
        alt_labels=sorted({v for v, _ in node.alt_labels} - set(node.abbreviations)),
        keywords=[node_link(idx, "keyword", k) for k in node.keywords],
        links_out=links_out, links_in=links_in, related=related,
        relations=_merge_relations(relations),
        faq=[(_text(q["question"]) or "", _text(q["answer"]) or "") for q in named["faq"]],
        takeaways=[t["value"] for t in named["takeaways"]],
        summary=_text(named["summary"]),
        figures=[(_text(f["value"]) or "", _text(f["caption"]) or "") for f in named["key_figures"]],
        outline=_outline(named["outline"]),
        mentions=sorted({node_link(idx, "organization", m["slug"]) for m in named["mentions"] if m.get("slug")},
                        key=lambda link: link.label.casefold()),
        source=node.source, has_article=node.has_article,
        graph_relations=[(code, *words(RELATION_WORDS, code)) for code in sorted(idx.relations | {"linksTo"})],
        also_defined_in=[(node_link(idx, "concept", d["article"]["slug"]) if d["article"] else None,
                          _text(d["label"]) or "", _text(d["text"]) or "",
                          f"{d['source']}:{d['line']}" if d["source"] else "")
                         for d in named["also_defined_in"]],
        created=named["created"], modified=named["modified"], authors=named["authors"],
        link_suggestions=suggestion_rows(idx, slug) if node.has_article else [],
    )


def _outline(sections: list[dict]) -> list[dict]:
    """Return the nested sections as the page shows them: name, line and sub-sections."""
    return [{"name": _text(s["name"]) or "", "line": s["line"], "sections": _outline(s["sections"])}
            for s in sections]


@dataclass
class GroupPage:
    """What a keyword or organization page shows: the node and the concepts filed under it or mentioning it."""

    slug: str
    iri: str
    title: str
    english: str | None
    concepts: list[NodeLink]


def group_page(idx: ReadModel, kind: str, slug: str) -> GroupPage:
    """Return the page of a canonical keyword slug (its concepts) or organization slug (who mentions it)."""
    node = idx.node(kind, slug)
    assert node is not None
    label = pick_label(node.labels, PREFS)
    members = (idx.keyword_concepts.get(slug, []) if kind == "keyword" else
               sorted({e.source for e in idx.inc.get((kind, slug), ()) if e.source_kind == "concept"}))
    return GroupPage(slug, node.iri, label["value"] if label else slug, node.labels.get("en"),
                     [node_link(idx, "concept", s) for s in members])


@dataclass
class HomePage:
    """The home page: graph statistics, keywords with counts, and the content team's to-do lists."""

    triples: int
    version: str
    concepts: int
    kinds: dict[str, int]
    links: int
    keywords: list[tuple[NodeLink, int]]
    red_links: list[tuple[NodeLink, int]]  # the first HOME_LIST_MAX; the counts below are of all of them
    orphans: list[NodeLink]
    articles: list[NodeLink]
    red_link_count: int = 0
    orphan_count: int = 0
    article_count: int = 0


HOME_LIST_MAX = 200
RECENT_CHANGES_SHOWN = 5


@dataclass(frozen=True)
class RecentChange:
    """One kept changeset as the home page lists it: when, between which versions, the concepts it touched."""

    time: str
    old: str
    new: str
    removed: int
    added: int
    counts: dict[str, int]
    touched: list[tuple[NodeLink, str]]
    since_url: str
    patch_urls: dict[str, str]


def recent_changes(idx: ReadModel, version: str) -> list[RecentChange]:
    """Return the kept changesets that led to the served version, newest first (read from the build's log)."""
    log = changes.read_log(service().settings.build_dir)
    ends = [i for i, entry in enumerate(log) if entry.get("to") == version]
    shown = log[: ends[-1] + 1][-RECENT_CHANGES_SHOWN:] if ends else []
    found = []
    for entry in reversed(shown):
        touched = [(NodeLink(c["concept"], "concept", c["concept"], None, "", has_article=False)
                    if c["status"] == "removed" else node_link(idx, "concept", c["concept"]), c["status"])
                   for c in entry.get("touched", ())]
        found.append(RecentChange(
            entry.get("time", ""), entry["from"], entry["to"], entry["removed"], entry["added"],
            entry.get("concepts", {}), touched, url_for("changes.list_changes", since=entry["from"]),
            {side: url_for("changes.patch", old=entry["from"], new=entry["to"], side=side)
             for side in ("removed", "added")}))
    return found


def home_page(idx: ReadModel) -> HomePage:
    """Return the home page: counts by kind, keywords by size, red links by in-links, orphans."""
    current = graph()
    kinds: dict[str, int] = defaultdict(int)
    red_links, orphans, articles = [], [], []
    for slug in idx.sorted_slugs:
        node = idx.concepts[slug]
        kinds[node.concept_kind] += 1
        incoming = idx.link_sources(slug)
        if not node.has_article and incoming:
            red_links.append((node_link(idx, "concept", slug), len(incoming)))
        if node.has_article:
            articles.append(node_link(idx, "concept", slug))
            if not incoming:
                orphans.append(node_link(idx, "concept", slug))
    red_links.sort(key=lambda pair: (-pair[1], pair[0].slug))
    keywords = sorted(((node_link(idx, "keyword", k), len(idx.keyword_concepts.get(k, ()))) for k in idx.keywords),
                      key=lambda pair: (-pair[1], pair[0].slug))
    return HomePage(current.store.triple_count(), current.version, len(idx.concepts), dict(kinds),
                    idx.link_count, keywords, red_links[:HOME_LIST_MAX], orphans[:HOME_LIST_MAX],
                    articles[:HOME_LIST_MAX], len(red_links), len(orphans), len(articles))


@dataclass(frozen=True)
class ValidationItem:
    """One SHACL result as the validation page lists it."""

    severity: str
    message: str
    focus: str
    focus_link: NodeLink | None
    path: str | None
    value: str | None


def validation_groups(idx: ReadModel, report, per_severity: int = 2000) -> dict[str, dict[str, list[ValidationItem]]]:
    """Return the report's results by severity, then by source file ("" for none); at most `per_severity` each."""
    groups: dict[str, dict[str, list[ValidationItem]]] = {}
    shown: dict[str, int] = defaultdict(int)
    prefixes = service().vocab.prefixes()
    for result in report.results:
        if shown[result.severity] >= per_severity:
            continue
        shown[result.severity] += 1
        found = idx.by_iri.get(result.focus)
        link = node_link(idx, *found) if found else None
        item = ValidationItem(result.severity, result.message, result.focus, link,
                              prefixed(result.path, prefixes) if result.path else None, result.value)
        groups.setdefault(result.severity, {}).setdefault(result.source or "", []).append(item)
    return groups


def prefixed(iri: str, prefixes: dict[str, str]) -> str:
    """Return an IRI as prefix:name with the project's prefixes (skos:definition), else its local name."""
    for prefix, namespace in prefixes.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return local_name(iri)
