"""Article facts of a concept: its and its article's triples, as JSON-LD-like values, and their stable names.

The triples come from the facts file saved with the read model (one read), else from the store.

Usage::

    facts, triples = concept_facts(model, store, vocab, model.concepts["viral-marketing"], summarise)
    named_facts(facts, {})["faq"][0]["question"]      # {'value': 'ما هو التسويق الفيروسي؟', 'lang': 'ar'}
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import pyoxigraph as ox

from graph.readmodel.documents import summary
from graph.readmodel.indexes import ReadModel, read_block
from graph.readmodel.model import RDF, SCHEMA, SKOS, Concept, json_bytes, local_name
from graph.readmodel.scan import MAX_FACT_NODES
from graph.store import Store
from graph.vocab import Vocabulary

Summarise = Callable[[str, str], dict]  # (kind, slug) -> how a node is shown where another one refers to it
# Properties shown elsewhere in the concept document, so not repeated under "facts".
_NOT_FACTS = {
    RDF + "type", SKOS + "prefLabel", SKOS + "altLabel", SKOS + "hiddenLabel", SKOS + "definition",
    SKOS + "inScheme", SCHEMA + "subjectOf", SCHEMA + "about",
}
_NOT_FACTS_MKG = {"slug", "slugAlias", "hasArticle", "hasKeyword", "linksTo", "abbreviation", "link", "contentHash",
                  "sourcePath"}


def _literal_json(literal: ox.Literal):
    """Return a literal as JSON: tagged text as {"value", "lang"}, numbers and booleans as such."""
    datatype = literal.datatype.value if literal.datatype else ""
    if literal.language:
        return {"value": literal.value, "lang": literal.language}
    if datatype.endswith(("#integer", "#int", "#long", "#nonNegativeInteger", "#positiveInteger")):
        try:
            return int(literal.value)
        except ValueError:
            return literal.value
    if datatype.endswith("#boolean"):
        return literal.value in ("true", "1")
    if datatype.endswith(("#decimal", "#double", "#float")):
        try:
            return float(literal.value)
        except ValueError:
            return literal.value
    return literal.value


def concept_facts(idx: ReadModel, store: Store, vocab: Vocabulary, node: Concept,
                  summarise: Summarise) -> tuple[dict, list]:
    """Return (facts by property local name, the triples they came from) for a concept and its article."""
    article = node.article or vocab.article(node.slug)
    triples = _facts_triples(idx, store, vocab, node.iri, str(article))
    by_subject: dict = {}
    for triple in triples:
        by_subject.setdefault(triple.subject, []).append((triple.predicate.value, triple.object))
    mkg = str(vocab.MKG)
    referenced: set = set()

    def convert(term, depth: int):
        if isinstance(term, ox.Literal):
            return _literal_json(term)
        if isinstance(term, ox.NamedNode) and term.value in idx.by_iri:
            return summarise(*idx.by_iri[term.value])
        if depth > 1 and term in referenced:
            return {"id": term.value}
        pairs = by_subject.get(term)
        if pairs is None or depth > 4:
            return {"iri": term.value} if isinstance(term, ox.NamedNode) else {}
        first = [o for p, o in pairs if p == RDF + "first"]
        if first:  # an RDF list
            items, cell, guard = [], term, 0
            while cell in by_subject and guard < 10_000:
                cell_pairs = dict(by_subject[cell])
                if RDF + "first" in cell_pairs:
                    items.append(convert(cell_pairs[RDF + "first"], depth + 1))
                cell = cell_pairs.get(RDF + "rest")
                guard += 1
            return items
        obj: dict = {}
        if isinstance(term, ox.NamedNode):
            obj["id"] = term.value
        grouped: dict[str, list] = {}
        for predicate, value in pairs:
            if predicate == RDF + "type":
                obj.setdefault("type", []).append(local_name(value.value))
                continue
            grouped.setdefault(local_name(predicate), []).append(convert(value, depth + 1))
        for name, values in sorted(grouped.items()):
            obj[name] = _sorted_values(values) if len(values) > 1 else values[0]
        if "type" in obj and len(obj["type"]) == 1:
            obj["type"] = obj["type"][0]
        return obj

    facts: dict[str, list] = {}
    roots = (ox.NamedNode(node.iri), ox.NamedNode(str(article)))
    # Nodes a root states directly (sections, term definitions...) and the roots themselves are shown once,
    # at the top; nested (a sub-section's schema:hasPart, a definition's article) they are a reference.
    referenced.update(roots)
    referenced.update(o for root in roots for _, o in by_subject.get(root, ()) if isinstance(o, ox.NamedNode))
    for root in roots:
        for predicate, value in by_subject.get(root, ()):
            if predicate in _NOT_FACTS or (predicate.startswith(mkg) and local_name(predicate) in _NOT_FACTS_MKG):
                continue
            facts.setdefault(local_name(predicate), []).append(convert(value, 1))
    return {name: _sorted_values(values) for name, values in sorted(facts.items())}, triples


def _text(value) -> dict | None:
    """Return a fact value as {"value", "lang"} (plain literals get lang null), else None."""
    if isinstance(value, dict) and "value" in value:
        return {"value": value["value"], "lang": value.get("lang")}
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return {"value": str(value), "lang": None}
    return None


def _first(value):
    """Return the first item of a list value, else the value itself."""
    return value[0] if isinstance(value, list) and value else value


def _sections(facts: dict) -> tuple[list[dict], list[dict]]:
    """Return (every section in reading order with its level and parent position, the same nested as an outline)."""
    found = [sec for sec in facts.get("section", []) if isinstance(sec, dict)]
    position = {sec.get("id"): sec.get("position") for sec in found}
    flat, nodes = [], {}
    for sec in found:
        parent = _first(sec.get("subSectionOf"))
        item = {"name": _text(_first(sec.get("name"))), "position": sec.get("position"), "line": sec.get("sourceLine"),
                "level": sec.get("headingLevel"),
                "parent": position.get(parent.get("id")) if isinstance(parent, dict) else None}
        flat.append(item)
        nodes[item["position"]] = {**item, "sections": []}
    outline = []
    for item in flat:
        parent = nodes.get(item["parent"]) if item["parent"] is not None else None
        (parent["sections"] if parent is not None else outline).append(nodes[item["position"]])
    return flat, outline


def _definitions(facts: dict, idx: ReadModel | None, prefs: tuple[str, ...], vocab: Vocabulary | None) -> list[dict]:
    """Return the concept's term definitions (one per bold-labelled paragraph naming it), by article and line."""
    vocab = vocab or Vocabulary()
    found = []
    for item in facts.get("hasTermDefinition", []):
        if not isinstance(item, dict):
            continue
        part_of = _first(item.get("isPartOf"))
        where = vocab.slug_of(part_of.get("iri") or part_of.get("id") or "") if isinstance(part_of, dict) else None
        slug = where[1] if where and where[0] == "article" else None
        node = idx.concepts.get(slug) if idx is not None and slug else None
        found.append({
            "text": _text(_first(item.get("definitionText"))),
            "label": _text(_first(item.get("name"))),
            "article": summary(idx, "concept", slug, prefs) if node is not None else None,
            "source": node.source if node is not None else None,
            "line": item.get("sourceLine"),
        })
    return sorted(found, key=lambda d: (d["source"] or "", d["line"] if isinstance(d["line"], int) else 0))


def named_facts(facts: dict, relations_out: dict, idx: ReadModel | None = None,
                prefs: tuple[str, ...] = (), vocab: Vocabulary | None = None) -> dict:
    """Return the article facts under stable names (faq, takeaways, summary, key_figures, sections, ...)."""
    faq = []
    for item in facts.get("mainEntity", []):
        if isinstance(item, dict) and "name" in item:
            answer = _first(item.get("acceptedAnswer"))
            faq.append({"question": _text(_first(item["name"])),
                        "answer": _text(_first(answer.get("text"))) if isinstance(answer, dict) else None,
                        "about": _first(item.get("about")) if isinstance(_first(item.get("about")), dict) else None})
    takeaways = []
    for value in facts.get("takeaway", []):
        for item in value if isinstance(value, list) else [value]:
            text = _text(item)
            if text:
                takeaways.append(text)
    figures = [{"value": _text(_first(f.get("figureValue"))), "caption": _text(_first(f.get("figureCaption")))}
               for f in facts.get("keyFigure", []) if isinstance(f, dict)]
    sections, outline = _sections(facts)
    summaries = [t for t in (_text(v) for v in facts.get("abstract", [])) if t]
    dates = {name: _first(facts.get(name)) for name in ("created", "modified")}
    return {
        "faq": faq,
        "takeaways": takeaways,
        "summary": summaries[0] if summaries else None,
        "key_figures": figures,
        "sections": sections,
        "outline": outline,
        "defined_terms": relations_out.get("definesTerm", []),
        "also_defined_in": _definitions(facts, idx, prefs, vocab),
        "mentions": [m for m in facts.get("mentions", []) if isinstance(m, dict)],
        "created": dates["created"] if isinstance(dates["created"], str) else None,
        "modified": dates["modified"] if isinstance(dates["modified"], str) else None,
        "authors": [a for a in facts.get("creator", []) if isinstance(a, str)],
    }


def _sorted_values(values: list) -> list:
    """Sort fact values: nodes by position, then everything by its JSON text."""
    def rank(value) -> tuple[int, int]:
        if isinstance(value, dict):
            position = value.get("position")
            return (0, position if isinstance(position, int) else 1 << 30)
        return (1, 0)

    ranks = [rank(value) for value in values]
    if len(set(ranks)) == len(ranks):  # distinct positions (FAQ, sections...): no JSON text needed to order them
        return [value for _, value in sorted(zip(ranks, values, strict=True), key=lambda pair: pair[0])]
    return sorted(values, key=lambda value: (*rank(value), json_bytes(value)))


def _facts_triples(idx: ReadModel, store: Store, vocab: Vocabulary, concept: str, article: str) -> list:
    """Return the concept's and article's triples plus their fragment (article#...) and blank-node children."""
    # Breadth first from the two roots, following only objects minted under the article IRI (sections, FAQ
    # questions and answers, key figures, take-away list cells), blank nodes and the concept's term definitions
    # (written in any article), never the article's mkg:link nodes (links come from the read model).
    found = _saved_facts(idx, concept)
    if found is not None:
        return found
    prefix = article + "#"
    mkg = vocab.MKG
    link, definition = str(mkg.link), str(mkg.hasTermDefinition)
    roots = [ox.NamedNode(concept), ox.NamedNode(article)]
    queue, seen, found = list(roots), set(roots), []
    while queue and len(seen) < MAX_FACT_NODES:
        node = queue.pop(0)
        for triple in store.triples(node, None, None):
            found.append(triple)
            obj = triple.object
            if obj in seen or triple.predicate.value == link:
                continue
            if (isinstance(obj, ox.BlankNode) or triple.predicate.value == definition
                    or (isinstance(obj, ox.NamedNode) and obj.value.startswith(prefix))):
                seen.add(obj)
                queue.append(obj)
    return found


def _saved_facts(idx: ReadModel, concept: str) -> list | None:
    """Return the concept's fact triples from the file saved with the indexes (one read), else None."""
    where = idx.facts_offsets.get(concept) if idx.facts_path else None
    data = read_block(idx.facts_path, where) if where is not None else None
    if data is None:
        return None
    try:
        data = zlib.decompress(data)
    except zlib.error:
        return None
    return [quad.triple for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)] if data else []
