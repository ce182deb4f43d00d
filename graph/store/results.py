"""Run one SPARQL query on a pyoxigraph store and serialise its results, capped at a row limit.

Usage::

    output = run_query(store, "SELECT * WHERE { ?s ?p ?o }", "json", max_rows=100)
    output.body, output.media_type, output.truncated
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
from dataclasses import dataclass

import orjson
import pyoxigraph as ox

# format name -> (media type, applies to "solutions" | "graph")
RESULT_FORMATS: dict[str, tuple[str, str]] = {
    "json": ("application/sparql-results+json", "solutions"),
    "xml": ("application/sparql-results+xml", "solutions"),
    "csv": ("text/csv", "solutions"),
    "tsv": ("text/tab-separated-values", "solutions"),
    "turtle": ("text/turtle", "graph"),
    "ntriples": ("application/n-triples", "graph"),
    "jsonld": ("application/ld+json", "graph"),
    "rdfxml": ("application/rdf+xml", "graph"),
}
_RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


@dataclass(frozen=True)
class QueryOutput:
    """A serialised query answer: bytes, media type, rows written, and whether the row cap cut it."""

    body: bytes
    media_type: str
    rows: int
    truncated: bool


def escape(text: str) -> str:
    """Escape &, < and > for XML text (as xml.sax.saxutils, whose import pulls in urllib.request)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(text: str) -> str:
    """Return text as a quoted XML attribute value (as xml.sax.saxutils.quoteattr)."""
    text = escape(text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace('"', "&quot;") + '"'


def _json_term(term) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": str(term)}


def _xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _csv_term(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value if hasattr(term, "value") else str(term)


def serialize_solutions(variables: list[str], rows: list[list], fmt: str) -> bytes:
    """Serialise SELECT rows (lists of pyoxigraph terms or None) in one of the four result formats."""
    if fmt == "json":
        bindings = [{v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None} for row in rows]
        return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}},
                          ensure_ascii=False).encode()
    if fmt == "xml":
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
               "<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in variables) + "</head><results>"]
        for row in rows:
            out.append("<result>" + "".join(
                f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(variables, row, strict=True) if t is not None) + "</result>")
        out.append("</results></sparql>\n")
        return "\n".join(out).encode()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(variables)
        writer.writerows([_csv_term(t) for t in row] for row in rows)
        return buffer.getvalue().encode()
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode()
    raise ValueError(f"{fmt} is not a SELECT result format")


def serialize_boolean(value: bool, fmt: str) -> bytes:
    """Serialise an ASK answer."""
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == "xml":
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{str(value).lower()}</boolean></sparql>\n").encode()
    if fmt in ("csv", "tsv"):
        return f"{'_askResult' if fmt == 'csv' else '?_askResult'}\n{str(value).lower()}\n".encode()
    raise ValueError(f"{fmt} is not an ASK result format")


def serialize_triples(triples: list, fmt: str, prefixes: dict[str, str] | None = None) -> bytes:
    """Serialise CONSTRUCT/DESCRIBE triples in Turtle, N-Triples, JSON-LD or RDF/XML."""
    rdf_format = _RDF_FORMATS[fmt]
    if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) and prefixes:
        return ox.serialize(triples, format=rdf_format, prefixes=prefixes)
    return ox.serialize(triples, format=rdf_format)


def _take(items, cap: int) -> tuple[list, bool]:
    """Return up to `cap` items and whether more were left."""
    taken = list(itertools.islice(items, cap + 1))
    return taken[:cap], len(taken) > cap


def run_query(store: ox.Store, query: str, fmt: str, max_rows: int, prefixes: dict[str, str] | None = None,
              limit: int | None = None, **options) -> QueryOutput:
    """Evaluate `query` on `store` and serialise at most max_rows rows or triples in format `fmt`.

    `limit` is the query's own outer LIMIT (graph.store.guard); when it keeps a SELECT within max_rows,
    SPARQL JSON is written by pyoxigraph itself (~10x cheaper than term by term in Python).
    """
    result = store.query(query, prefixes=prefixes, **options)
    media_type, kind = RESULT_FORMATS[fmt]
    if isinstance(result, ox.QueryBoolean):
        if kind != "solutions":
            raise ValueError(f"ASK answers cannot be written as {fmt}")
        return QueryOutput(serialize_boolean(bool(result), fmt), media_type, 1, False)
    if isinstance(result, ox.QuerySolutions):
        if kind != "solutions":
            raise ValueError(f"SELECT results cannot be written as {fmt}")
        if fmt == "json" and limit is not None and limit <= max_rows:
            body = result.serialize(format=ox.QueryResultsFormat.JSON)
            return QueryOutput(body, media_type, len(orjson.loads(body)["results"]["bindings"]), False)
        variables = [v.value for v in result.variables]
        solutions, truncated = _take(result, max_rows)
        rows = [[solution[v] for v in variables] for solution in solutions]
        return QueryOutput(serialize_solutions(variables, rows, fmt), media_type, len(rows), truncated)
    if kind != "graph":
        raise ValueError(f"CONSTRUCT/DESCRIBE results cannot be written as {fmt}")
    body, rows, truncated = capped_ntriples(result, max_rows)
    if fmt != "ntriples":  # the same triples in the same order, written by pyoxigraph from the cut N-Triples
        body = serialize_triples(ox.parse(body, format=ox.RdfFormat.N_TRIPLES), fmt, prefixes)
    return QueryOutput(body, media_type, rows, truncated)


class _Enough(Exception):
    """Raised by _CappedLines to stop pyoxigraph's writer once the row cap is passed."""


class _CappedLines:
    """A binary writer that keeps what it is given until it holds more than `cap` lines, then stops the writer."""

    def __init__(self, cap: int) -> None:
        self.cap, self.lines, self.parts = cap, 0, []

    def write(self, data) -> int:
        chunk = bytes(data)  # pyoxigraph writes a buffer at a time (kilobytes), not a triple at a time
        self.parts.append(chunk)
        self.lines += chunk.count(b"\n")
        if self.lines > self.cap:
            raise _Enough
        return len(chunk)

    def flush(self) -> None:
        """Nothing is buffered here."""


def capped_ntriples(result: ox.QueryTriples, cap: int) -> tuple[bytes, int, bool]:
    """Return (N-Triples of at most `cap` triples, how many, whether the cap cut them), written by pyoxigraph.

    The triples are written by pyoxigraph's own serializer into a writer that stops it once more than `cap`
    lines arrived; the answer is cut at the cap's line with bytes operations, with no Python step per triple.
    """
    writer = _CappedLines(cap)
    with contextlib.suppress(_Enough):
        result.serialize(writer, format=ox.RdfFormat.N_TRIPLES)
    data = b"".join(writer.parts)
    pieces = data.split(b"\n", cap)  # at most cap + 1 pieces, split in C
    if len(pieces) > cap and pieces[cap]:
        return b"\n".join(pieces[:cap]) + b"\n", cap, True
    return data, data.count(b"\n"), False
