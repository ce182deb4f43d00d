"""Push a built graph into a remote store: a named graph per version, then an atomic switch of the pointer.

Readers never see a half-loaded graph: the new version is loaded into its own named graph and counted
while the old one is still served. Then one `INSERT DATA` adds a switch record to the control graph,
and the newest record names the served version: a single insertion is atomic in every store, where a
DELETE/INSERT with optional patterns is not even applied by some (Virtuoso 7 inserts nothing when its
OPTIONALs match nothing). Older records and versions beyond `keep_versions` (newest first, the current one
always kept) are dropped afterwards; readers only ever look at the newest record.

Usage::

    mkg push sparql+http://127.0.0.1:7878/               # build/graph.nt, version from build/report.json
    mkg build --push virtuoso+http://127.0.0.1:8890/
    push_graph(Path("build/graph.nt"), "3f2a9c…", RemoteClient.from_settings(settings), vocab.base)
"""

from __future__ import annotations

import datetime
import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from graph.export import file_version
from graph.store.disk import GRAPH_NT, prior_build
from graph.store.pool import QueryFailed
from graph.store.remote import (
    RESULTS_JSON,
    RemoteClient,
    StoreUnavailable,
    control_graph,
    current_pointer,
    version_graph,
)

BATCH_LINES = 5000
_DCT = "http://purl.org/dc/terms/"
_XSD = "http://www.w3.org/2001/XMLSchema#"


class PushFailed(RuntimeError):
    """The graph could not be loaded completely; the served version is unchanged."""


@dataclass
class PushResult:
    """What a push did: the version now served, how it was loaded, and the versions dropped."""

    version: str
    graph_iri: str
    triples: int
    method: str  # gsp | update | already-loaded
    dropped: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class Switch:
    """One switch record of the control graph: from `at` on, `graph_iri` (version `version`) is served."""

    record: str
    graph_iri: str
    version: str
    at: str


def _rows(client: RemoteClient, text: str) -> list:
    return list(ox.parse_query_results(client.query(text, RESULTS_JSON, None, timeout=client.bulk_timeout).content,
                                       format=ox.QueryResultsFormat.JSON))


def _count(client: RemoteClient, graph_iri: str) -> int:
    rows = _rows(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {_iri(graph_iri)} {{ ?s ?p ?o }} }}")
    return int(rows[0]["n"].value) if rows else 0


def _iri(value: str) -> str:
    return str(ox.NamedNode(value))  # validated, so nothing can close the <...> early


def _lines(graph_nt: Path) -> int:
    with graph_nt.open("rb") as handle:
        return sum(1 for line in handle if line.strip() and not line.lstrip().startswith(b"#"))


def _chunks(graph_nt: Path, lines: int | None):
    """Yield the file's bytes in pieces of at most `lines` whole lines (the whole file when None)."""
    with graph_nt.open("rb") as handle:
        if lines is None:
            yield handle
            return
        while chunk := b"".join(itertools.islice(handle, lines)):
            yield chunk


def _put(client: RemoteClient, graph_iri: str, graph_nt: Path) -> None:
    """Replace the named graph by the file's triples: a Graph Store Protocol PUT, then POSTs of the next chunks."""
    for number, body in enumerate(_chunks(graph_nt, client.dialect.load_lines)):
        response = client.request("PUT" if number == 0 else "POST", client.data_url, write=True,
                                  params={client.dialect.graph_param: graph_iri}, data=body,
                                  headers={"Content-Type": "application/n-triples"},
                                  timeout=client.bulk_timeout)
        if response.status_code >= 300:
            raise PushFailed(str(client.refusal(response, client.data_url, "upload")))


def _insert_batches(client: RemoteClient, graph_iri: str, graph_nt: Path, batch_lines: int) -> None:
    """Load the file with SPARQL Update INSERT DATA batches (no LOAD: the store never fetches anything)."""
    client.update(f"DROP SILENT GRAPH {_iri(graph_iri)}")
    batch: list[str] = []
    batch_lines = min(batch_lines, client.dialect.update_lines)

    def flush() -> None:
        if batch:
            client.update(f"INSERT DATA {{ GRAPH {_iri(graph_iri)} {{\n" + "".join(batch) + "}}")
            batch.clear()

    with graph_nt.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if "_:" in line:  # a blank node label would name a different node in every batch
                for parsed in ox.parse(line.encode(), format=ox.RdfFormat.N_TRIPLES):
                    if any(isinstance(t, ox.BlankNode) for t in (parsed.subject, parsed.object)):
                        raise PushFailed("blank nodes cannot be loaded in batches: configure a Graph Store "
                                         "Protocol endpoint (store_data_url)")
            batch.append(line if line.endswith("\n") else line + "\n")
            if len(batch) >= batch_lines:
                flush()
    flush()


def switches(client: RemoteClient, base_iri: str) -> list[Switch]:
    """Return the switch records of the control graph, newest first (the first names the served version)."""
    control, mkg = _iri(control_graph(base_iri)), f"<{base_iri}ontology#"
    rows = _rows(client, f"SELECT ?record ?g ?version ?at WHERE {{ GRAPH {control} {{ ?record {mkg}currentGraph> ?g ; "
                         f"{mkg}currentVersion> ?version ; <{_DCT}created> ?at }} }} "
                         "ORDER BY DESC(?at) DESC(STR(?record))")
    return [Switch(row["record"].value, row["g"].value, row["version"].value, row["at"].value) for row in rows]


def _switch(client: RemoteClient, base_iri: str, version: str, graph_iri: str, triples: int) -> None:
    """Make `graph_iri` the served version with one INSERT DATA of a switch record, then check it is so."""
    now = datetime.datetime.now(datetime.UTC)
    control, mkg = _iri(control_graph(base_iri)), f"<{base_iri}ontology#"
    record = _iri(f"{control_graph(base_iri)}#switch-{now:%Y%m%dT%H%M%S%fZ}")
    client.update(f"""INSERT DATA {{ GRAPH {control} {{
  {record} {mkg}currentVersion> {ox.Literal(version)} ; {mkg}currentGraph> {_iri(graph_iri)} ;
    {mkg}triples> {triples} ; <{_DCT}created> "{now:%Y-%m-%dT%H:%M:%S.%fZ}"^^<{_XSD}dateTime> }} }}""")
    served = current_pointer(client, base_iri)
    if served != (version, graph_iri):  # a store that answers 2xx to an update it did not apply
        raise PushFailed(f"the store accepted the switch to version {version} but serves {served}: "
                         "the served version is unchanged")


def versions(client: RemoteClient, base_iri: str) -> list[tuple[str, str]]:
    """Return the pushed (graph IRI, version) pairs, the most recently served first."""
    seen: dict[str, str] = {}
    for switch in switches(client, base_iri):
        seen.setdefault(switch.graph_iri, switch.version)
    return list(seen.items())


def prune(client: RemoteClient, base_iri: str, keep: int, current: str) -> list[str]:
    """Drop every version graph but the `keep` most recently served (the current one always stays), and
    every switch record but the newest of each kept version; return the dropped graphs."""
    kept, dropped, stale, seen = {current}, [], [], set()
    for switch in switches(client, base_iri):
        if switch.graph_iri in seen:  # an older record of a version already placed
            stale.append(switch)
            continue
        seen.add(switch.graph_iri)
        if switch.graph_iri in kept or len(kept) < keep:
            kept.add(switch.graph_iri)
        else:
            dropped.append(switch.graph_iri)
            stale.append(switch)
    control = _iri(control_graph(base_iri))
    operations = [f"DELETE WHERE {{ GRAPH {control} {{ {_iri(s.record)} ?p ?o }} }}" for s in stale]
    operations += [f"DROP SILENT GRAPH {_iri(g)}" for g in dropped]  # after their records: never a dangling pointer
    if operations:
        client.update(" ;\n".join(operations))
    return dropped


def push_graph(graph_nt: Path, version: str, client: RemoteClient, base_iri: str, *, keep_versions: int = 3,
               batch_lines: int = BATCH_LINES) -> PushResult:
    """Load `graph_nt` as version `version`, switch the served version to it, and drop old versions."""
    started = time.perf_counter()
    graph_nt = Path(graph_nt)
    graph_iri = version_graph(base_iri, version)
    expected = _lines(graph_nt)
    method = "already-loaded"
    if _count(client, graph_iri) != expected:
        method = "gsp" if client.data_url else "update"
        if client.data_url:
            _put(client, graph_iri, graph_nt)
        else:
            _insert_batches(client, graph_iri, graph_nt, batch_lines)
        loaded = _count(client, graph_iri)
        if loaded != expected:
            raise PushFailed(f"the store holds {loaded} of the {expected} triples of version {version}; "
                             "the served version is unchanged")
    _switch(client, base_iri, version, graph_iri, expected)
    dropped = prune(client, base_iri, max(1, keep_versions), graph_iri)
    return PushResult(version, graph_iri, expected, method, dropped, time.perf_counter() - started)


def push_build(settings, url: str | None = None, graph_file: Path | None = None,
               version: str | None = None) -> PushResult:
    """Push the build's graph.nt (or `graph_file`) to the store at `url` (default: the `store` setting)."""
    client = RemoteClient.from_settings(settings, url)
    source = Path(graph_file) if graph_file else settings.build_dir / GRAPH_NT
    if not source.is_file():
        raise PushFailed(f"{source} does not exist: run mkg build first")
    if source.suffix != ".nt":
        raise PushFailed(f"{source}: push an N-Triples file (mkg build writes build/graph.nt)")
    if version is None:  # the version the embedded store would serve: the build's, or the file's hash
        built = prior_build(source)
        version = built.version if built else file_version(source)
    try:
        return push_graph(source, version, client, settings.base_iri, keep_versions=settings.keep_versions)
    except (StoreUnavailable, QueryFailed) as exc:
        raise PushFailed(str(exc)) from None
    finally:
        client.close()



