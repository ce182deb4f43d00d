"""The remote store: any SPARQL 1.1 Protocol server (plus the Graph Store Protocol for pushes), by URL.

The served graph is one named graph per build version; a small control graph names the current one
(written by graph.push). A RemoteStore is pinned to one version: every query it sends carries that
graph as `default-graph-uri`, so a replica answers from one version until it swaps to a new store.
Values are bound as N-Triples terms in a VALUES block (the protocol has no substitutions), never
pasted raw; credentials travel only in headers and never appear in messages or logs.

Usage::

    client = RemoteClient.from_settings(load_settings(cli={"store": "sparql+http://127.0.0.1:7878/"}))
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
from graph.store.guard import TOKEN, inspect_query
from graph.store.pool import QueryFailed, QueryTimeout
from graph.store.results import (
    RESULT_FORMATS,
    QueryOutput,
    serialize_boolean,
    serialize_solutions,
    serialize_triples,
)

_LOG = logging.getLogger("mkg.remote_store")
SCHEMES = ("sparql+http://", "sparql+https://")
NO_ENDPOINT = ("-", "none")
RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
MKG_NS = "ontology#"


class StoreUnavailable(Exception):
    """The remote store could not be reached or answered with a server error; retry later."""

    retry_after = 5


class NoGraphVersion(LookupError):
    """The remote store holds no pushed graph version yet."""


def is_remote(store_setting: str) -> bool:
    """Tell whether the `store` setting names a remote SPARQL server (sparql+http://…)."""
    return store_setting.startswith(SCHEMES)


def control_graph(base_iri: str) -> str:
    """Return the IRI of the control graph that names the current graph version."""
    return f"{base_iri}graph/control"


def version_graph(base_iri: str, version: str) -> str:
    """Return the IRI of the named graph holding one build version."""
    return str(ox.NamedNode(f"{base_iri}graph/{version}").value)


def term(value: ox.NamedNode | ox.Literal) -> str:
    """Return a bound value as an escaped N-Triples term, refusing anything else."""
    if isinstance(value, ox.NamedNode):
        text = str(ox.NamedNode(value.value))  # re-validated: no <>"{}|^`\ or spaces survive
        if re.search(r'[\x00-\x20<>"{}|^`\\]', text[1:-1]):
            raise ValueError(f"cannot bind IRI {value.value!r}")
        return text
    if isinstance(value, ox.Literal):
        return str(value)  # pyoxigraph escapes quotes, backslashes and line breaks
    raise TypeError(f"only NamedNode and Literal values can be bound, not {type(value).__name__}")


def bind_values(query: str, bindings: dict | None) -> str:
    """Put `bindings` in a VALUES block opening the query's WHERE group (or trailing the query)."""
    if not bindings:
        return query
    names = list(bindings)
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", name):
            raise ValueError(f"cannot bind variable {name!r}")
    block = (" VALUES (" + " ".join(f"?{n}" for n in names) + ") { ("
             + " ".join(term(bindings[n]) for n in names) + ") } ")
    depth, after_where = 0, False
    for match in TOKEN.finditer(query):
        kind, text = match.lastgroup, match.group()
        if kind == "word" and text.upper() == "WHERE" and depth == 0:
            after_where = True
        elif kind == "other" and text == "{":
            if after_where and depth == 0:
                return query[: match.end()] + block + query[match.end():]
            depth += 1
        elif kind == "other" and text == "}":
            depth -= 1
    return query + "\n" + block


def _split_url(url: str) -> tuple[str, tuple[str, str] | None]:
    """Return (URL without user info, (user, password) or None)."""
    parts = urlsplit(url)
    auth = (parts.username or "", parts.password or "") if parts.username else None
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), auth


@dataclass(frozen=True)
class RemoteClient:
    """The HTTP side of a remote store: its endpoints, credentials and timeouts (one session per thread)."""

    query_url: str
    update_url: str
    data_url: str | None
    connect_timeout: float = 3.0
    read_timeout: float = 60.0
    auth: tuple[str, str] | None = field(default=None, repr=False)
    token: str = field(default="", repr=False)
    _local: threading.local = field(default_factory=threading.local, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings, url: str | None = None) -> RemoteClient:
        """Derive the endpoints from `store` (Oxigraph's /query, /update, /store unless configured)."""
        url = url or settings.store
        if not is_remote(url):
            raise ValueError(f"not a remote store URL (expected sparql+http://…): {url.split('@')[-1]!r}")
        base, auth = _split_url(url.split("+", 1)[1])
        if not urlsplit(base).path.endswith("/"):
            base += "/"
        if settings.store_user:
            auth = (settings.store_user, settings.store_password)

        def endpoint(value: str, default: str) -> str | None:
            if value.strip().lower() in NO_ENDPOINT:
                return None
            return _split_url(urljoin(base, value or default))[0]

        return cls(query_url=endpoint(settings.store_query_url, "query") or base,
                   update_url=endpoint(settings.store_update_url, "update") or base,
                   data_url=endpoint(settings.store_data_url, "store"),
                   connect_timeout=settings.store_connect_timeout,
                   read_timeout=max(30.0, settings.query_timeout * 3), auth=auth, token=settings.store_token)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.auth = self.auth
            session.headers["User-Agent"] = "marketing-kg"
        return session

    def request(self, method: str, url: str, *, timeout: float | None = None, write: bool = False,
                **kwargs) -> requests.Response:
        """Send one request; raise StoreUnavailable on connection loss or a 5xx, QueryTimeout on a slow answer."""
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
            if response.status_code >= 500 or response.status_code in (401, 403, 429):
                detail = response.text[:300].strip()
                response.close()
                raise StoreUnavailable(f"the store at {_where(url)} answered {response.status_code}: {detail}")
            return response
        raise AssertionError("unreachable")

    def query(self, text: str, accept: str, default_graph: str | None, *, timeout: float | None = None,
              stream: bool = False) -> requests.Response:
        """POST a query (form-encoded, SPARQL 1.1 Protocol) and return the response; 4xx raise QueryFailed."""
        data = {"query": text}
        if default_graph:
            data["default-graph-uri"] = default_graph
        response = self.request("POST", self.query_url, data=data, headers={"Accept": accept},
                                timeout=timeout, stream=stream)
        if response.status_code >= 400:
            detail = response.text[:1000]
            raise QueryFailed("syntax" if response.status_code == 400 else "error",
                              f"the store refused the query ({response.status_code}): {detail}")
        return response

    def update(self, text: str) -> None:
        """POST a SPARQL Update; raise QueryFailed when the store refuses it."""
        response = self.request("POST", self.update_url, write=True, data=text.encode(),
                                headers={"Content-Type": "application/sparql-update"})
        if response.status_code >= 300:
            raise QueryFailed("error", f"the store refused the update ({response.status_code}): "
                                       f"{response.text[:500]}")

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


def current_pointer(client: RemoteClient, base_iri: str) -> tuple[str, str] | None:
    """Return (version, graph IRI) that the control graph names as current, or None."""
    control, mkg = control_graph(base_iri), base_iri + MKG_NS
    response = client.query(
        f"SELECT ?version ?graph WHERE {{ GRAPH <{control}> {{ <{control}> <{mkg}currentVersion> ?version ; "
        f"<{mkg}currentGraph> ?graph }} }}", RESULTS_JSON, None)
    rows = list(ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON))
    if not rows:
        return None
    return rows[0]["version"].value, rows[0]["graph"].value


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
        pointer = current_pointer(client, base_iri)
        if pointer is None:
            raise NoGraphVersion(f"no graph version has been pushed to {_where(client.query_url)}: run mkg push")
        version, graph_iri = pointer
        return cls(client, version=version, graph_iri=graph_iri, prefixes=prefixes)

    def _send(self, query: str, accept: str, **options) -> requests.Response:
        return self.client.query(self._prologue + query, accept, self.graph_iri, **options)

    def _count_triples(self) -> int:
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        return int(rows[0]["n"].value)

    def select(self, query: str, bindings: dict | None = None) -> list[dict]:
        result = ox.parse_query_results(self._send(bind_values(query, bindings), RESULTS_JSON).content,
                                        format=ox.QueryResultsFormat.JSON)
        names = [v.value for v in result.variables]
        return [{name: solution[name] for name in names} for solution in result]

    def ask(self, query: str, bindings: dict | None = None) -> bool:
        body = self._send(bind_values(query, bindings), RESULTS_JSON).content
        return bool(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))

    def construct(self, query: str, bindings: dict | None = None) -> list[ox.Triple]:
        body = self._send(bind_values(query, bindings), N_TRIPLES).content
        return [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]

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
        graph_form = inspect_query(query).form in ("CONSTRUCT", "DESCRIBE")
        response = self._send(query, N_TRIPLES if graph_form else RESULTS_JSON, timeout=timeout, stream=True)
        try:
            response.raw.decode_content = True
            if graph_form:
                if kind != "graph":
                    raise QueryFailed("format", f"CONSTRUCT/DESCRIBE results cannot be written as {fmt}")
                quads = ox.parse(response.raw, format=ox.RdfFormat.N_TRIPLES)
                taken, truncated = _take_until(quads, max_rows, deadline, timeout)
                triples = [ox.Triple(q.subject, q.predicate, q.object) for q in taken]
                return QueryOutput(serialize_triples(triples, fmt, self.prefixes), media_type, len(triples),
                                   truncated)
            if kind != "solutions":
                raise QueryFailed("format", f"SELECT/ASK results cannot be written as {fmt}")
            result = ox.parse_query_results(response.raw, format=ox.QueryResultsFormat.JSON)
            if isinstance(result, ox.QueryBoolean):
                return QueryOutput(serialize_boolean(bool(result), fmt), media_type, 1, False)
            variables = [v.value for v in result.variables]
            solutions, truncated = _take_until(result, max_rows, deadline, timeout)
            rows = [[solution[v] for v in variables] for solution in solutions]
            return QueryOutput(serialize_solutions(variables, rows, fmt), media_type, len(rows), truncated)
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
