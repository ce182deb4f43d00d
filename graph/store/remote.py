"""The remote store: any SPARQL 1.1 Protocol server (plus the Graph Store Protocol for pushes), by URL.

The served graph is one named graph per build version; a small control graph names the current one
(written by graph.push). A RemoteStore is pinned to one version: every query it sends carries that
graph as `default-graph-uri`, so a replica answers from one version until it swaps to a new store.
Values are bound as N-Triples terms in a VALUES block (the protocol has no substitutions), never
pasted raw; credentials travel only in headers and never appear in messages or logs. Where a server
departs from the protocols (Virtuoso), its graph.store.dialect.Dialect says how, and only there.

Usage::

    client = RemoteClient.from_settings(load_settings(cli={"store": "virtuoso+http://127.0.0.1:8890/"}))
    store = RemoteStore.open_current(client, vocab.base, prefixes=vocab.prefixes())
    store.select("SELECT ?l WHERE { ?c skos:prefLabel ?l }", {"c": NamedNode(iri)})
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

import pyoxigraph as ox
import requests
import requests.auth
import urllib3

from graph.store import CBD_QUERY
from graph.store.dialect import DIALECTS, Dialect, StoreLimit, StoreUnavailable, dialect_for
from graph.store.guard import inspect_query
from graph.store.pool import QueryFailed, QueryTimeout
from graph.store.results import (
    RESULT_FORMATS,
    QueryOutput,
    serialize_boolean,
    serialize_solutions,
    serialize_triples,
)
from graph.store.sparql_text import bind_values, term

_LOG = logging.getLogger("mkg.remote_store")
SCHEMES = tuple(f"{name}+{scheme}://" for name in DIALECTS for scheme in ("http", "https"))
NO_ENDPOINT = ("-", "none")
RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
MKG_NS = "ontology#"
_DCT = "http://purl.org/dc/terms/"
_POSITION = re.compile(r"error at (\d+):(\d+)")
__all__ = ["StoreLimit", "StoreUnavailable", "bind_values", "term"]  # defined beside, used and raised here


class NoGraphVersion(LookupError):
    """The remote store holds no pushed graph version yet."""


def is_remote(store_setting: str) -> bool:
    """Tell whether the `store` setting names a remote SPARQL server (sparql+http://…, virtuoso+http://…)."""
    return store_setting.lower().startswith(SCHEMES)


def control_graph(base_iri: str) -> str:
    """Return the IRI of the control graph that names the current graph version."""
    return f"{base_iri}graph/control"


def version_graph(base_iri: str, version: str) -> str:
    """Return the IRI of the named graph holding one build version."""
    return str(ox.NamedNode(f"{base_iri}graph/{version}").value)


def _split_url(url: str) -> tuple[str, tuple[str, str] | None]:
    """Return (URL without user info, (user, password) or None)."""
    parts = urlsplit(url)
    auth = (parts.username or "", parts.password or "") if parts.username else None
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), auth


@dataclass(frozen=True)
class Answer:
    """A whole answer of the store, in the standard's form (see Dialect.fix_solutions)."""

    content: bytes
    media_type: str


@dataclass(frozen=True)
class RemoteClient:
    """The HTTP side of a remote store: its endpoints, credentials and timeouts (one session per thread)."""

    query_url: str
    update_url: str
    data_url: str | None
    connect_timeout: float = 3.0
    read_timeout: float = 60.0  # a look-up: an answer slower than this is a store in trouble
    bulk_timeout: float = 900.0  # a whole-graph read (counts, the REST indexes, a version's copy) at start-up
    auth: tuple[str, str] | None = field(default=None, repr=False)
    token: str = field(default="", repr=False)
    dialect: Dialect = field(default_factory=Dialect)
    _local: threading.local = field(default_factory=threading.local, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings, url: str | None = None) -> RemoteClient:
        """Derive the endpoints from `store` (the dialect's names, e.g. Oxigraph's /query, unless configured)."""
        url = url or settings.store
        if not is_remote(url):
            raise ValueError("not a remote store URL (expected sparql+http://… or virtuoso+http://…): "
                             f"{url.split('@')[-1]!r}")
        dialect = dialect_for(url)
        base, auth = _split_url(url.split("+", 1)[1])
        if not urlsplit(base).path.endswith("/"):
            base += "/"
        if settings.store_user:
            auth = (settings.store_user, settings.store_password)

        def endpoint(value: str, default: str) -> str | None:
            if value.strip().lower() in NO_ENDPOINT:
                return None
            return _split_url(urljoin(base, value or default))[0]

        return cls(query_url=endpoint(settings.store_query_url, dialect.query_path) or base,
                   update_url=endpoint(settings.store_update_url, dialect.update_path) or base,
                   data_url=endpoint(settings.store_data_url, dialect.data_path),
                   connect_timeout=settings.store_connect_timeout,
                   read_timeout=max(30.0, settings.query_timeout * 3), auth=auth, token=settings.store_token,
                   dialect=dialect)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.auth = self.dialect.auth(self.auth)
            session.headers["User-Agent"] = "marketing-kg"
        return session

    def request(self, method: str, url: str, *, timeout: float | None = None, write: bool = False,
                **kwargs) -> requests.Response:
        """Send one request; raise StoreUnavailable when the store is unreachable or failing, QueryTimeout when
        it is slow; return any other answer (a refusal included) to the caller."""
        headers = dict(kwargs.pop("headers", {}))
        if write and self.token:
            kwargs["auth"] = _Bearer(self.token)  # replaces the session's basic auth for this request
        wait = (self.connect_timeout, timeout or self.read_timeout)
        for attempt in (1, 2):
            try:
                response = self._session().request(method, url, timeout=wait, headers=headers, **kwargs)
            except requests.ReadTimeout as exc:
                raise QueryTimeout(f"the store did not answer within {wait[1]:g} s") from exc
            except requests.ConnectionError as exc:
                # a pooled connection the server closed fails once: retry on a fresh one, then give up
                if attempt == 1 and not isinstance(exc, requests.ConnectTimeout):
                    continue
                raise StoreUnavailable(f"cannot reach the store at {_where(url)} ({_reason(exc)})") from None
            if response.status_code >= 400:
                problem = self.refusal(response, url)
                if isinstance(problem, (StoreUnavailable, QueryTimeout)):
                    raise problem
            return response
        raise AssertionError("unreachable")

    def refusal(self, response: requests.Response, url: str, what: str = "query", text: str = "") -> Exception:
        """Return the exception for an answer with status >= 400 to `text` (and close it)."""
        try:
            body = response.text[:2000]
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
            body = ""
        response.close()
        return self.dialect.error(response.status_code, body, _where(url), what, text)

    def send_query(self, text: str, accept: str, default_graph: str | None, *, timeout: float | None = None,
                   max_rows: int | None = None, stream: bool = False) -> tuple[requests.Response, bool]:
        """POST a query (form-encoded, SPARQL 1.1 Protocol); return the response and whether the store cut it
        at its row cap. A refused query raises QueryFailed, a partial answer QueryTimeout."""
        form = self.dialect.query_form(text, default_graph, timeout=timeout, max_rows=max_rows)
        response = self.request("POST", self.query_url, data=form, headers={"Accept": accept},
                                timeout=timeout, stream=stream)
        if response.status_code >= 400:
            raise self.refusal(response, self.query_url, text=form["query"])
        try:
            return response, self.dialect.check(response)
        except QueryTimeout:
            response.close()
            raise

    def query(self, text: str, accept: str, default_graph: str | None, *, timeout: float | None = None) -> Answer:
        """Run a trusted query and return its whole answer; raise StoreLimit when the store cut it short."""
        response, capped = self.send_query(text, accept, default_graph, timeout=timeout)
        if capped:
            raise StoreLimit(f"the store at {_where(self.query_url)} cut an answer at its row cap "
                             f"({response.headers.get('X-SPARQL-MaxRows')} rows): {self.dialect.row_cap_advice}")
        body = response.content
        media_type = response.headers.get("Content-Type", accept).split(";")[0].strip()
        if accept == RESULTS_JSON:
            body = self.dialect.fix_solutions(body)
        return Answer(body, media_type)

    def update(self, text: str) -> None:
        """POST a SPARQL Update; raise QueryFailed when the store refuses it."""
        response = self.request("POST", self.update_url, write=True, data=text.encode(),
                                headers={"Content-Type": "application/sparql-update"})
        if response.status_code >= 300:
            raise self.refusal(response, self.update_url, "update")

    def close(self) -> None:
        """Close this thread's HTTP session."""
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None


class _Bearer(requests.auth.AuthBase):
    """An access token (QLever, GraphDB tokens) in the Authorization header."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return "_Bearer(***)"

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def _where(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _reason(exc: Exception) -> str:
    text = str(exc)
    for known in ("Connection refused", "Remote end closed", "Connection reset", "timed out",
                  "Name or service not known", "No route to host"):
        if known.lower() in text.lower():
            return known.lower()
    return type(exc).__name__


def current_switch(client: RemoteClient, base_iri: str) -> tuple[str, str, int | None] | None:
    """Return (version, graph IRI, triples) of the newest switch recorded in the control graph, or None.

    The triple count is the one `mkg push` counted in the store before it switched (None in a record without it).
    """
    control, mkg = control_graph(base_iri), base_iri + MKG_NS
    answer = client.query(
        f"SELECT ?version ?graph ?triples WHERE {{ GRAPH <{control}> {{ ?switch <{mkg}currentVersion> ?version ; "
        f"<{mkg}currentGraph> ?graph ; <{_DCT}created> ?at OPTIONAL {{ ?switch <{mkg}triples> ?triples }} }} }} "
        "ORDER BY DESC(?at) DESC(STR(?switch)) LIMIT 1",
        RESULTS_JSON, None)
    rows = list(ox.parse_query_results(answer.content, format=ox.QueryResultsFormat.JSON))
    if not rows:
        return None
    triples = rows[0]["triples"]
    try:
        count = int(triples.value) if triples is not None else None
    except ValueError:
        count = None
    return rows[0]["version"].value, rows[0]["graph"].value, count


def current_pointer(client: RemoteClient, base_iri: str) -> tuple[str, str] | None:
    """Return (version, graph IRI) of the newest switch recorded in the control graph, or None."""
    switch = current_switch(client, base_iri)
    return switch[:2] if switch is not None else None


class RemoteStore:
    """One graph version in a remote SPARQL store, read through the SPARQL 1.1 Protocol."""

    isolates_user_queries = True  # the remote server parses and plans user queries, under our client timeout
    refusal: str | None = None  # the remote server answers user queries: never refused here

    def __init__(self, client: RemoteClient, *, version: str, graph_iri: str,
                 prefixes: dict[str, str] | None = None, triples: int | None = None) -> None:
        self.client = client
        self.version = version
        self.graph_iri = graph_iri
        self.prefixes = prefixes or {}
        self._prologue = "".join(f"PREFIX {name}: <{ns}>\n" for name, ns in self.prefixes.items())
        self._count = triples if triples is not None else self._count_triples()

    def __repr__(self) -> str:
        return f"RemoteStore({_where(self.client.query_url)!r}, version={self.version!r})"

    @classmethod
    def open_current(cls, client: RemoteClient, base_iri: str, *, prefixes: dict[str, str]) -> RemoteStore:
        """Open the version the control graph names as current; raise NoGraphVersion when there is none."""
        switch = current_switch(client, base_iri)
        if switch is None:
            raise NoGraphVersion(f"no graph version has been pushed to {_where(client.query_url)}: run mkg push")
        version, graph_iri, triples = switch  # the count the push made: no whole-graph COUNT at every start
        return cls(client, version=version, graph_iri=graph_iri, prefixes=prefixes, triples=triples)

    def _send(self, query: str, accept: str, bindings: dict | None) -> bytes:
        # a query with values bound is a look-up made for a request; without, it reads the whole graph (the
        # REST indexes, counts) while a version opens, which takes minutes on a big graph in a slow store
        timeout = self.client.read_timeout if bindings else self.client.bulk_timeout
        return self.client.query(self._prologue + bind_values(query, bindings), accept, self.graph_iri,
                                 timeout=timeout).content

    def _count_triples(self) -> int:
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(rows[0]["n"].value)

    def select(self, query: str, bindings: dict | None = None) -> list[dict]:
        result = ox.parse_query_results(self._send(query, RESULTS_JSON, bindings), format=ox.QueryResultsFormat.JSON)
        names = [v.value for v in result.variables]
        return [{name: solution[name] for name in names} for solution in result]

    def ask(self, query: str, bindings: dict | None = None) -> bool:
        body = self._send(query, RESULTS_JSON, bindings)
        return bool(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))

    def construct(self, query: str, bindings: dict | None = None) -> list[ox.Triple]:
        body = self._send(query, N_TRIPLES, bindings)
        return [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]

    def ntriples(self) -> bytes:
        """Return the version's triples as sorted N-Triples lines, as a build writes graph.nt.

        Read one predicate at a time: a store may refuse one answer of millions of triples (Virtuoso 7:
        "FRVEC … over max vector length") or take minutes to start it, while every predicate's triples
        come from its own index.
        """
        lines: set[bytes] = set()
        for row in self.select("SELECT DISTINCT ?p WHERE { ?s ?p ?o }"):
            text = f"CONSTRUCT {{ ?s {row['p']} ?o }} WHERE {{ ?s {row['p']} ?o }}"
            response, _ = self.client.send_query(text, N_TRIPLES, self.graph_iri, stream=True,
                                                 timeout=self.client.bulk_timeout)
            try:  # parsed as it streams in: no answer is held whole
                response.raw.decode_content = True
                lines.update(f"{quad.triple} .\n".encode()
                             for quad in ox.parse(response.raw, format=ox.RdfFormat.N_TRIPLES))
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                raise StoreUnavailable(f"the store stopped answering mid-result ({_reason(exc)})") from None
            finally:
                response.close()
        if len(lines) != self._count:  # a store may cut a CONSTRUCT at its row cap without saying so
            raise StoreLimit(f"the store at {_where(self.client.query_url)} sent {len(lines)} of the "
                             f"{self._count} triples of version {self.version}: {self.client.dialect.row_cap_advice}")
        return b"".join(sorted(lines))

    def describe(self, iri: str) -> list[ox.Triple]:
        return self.construct(CBD_QUERY, {"resource": ox.NamedNode(iri)})

    def rows(self, query: str) -> list[tuple]:
        return [tuple(row.values()) for row in self.select(query)]

    def triples(self, subject, predicate, obj) -> list[ox.Triple]:
        bound = {name: term for name, term in (("s", subject), ("p", predicate), ("o", obj)) if term is not None}
        if isinstance(bound.get("s"), ox.BlankNode):
            return []  # a store's blank node labels are its own: they cannot be sent back
        rows = self.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", bound)
        return [ox.Triple(row["s"], row["p"], row["o"]) for row in rows]

    def start(self) -> None:
        """Nothing to start: the server does the work."""

    def ready(self) -> bool:
        return True

    def triple_count(self) -> int:
        return self._count

    def protocol_query(self, query: str, fmt: str, *, max_rows: int, timeout: float,
                       limit: int | None = None) -> QueryOutput:
        """Proxy a user's query: time limit on the client side, row cap applied while reading the stream."""
        deadline = time.monotonic() + timeout
        media_type, kind = RESULT_FORMATS[fmt]
        refusal = self.client.dialect.refusal(query)
        if refusal:
            raise QueryFailed("syntax", refusal)
        graph_form = inspect_query(query).form in ("CONSTRUCT", "DESCRIBE")
        try:
            response, capped = self.client.send_query(self._prologue + query,
                                                      N_TRIPLES if graph_form else RESULTS_JSON, self.graph_iri,
                                                      timeout=timeout, max_rows=max_rows + 1, stream=True)
        except QueryFailed as exc:  # positions in the user's text, not in the prologue's
            shift = self._prologue.count("\n")
            raise QueryFailed(exc.kind, _POSITION.sub(lambda m: f"error at {max(1, int(m[1]) - shift)}:{m[2]}",
                                                      str(exc))) from None
        try:
            response.raw.decode_content = True
            if graph_form:
                if kind != "graph":
                    raise QueryFailed("format", f"CONSTRUCT/DESCRIBE results cannot be written as {fmt}")
                quads = ox.parse(response.raw, format=ox.RdfFormat.N_TRIPLES)
                taken, truncated = _take_until(quads, max_rows, deadline, timeout)
                triples = [ox.Triple(q.subject, q.predicate, q.object) for q in taken]
                return QueryOutput(serialize_triples(triples, fmt, self.prefixes), media_type, len(triples),
                                   truncated or capped)
            if kind != "solutions":
                raise QueryFailed("format", f"SELECT/ASK results cannot be written as {fmt}")
            result = ox.parse_query_results(self.client.dialect.solutions_stream(response.raw),
                                            format=ox.QueryResultsFormat.JSON)
            if isinstance(result, ox.QueryBoolean):
                return QueryOutput(serialize_boolean(bool(result), fmt), media_type, 1, False)
            variables = [v.value for v in result.variables]
            solutions, truncated = _take_until(result, max_rows, deadline, timeout)
            rows = [[solution[v] for v in variables] for solution in solutions]
            return QueryOutput(serialize_solutions(variables, rows, fmt), media_type, len(rows), truncated or capped)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            if time.monotonic() >= deadline or "timed out" in str(exc).lower():
                raise QueryTimeout(f"query stopped after {timeout:g} s") from None
            raise StoreUnavailable(f"the store stopped answering mid-result ({_reason(exc)})") from None
        except SyntaxError as exc:
            if time.monotonic() >= deadline:
                raise QueryTimeout(f"query stopped after {timeout:g} s") from None
            raise StoreUnavailable(f"the store sent an unreadable answer ({exc})") from None
        finally:
            response.close()  # unread rows beyond the cap are dropped with the connection

    def close(self) -> None:
        self.client.close()


def _take_until(items, cap: int, deadline: float, timeout: float) -> tuple[list, bool]:
    """Return up to `cap` items and whether more were left, stopping at the deadline."""
    taken = []
    for count, item in enumerate(itertools.islice(items, cap + 1)):
        if count % 256 == 0 and time.monotonic() > deadline:
            raise QueryTimeout(f"query stopped after {timeout:g} s")
        taken.append(item)
    return taken[:cap], len(taken) > cap
