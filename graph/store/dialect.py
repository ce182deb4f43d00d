"""How each kind of remote store departs from the SPARQL 1.1 protocols, in one place per kind.

A RemoteClient holds one Dialect and asks it for endpoint names and authentication, for the form of each
query, how to read the store's answers and errors, and how big a load or an update may be. The URL scheme
of the `store` setting picks it:

* `sparql+http://…` — `Dialect`: the standard protocols, with Oxigraph server's endpoint names
  (`/query`, `/update`, `/store?graph=`); Fuseki, GraphDB and QLever with their endpoints configured.
* `virtuoso+http://…` — `Virtuoso` (7.x): `/sparql`, `/sparql-auth` and `/sparql-graph-crud-auth?graph-uri=`
  with HTTP digest authentication for writes, and the differences of its answers handled below.

Usage::

    dialect = dialect_for("virtuoso+http://127.0.0.1:8890/")
    form = dialect.query_form(text, graph_iri, timeout=10.0, max_rows=10_001)
    dialect.check(response)              # raises QueryTimeout on a partial answer; True when the store cut it
    rows = ox.parse_query_results(dialect.fix_solutions(response.content), format=ox.QueryResultsFormat.JSON)
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import requests
import requests.auth

from graph.store.guard import TOKEN
from graph.store.pool import QueryFailed, QueryTimeout
from graph.store.sparql_text import pattern_group, trailing_values, values_rows

_DESCRIBE = re.compile(rb"\bDESCRIBE\b", re.IGNORECASE)
_UNESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")


def _unescape(match: re.Match) -> str:
    return chr(int(match.group(1) or match.group(2), 16))


class StoreUnavailable(Exception):
    """The remote store could not be reached or answered with a server error; retry later."""

    retry_after = 5


class StoreLimit(StoreUnavailable):
    """The store cut an answer that must be whole (a setting of the store caps it): fix the store's settings."""


class Dialect:
    """The SPARQL 1.1 Protocol, Update and Graph Store Protocol as the standard says (Oxigraph server's names)."""

    name = "sparql"
    query_path, update_path, data_path = "query", "update", "store"
    graph_param = "graph"  # the Graph Store Protocol's ?graph= parameter
    load_lines: int | None = None  # a GSP upload in one PUT, however big
    update_lines = 5000  # N-Triples lines per INSERT DATA when loading without GSP
    row_cap_advice = "raise the store's limit on result rows above the graph's triple count"

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def auth(self, credentials: tuple[str, str] | None) -> requests.auth.AuthBase | None:
        """Return the authentication for (user, password): HTTP basic."""
        return requests.auth.HTTPBasicAuth(*credentials) if credentials else None

    def refusal(self, query: str) -> str | None:
        """Return why a user's query must not be sent to this store (beyond graph.store.guard), or None."""
        return None

    def query_form(self, text: str, default_graph: str | None, *, timeout: float | None = None,
                   max_rows: int | None = None) -> dict[str, str]:
        """Return the form fields of a query POST (SPARQL 1.1 Protocol)."""
        form = {"query": text}
        if default_graph:
            form["default-graph-uri"] = default_graph
        return form

    def check(self, response: requests.Response) -> bool:
        """Raise QueryTimeout when a 2xx answer is partial; return True when the store cut it at a row cap."""
        return False

    def fix_solutions(self, body: bytes) -> bytes:
        """Return SPARQL JSON results in the standard's form."""
        return body

    def solutions_stream(self, raw) -> io.BufferedIOBase:
        """Return a readable stream of SPARQL JSON results in the standard's form, read from `raw`."""
        return raw

    def error(self, status: int, body: str, where: str, what: str = "query", text: str = "") -> Exception:
        """Return the exception for an answer with status >= 400 to a `what` (query, update, upload) of `text`."""
        if status in (401, 403):
            return StoreUnavailable(f"the store at {where} refused the credentials ({status}): set store_user "
                                    "and store_password (or store_token)")
        if status >= 500 or status == 429:
            return StoreUnavailable(f"the store at {where} answered {status}: {body[:300].strip()}")
        return QueryFailed("syntax" if status == 400 and what == "query" else "error",
                           f"the store refused the {what} ({status}): {body[:1000]}")


class Virtuoso(Dialect):
    """OpenLink Virtuoso 7: its endpoints, digest authentication, and where its answers differ.

    Measured on 7.2.5 (Debian's virtuoso-opensource) and handled here:

    * SPARQL JSON writes blank nodes as `"nodeID://b10000"` (pyoxigraph rejects it; its N-Triples say
      `_:b10000`) and xsd:boolean values as "1"/"0", and calls typed literals `"typed-literal"` (the old
      form): labels and booleans are rewritten on the way in, our own writers serialise what users get.
    * A query that runs past MaxQueryExecutionTime (or our `timeout`) answers 200 with the rows found so
      far and `X-SQL-State: S1TAT` ("anytime" results): that is a timeout here, never an answer.
    * `ResultSetMaxRows` cuts SELECT answers silently but for `X-SPARQL-MaxRows`; user queries ask for at
      most the row cap plus one (`maxrows`), and an internal query that is cut fails with StoreLimit.
    * Errors come as `Virtuoso <SQLSTATE> Error <code>: …` in text/plain, with status 400 for syntax and
      500 for the rest (a refused query as much as a failing server): the SQLSTATE tells them apart, and
      the echo of the query text is dropped.
    * With only `default-graph-uri`, `GRAPH ?g` still sees every graph of the server (other versions, the
      control graph, Virtuoso's own): `named-graph-uri` names an empty graph, as the protocol means.
    * DESCRIBE gives the resource's triples as subject and as object; `sql:describe-mode "CBD"` gives the
      concise bounded description, as Oxigraph and the embedded store.
    * Its SPARQL dialect lets `bif:` and `sql:` functions call the server's own procedures: refused, as
      they are not SPARQL 1.1 (its `define` pragmas, which could change the dataset or fetch with
      `get:soft`, are refused by graph.store.guard for every store).
    * A CONSTRUCT of more than MaxVectorSize (1,000,000) triples fails ("FRVEC"); RemoteStore.ntriples
      reads a version one predicate at a time on every store.
    * INSERT DATA fails beyond about 1,500 triples ("SQL text has exceeded 10000 lines") and refuses blank
      nodes; a GSP upload is one transaction, so big loads go in chunks of `load_lines`.
    * VALUES: more than 4,094 values in one column fail to compile, and 3,000 rows of two take seconds to
      fail (40 s for 5,000): a user's block over `values_rows` is refused here. Our own blocks bind one
      row. A VALUES block
      after the query (rdflib's initBindings) fails with "No column" unless its variables are selected:
      it is moved into the WHERE group, which means the same (a join).
    * Its parser knows no `\\u` escapes in IRIs nor `\\`-escaped local names (`ex:a\\#b`): they are
      written out (`<urn:x:a#b>`) where the result is still one IRI token.
    """

    name = "virtuoso"
    query_path, update_path, data_path = "sparql", "sparql-auth", "sparql-graph-crud-auth"
    graph_param = "graph-uri"
    load_lines = 100_000
    update_lines = 1000
    values_rows = 1000
    row_cap_advice = "set [SPARQL] ResultSetMaxRows in virtuoso.ini above the graph's triple count (0: no cap)"
    no_named_graphs = "urn:x-marketing-kg:no-named-graphs"
    _TRANSIENT = ("08", "40001", "HYT", "S1T00")  # connection, deadlock, timeouts: the store, not the query
    _PARTIAL_STATES = ("S1TAT",)
    _ERROR = re.compile(r"Virtuoso (\w{5}) Error (\S+?): ?(.*)")
    _BNODE = re.compile(rb'("type": ?"bnode", ?"value": ?")nodeID://')
    _BOOLEAN = re.compile(rb'("datatype": ?"http://www\.w3\.org/2001/XMLSchema#boolean", ?"value": ?")([01])"')
    _EXTENSION = re.compile(r"(?:bif|sql):.*|<(?:bif|sql):.*")  # DEFINE pragmas: graph.store.guard refuses them

    def auth(self, credentials: tuple[str, str] | None) -> requests.auth.AuthBase | None:
        """Return HTTP digest authentication (what /sparql-auth and /sparql-graph-crud-auth ask for)."""
        return requests.auth.HTTPDigestAuth(*credentials) if credentials else None

    def refusal(self, query: str) -> str | None:
        tokens = [m for m in TOKEN.finditer(query) if m.lastgroup not in ("ws", "comment")]
        for at, match in enumerate(tokens):
            kind, text = match.lastgroup, match.group()
            if kind in ("word", "pname", "iri") and self._EXTENSION.fullmatch(text):
                return (f"{text[:40]} is a Virtuoso extension, not SPARQL 1.1: this endpoint answers "
                        "standard SPARQL only")
            if kind == "word" and text.upper() == "VALUES" and values_rows(tokens[at + 1:]) > self.values_rows:
                return (f"a VALUES block of more than {self.values_rows:,} rows: the store (Virtuoso) cannot "
                        "compile it; split the query")
        return None

    def query_form(self, text: str, default_graph: str | None, *, timeout: float | None = None,
                   max_rows: int | None = None) -> dict[str, str]:
        text = self.rewrite(text)
        if _DESCRIBE.search(text.encode()):
            text = 'define sql:describe-mode "CBD" ' + text  # on the first line: error lines stay the user's
        form = super().query_form(text, default_graph)
        if default_graph:
            form["named-graph-uri"] = self.no_named_graphs
        if timeout:
            form["timeout"] = str(max(1, int(timeout * 1000)))  # ms: Virtuoso stops evaluating too
        if max_rows:
            form["maxrows"] = str(max_rows)
        return form

    def rewrite(self, text: str) -> str:
        """Return `text` with what Virtuoso cannot parse written in forms it can, token for token."""
        prefixes: dict[str, str] = {}
        out, last, previous = [], 0, []
        for match in TOKEN.finditer(text):
            kind, token = match.lastgroup, match.group()
            if kind in ("ws", "comment"):
                continue
            written = token
            if kind == "iri" and "\\" in token:
                written = self._iri(_UNESCAPE.sub(_unescape, token[1:-1])) or token
            elif kind == "pname" and "\\" in token and token.split(":", 1)[0] in prefixes:
                name, local = token.split(":", 1)
                written = self._iri(prefixes[name] + _LOCAL_ESCAPE.sub(r"\1", local)) or token
            if kind == "iri" and previous[-2:-1] == ["PREFIX"]:
                prefixes[previous[-1][:-1]] = _UNESCAPE.sub(_unescape, token[1:-1])
            previous = [*previous[-2:], token.upper() if kind == "word" else token]
            if written != token:
                out += [text[last:match.start()], written]
                last = match.end()
        text = "".join(out) + text[last:]
        moved = trailing_values(text)
        if moved:
            start, end = moved
            opened = pattern_group(text)
            text = text[:opened] + " " + text[start:end] + " " + text[opened:start] + text[end:]
        return text

    @staticmethod
    def _iri(value: str) -> str | None:
        """Return `<value>` when it is one IRI token Virtuoso reads, else None."""
        return None if re.search(r'[\x00-\x20<>"{}|^`\\]', value) else f"<{value}>"

    def check(self, response: requests.Response) -> bool:
        state = response.headers.get("X-SQL-State", "")
        if response.status_code == 206 or state in self._PARTIAL_STATES:
            raise QueryTimeout(f"the store stopped the query at its time limit "
                               f"({response.headers.get('X-Exec-Milliseconds', '?')} ms) with a partial answer")
        return "X-SPARQL-MaxRows" in response.headers

    def fix_solutions(self, body: bytes) -> bytes:
        if b"nodeID://" in body:
            body = self._BNODE.sub(rb"\1", body)
        if b"#boolean" in body:
            body = self._BOOLEAN.sub(lambda m: m.group(1) + (b'true"' if m.group(2) == b"1" else b'false"'), body)
        return body

    def solutions_stream(self, raw) -> io.BufferedIOBase:
        return io.BufferedReader(_Rewritten(_lines(raw), self.fix_solutions), buffer_size=1 << 16)

    def error(self, status: int, body: str, where: str, what: str = "query", text: str = "") -> Exception:
        found = self._ERROR.search(body)
        if found is None or status in (401, 403, 429):
            return super().error(status, body, where, what, text)
        state, code, message = found.groups()
        detail = f"{code}: {message.strip()}"[:500]
        if state.startswith(self._TRANSIENT) or code == "SR171":  # SR171: transaction timed out
            return StoreUnavailable(f"the store at {where} failed ({state} {detail})")
        if "estimated execution time" in message:  # over MaxQueryCostEstimationTime: refused before it runs
            return QueryTimeout(f"the store refused to start a query it estimates too long ({detail})")
        if state == "37000" and what == "query":
            return QueryFailed("syntax", "the store refused the query: " + self._position(message, text, detail))
        return QueryFailed("error", f"the store refused the {what}: {detail}")

    @staticmethod
    def _position(message: str, text: str, detail: str) -> str:
        """Return `detail` led by "syntax error at LINE:COLUMN" (the column of the token Virtuoso names)."""
        found = re.search(r"line (\d+): .*? at '(.+?)'", message)
        lines = text.split("\n")
        if not found or not 0 < int(found.group(1)) <= len(lines):
            return detail
        line = int(found.group(1))
        column = lines[line - 1].find(found.group(2)) + 1 or 1
        return f"syntax error at {line}:{column}: {detail}"


def _lines(raw, size: int = 1 << 16) -> Iterator[bytes]:
    """Yield the stream's bytes cut after line ends (a JSON term of Virtuoso's never spans lines)."""
    pending = b""
    while chunk := raw.read(size):
        pending += chunk
        cut = pending.rfind(b"\n") + 1
        if cut:
            yield pending[:cut]
            pending = pending[cut:]
    if pending:
        yield pending


class _Rewritten(io.RawIOBase):
    """A readable stream of `pieces`, each passed through `fix`."""

    def __init__(self, pieces: Iterator[bytes], fix) -> None:
        self._pieces, self._fix, self._buffer = pieces, fix, b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._buffer = self._fix(piece)
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


DIALECTS: dict[str, type[Dialect]] = {"sparql": Dialect, "virtuoso": Virtuoso}


def dialect_for(url: str) -> Dialect:
    """Return the dialect named by the URL's scheme (`sparql+http://…`, `virtuoso+https://…`)."""
    return DIALECTS[url.split("+", 1)[0].lower()]()
