"""Push a built graph into a remote store: a named graph per version, then an atomic switch of the pointer.

Readers never see a half-loaded graph: the new version is loaded into its own named graph and counted
while the old one is still served, then one SPARQL Update rewrites the "current version" triples of the
control graph. Versions beyond `keep_versions` (newest first, the current one always kept) are dropped.

Usage::

    mkg push sparql+http://127.0.0.1:7878/               # build/graph.nt, version from build/report.json
    mkg build --push sparql+http://127.0.0.1:7878/
    push_graph(Path("build/graph.nt"), "3f2a9c…", RemoteClient.from_settings(settings), vocab.base)
"""

from __future__ import annotations

import datetime
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


def _count(client: RemoteClient, graph_iri: str) -> int:
    text = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {_iri(graph_iri)} {{ ?s ?p ?o }} }}"
    rows = list(ox.parse_query_results(client.query(text, RESULTS_JSON, None).content,
                                       format=ox.QueryResultsFormat.JSON))
    return int(rows[0]["n"].value) if rows else 0


def _iri(value: str) -> str:
    return str(ox.NamedNode(value))  # validated, so nothing can close the <...> early


def _lines(graph_nt: Path) -> int:
    with graph_nt.open("rb") as handle:
        return sum(1 for line in handle if line.strip() and not line.lstrip().startswith(b"#"))


def _put(client: RemoteClient, graph_iri: str, graph_nt: Path) -> None:
    """Replace the named graph by the file's triples with one Graph Store Protocol PUT."""
    with graph_nt.open("rb") as body:
        response = client.request("PUT", client.data_url, write=True, params={"graph": graph_iri}, data=body,
                                  headers={"Content-Type": "application/n-triples"},
                                  timeout=max(client.read_timeout, 600.0))
    if response.status_code >= 300:
        raise PushFailed(f"the store refused the upload ({response.status_code}): {response.text[:300]}")


def _insert_batches(client: RemoteClient, graph_iri: str, graph_nt: Path, batch_lines: int) -> None:
    """Load the file with SPARQL Update INSERT DATA batches (no LOAD: the store never fetches anything)."""
    client.update(f"DROP SILENT GRAPH {_iri(graph_iri)}")
    batch: list[str] = []

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


def _switch(client: RemoteClient, base_iri: str, version: str, graph_iri: str, triples: int) -> None:
    """Point the control graph at `graph_iri` with one DELETE/INSERT operation (atomic in the store)."""
    control, mkg = _iri(control_graph(base_iri)), f"<{base_iri}ontology#"
    graph, label = _iri(graph_iri), str(ox.Literal(version))
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    client.update(f"""DELETE {{ GRAPH {control} {{ {control} {mkg}currentVersion> ?v ; {mkg}currentGraph> ?g .
    {graph} <{_DCT}created> ?created ; {mkg}triples> ?n }} }}
INSERT {{ GRAPH {control} {{ {control} {mkg}currentVersion> {label} ; {mkg}currentGraph> {graph} .
    {graph} a {mkg}GraphVersion> ; {mkg}version> {label} ; {mkg}triples> {triples} ;
      <{_DCT}created> "{now}"^^<{_XSD}dateTime> }} }}
WHERE {{
  OPTIONAL {{ GRAPH {control} {{ {control} {mkg}currentVersion> ?v ; {mkg}currentGraph> ?g }} }}
  OPTIONAL {{ GRAPH {control} {{ {graph} <{_DCT}created> ?created }} }}
  OPTIONAL {{ GRAPH {control} {{ {graph} {mkg}triples> ?n }} }}
}}""")


def versions(client: RemoteClient, base_iri: str) -> list[tuple[str, str]]:
    """Return the pushed (graph IRI, version) pairs, newest first."""
    control, mkg = _iri(control_graph(base_iri)), f"<{base_iri}ontology#"
    text = (f"SELECT ?g ?version WHERE {{ GRAPH {control} {{ ?g a {mkg}GraphVersion> ; {mkg}version> ?version ; "
            f"<{_DCT}created> ?created }} }} ORDER BY DESC(?created) ?g")
    rows = ox.parse_query_results(client.query(text, RESULTS_JSON, None).content, format=ox.QueryResultsFormat.JSON)
    return [(row["g"].value, row["version"].value) for row in rows]


def prune(client: RemoteClient, base_iri: str, keep: int, current: str) -> list[str]:
    """Drop every version graph but the newest `keep` (the current one always stays); return the dropped."""
    kept, dropped = {current}, []
    for graph_iri, _ in versions(client, base_iri):
        if graph_iri in kept or len(kept) < keep:
            kept.add(graph_iri)
            continue
        control = _iri(control_graph(base_iri))
        client.update(f"DROP SILENT GRAPH {_iri(graph_iri)} ;\n"
                      f"DELETE WHERE {{ GRAPH {control} {{ {_iri(graph_iri)} ?p ?o }} }}")
        dropped.append(graph_iri)
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



