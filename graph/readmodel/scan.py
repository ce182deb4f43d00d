"""The scan of the read model: the rows it is built from, from a sorted N-Triples file or from any Store.

A build writes ``graph.nt`` one triple per line, so grouping its lines by subject (bytes, no parsing) and
parsing only the lines the indexes need is several times faster than scanning the on-disk store, which
decodes every term through RocksDB. The same grouping gives each concept's fact lines (its own and its
article's triples plus their fragment and blank-node children), saved in one file so a cold concept
look-up parses ~100 N-Triples lines instead of making ~20 store reads.

Usage::

    rows, lines = graph_rows(store, Path("build/graph.nt"), MKG, literal_props, (MKG + "Concept", MKG + "Keyword"))
    rows.types[:1]                     # [(NamedNode(.../concept/x), NamedNode(...#Concept))]
    dict(fact_lines(lines, [(concept_iri, article_iri)], MKG))   # {concept_iri: b'<...> <...> "..."@ar .\n...'}
    rows, _ = graph_rows(remote_store, None, MKG, literal_props, node_types)   # the same rows by SPARQL
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from graph.readmodel.model import RDF_TYPE, SCHEMA, SKOS
from graph.store import Store
from graph.store.disk import line_blocks

MAX_FACT_NODES = 5000
BLOCK_BYTES = 32 << 20  # the graph file is read this much at a time


@dataclass
class GraphRows:
    """What the REST indexes are built from, as the whole-graph SPARQL queries would return it."""

    types: list[tuple] = field(default_factory=list)  # (node, type) for the indexed node types
    literals: list[tuple] = field(default_factory=list)  # (node, predicate, literal)
    articles: list[tuple] = field(default_factory=list)  # (concept, article, source path or None): plain values
    links: list[tuple] = field(default_factory=list)  # (source, target, anchor, line, section name): plain values
    edges: list[tuple] = field(default_factory=list)  # (node, predicate, IRI object)


def _iri(value: str) -> bytes:
    return f"<{value}>".encode()


def _parse(lines: Iterable[bytes]) -> list[ox.Triple]:
    """Parse N-Triples lines into triples."""
    data = b"\n".join(lines)
    if not data:
        return []
    return [quad.triple for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]


class SubjectLines:
    """The lines of an N-Triples file by subject, kept as byte ranges of the file and read back on demand.

    A sorted graph file holds each subject's lines in one range, so the index costs one entry per
    subject (not the lines themselves: 1.8 GB for graph.nt of 10,000 articles, when held as bytes).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.ranges: dict[bytes, list[int]] = {}  # subject -> [start, end, start, end, ...]
        self._fd: int | None = None

    def add_block(self, data: bytes, offset: int) -> None:
        """Index the lines of `data`, a block of whole lines starting at byte `offset` of the file."""
        ranges, previous, current = self.ranges, None, None
        for line in data.split(b"\n"):
            size = len(line) + 1
            if line:
                subject = line[:line.index(b" ")]
                if subject is not previous and subject != previous:
                    current = ranges.get(subject)
                    if current is None:
                        current = ranges[subject] = [offset, offset]
                    elif current[-1] != offset:  # not sorted: one more range
                        current += [offset, offset]
                    previous = subject
                current[-1] = offset + size
            offset += size

    def get(self, subject: bytes, default=()) -> list[bytes]:
        """Return the subject's lines (without their newlines), else `default`."""
        spans = self.ranges.get(subject)
        if spans is None:
            return default
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        lines: list[bytes] = []
        for start, stop in zip(spans[::2], spans[1::2], strict=True):
            lines += os.pread(self._fd, stop - start, start).split(b"\n")[:-1]
        return lines

    def close(self) -> None:
        """Close the file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def scan_graph(path: Path, mkg: str, literal_props: Iterable[str], node_types: tuple[str, ...],
               ) -> tuple[GraphRows, SubjectLines]:
    """Return the index rows of an N-Triples graph file, and its lines by subject (for fact_lines).

    The file is read in blocks, so memory holds the rows, one block and one entry per subject.
    """
    by_subject = SubjectLines(path)
    wanted = (*node_types, SCHEMA + "Article", mkg + "Link")
    rows = GraphRows()
    typed: dict[bytes, list[str]] = defaultdict(list)
    links = _LinkFacts(mkg)
    for offset, data in line_blocks(path, BLOCK_BYTES):
        by_subject.add_block(data, offset)
        for subject, type_ in _typed_lines(data, wanted):
            typed[subject].append(type_.decode())
            if type_.decode() in node_types:
                rows.types.append((ox.NamedNode(_term(subject)), ox.NamedNode(type_.decode())))
        links.read(data)
    labelled = {s for s, ts in typed.items() if any(t in (mkg + "Concept", mkg + "Keyword", SCHEMA + "Organization")
                                                     for t in ts)}
    linked = {s for s, ts in typed.items() if any(t in (mkg + "Concept", mkg + "Keyword") for t in ts)}
    literal_p = {_iri(p) for p in literal_props}
    node_lines, edge_lines = [], []
    for subject in labelled | linked:
        for line in by_subject.get(subject, ()):
            predicate, rest = line.split(b" ", 2)[1:]
            if subject in labelled and predicate in literal_p and rest.startswith(b'"'):
                node_lines.append(line)
            if subject in linked and rest.startswith(b"<"):
                edge_lines.append(line)
    type_count = {s: sum(t in (mkg + "Concept", mkg + "Keyword", SCHEMA + "Organization") for t in ts)
                  for s, ts in typed.items()}
    for triple in _parse(node_lines):
        rows.literals.extend([(triple.subject, triple.predicate, triple.object)]
                             * type_count[_iri(triple.subject.value)])
    for triple in _parse(edge_lines):
        rows.edges.append((triple.subject, triple.predicate, triple.object))
    links.rows(typed, rows)
    return rows, by_subject


def _typed_lines(data: bytes, types: Iterable[str]) -> Iterator[tuple[bytes, bytes]]:
    """Yield (subject IRI, type) of the `<s> rdf:type <type> .` lines of N-Triples bytes, for the given types."""
    # The pattern starts with a long literal (` <rdf:type> <`), which the regex engine finds by fast search; one
    # anchored at each line start (`^<...> ...`, re.M) tried every byte position: 5x slower on 260 MB.
    pattern = re.compile(rb" " + re.escape(_iri(RDF_TYPE)) + rb" <("
                         + b"|".join(re.escape(t.encode()) for t in types) + rb")> \.$", re.M)
    for match in pattern.finditer(data):
        start = data.rfind(b"\n", 0, match.start()) + 1
        subject = data[start:match.start()]
        if subject.startswith(b"<") and subject.find(b">") == len(subject) - 1 and b" " not in subject:
            yield subject, match.group(1)


def _term(obj: bytes) -> str:
    """Return the value of an N-Triples IRI or literal object (escapes decoded by the parser when present)."""
    if b"\\" in obj:
        return next(iter(ox.parse(b"<x:s> <x:p> " + obj + b" .", format=ox.RdfFormat.N_TRIPLES))).object.value
    if obj.startswith(b"<"):
        return obj[1:-1].decode()
    return obj[1:obj.rindex(b'"')].decode()


class _LinkFacts:
    """The (concept, article, path) rows and the mkg:Link rows, gathered from blocks of N-Triples lines."""

    def __init__(self, mkg: str) -> None:
        iris = {"subjectOf": SCHEMA + "subjectOf", "about": SCHEMA + "about", "name": SCHEMA + "name"}
        iris.update({n: mkg + n for n in ("sourcePath", "linkSource", "linkTarget", "anchorText", "sourceLine",
                                          "inSection")})
        self.mkg = mkg
        # ` <predicate> ` found by fast search; the line must be `<subject> <predicate> object .`
        self.needles = [(b" " + _iri(iri) + b" ", name) for name, iri in iris.items()]
        self.by_predicate: dict[str, dict[bytes, bytes]] = defaultdict(dict)
        self.pairs: list[tuple[bytes, bytes, bool]] = []  # (concept, article, needs the article's type)
        self.paths: dict[bytes, list[bytes]] = defaultdict(list)

    def read(self, data: bytes) -> None:
        """Gather the facts of one block of whole lines, in line order."""
        found = []
        for needle, name in self.needles:
            at = data.find(needle)
            while at >= 0:
                start = data.rfind(b"\n", 0, at) + 1
                stop = data.find(b"\n", at)
                subject = data[start:at]
                if subject.startswith(b"<") and subject.find(b">") == len(subject) - 1 and \
                        data[stop - 2:stop] == b" ." and stop - 2 >= at + len(needle):
                    found.append((start, name, subject, data[at + len(needle):stop - 2]))
                at = data.find(needle, stop)
        found.sort(key=lambda item: item[0])
        for _, name, subject, obj in found:
            if name == "subjectOf":
                self.pairs.append((subject, obj, False))
            elif name == "about":
                self.pairs.append((obj, subject, True))
            elif name == "sourcePath":
                self.paths[subject].append(obj)
            else:
                self.by_predicate[name].setdefault(subject, obj)

    def rows(self, typed: dict[bytes, list[str]], rows: GraphRows) -> None:
        """Fill rows.articles and rows.links from what was gathered."""
        article_type, paths = SCHEMA + "Article", self.paths
        for concept, article, typed_only in self.pairs:
            if typed_only and article_type not in typed.get(article, ()):
                continue
            for path in paths.get(article) or [None]:
                rows.articles.append((_term(concept), _term(article), _term(path) if path is not None else None))
        links = {s for s, ts in typed.items() if self.mkg + "Link" in ts}
        by_predicate = self.by_predicate
        source, target, anchor = by_predicate["linkSource"], by_predicate["linkTarget"], by_predicate["anchorText"]
        line, section, names = by_predicate["sourceLine"], by_predicate["inSection"], by_predicate["name"]
        for link, src in source.items():
            if link in target and link in links:
                text, number, part = anchor.get(link), line.get(link), section.get(link)
                name = names.get(part) if part is not None else None
                rows.links.append((_term(src), _term(target[link]), _term(text) if text is not None else None,
                                   int(_term(number)) if number is not None else None,
                                   _term(name) if name is not None else None))


def fact_lines(by_subject: SubjectLines, roots: Iterable[tuple[str, str]], mkg: str,
               ) -> Iterator[tuple[str, bytes]]:
    """Yield (concept IRI, its fact lines) per (concept, article) IRI pair, breadth first as facts.py reads them."""
    link, definition = _iri(mkg + "link"), _iri(mkg + "hasTermDefinition")
    for concept, article in roots:
        prefix = _iri(article + "#")[:-1]
        queue = [_iri(concept), _iri(article)]
        seen, found = set(queue), []
        while queue and len(seen) < MAX_FACT_NODES:
            node = queue.pop(0)
            for line in by_subject.get(node, ()):
                found.append(line)
                _, predicate, rest = line.split(b" ", 2)
                if predicate == link or not rest.startswith((b"<", b"_:")):
                    continue
                obj = rest[:rest.index(b" ")]
                if obj not in seen and (obj.startswith(b"_:") or obj.startswith(prefix) or predicate == definition):
                    seen.add(obj)
                    queue.append(obj)
        yield concept, b"\n".join(found)


def graph_rows(store: Store | None, graph_nt: Path | None, mkg: str, literal_props: list[str], node_types: tuple[str, ...],
               ) -> tuple[GraphRows, SubjectLines | None]:
    """Return the rows of a graph version: from its sorted N-Triples file when it has one, else from its store."""
    if graph_nt is not None:
        return scan_graph(graph_nt, mkg, literal_props, node_types)
    if store is None:
        raise ValueError("a read model is made from a graph file or a store: neither was given")
    return _store_rows(store, mkg, literal_props, node_types), None


def _plain(rows: list[tuple]) -> list[tuple]:
    """Return rows of terms as rows of their values (None stays None)."""
    return [tuple(term.value if term is not None else None for term in row) for row in rows]


def _store_rows(store: Store, mkg: str, literal_props: list[str], node_types: tuple[str, ...]) -> GraphRows:
    """Return the rows with whole-graph SPARQL queries (trusted text, no user input) and predicate scans."""
    listed = ", ".join(f"<{t}>" for t in node_types)
    values = " ".join(f"<{p}>" for p in literal_props)
    types = f"<{mkg}Concept>, <{mkg}Keyword>, <{SCHEMA}Organization>"
    return GraphRows(
        types=store.rows(f"SELECT ?c ?t WHERE {{ ?c a ?t . FILTER(?t IN ({listed})) }}"),
        literals=store.rows(f"SELECT ?c ?p ?o WHERE {{ VALUES ?p {{ {values} }} ?c a ?t . FILTER(?t IN ({types})) "
                            "?c ?p ?o . FILTER(isLiteral(?o)) }"),
        articles=_plain(store.rows("SELECT ?c ?a ?path WHERE { { ?c <https://schema.org/subjectOf> ?a } UNION "
                                   "{ ?a <https://schema.org/about> ?c . ?a a <https://schema.org/Article> } "
                                   f"OPTIONAL {{ ?a <{mkg}sourcePath> ?path }} }}")),
        links=[(s, t, a, int(n) if n is not None else None, sec)
               for s, t, a, n, sec in _plain(_link_rows(store, mkg))],
        edges=store.rows(f"SELECT ?s ?p ?o WHERE {{ ?s a ?st . FILTER(?st IN (<{mkg}Concept>, <{mkg}Keyword>)) "
                         f"?s ?p ?o . FILTER(isIRI(?o) && ?p NOT IN (<{RDF_TYPE}>, <{SKOS}inScheme>, "
                         f"<{SCHEMA}subjectOf>)) }}"),
    )


def _link_rows(store: Store, mkg: str) -> list[tuple]:
    """Return (source, target, anchor, line, section name) of every mkg:Link, as a SPARQL join would."""
    # predicate scans joined in dicts: the query with three OPTIONALs took 6-9 s at 10k articles on pyoxigraph

    def scan(predicate: str) -> dict:
        return {t.subject: t.object for t in store.triples(None, ox.NamedNode(predicate), None)}

    links = {t.subject for t in store.triples(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(mkg + "Link"))}
    source, target = scan(mkg + "linkSource"), scan(mkg + "linkTarget")
    anchor, line, section = scan(mkg + "anchorText"), scan(mkg + "sourceLine"), scan(mkg + "inSection")
    sections = set(section.values())
    names = {t.subject: t.object for t in store.triples(None, ox.NamedNode(SCHEMA + "name"), None)
             if t.subject in sections}
    return [(source[link], target[link], anchor.get(link), line.get(link), names.get(section.get(link)))
            for link in links if link in source and link in target]
