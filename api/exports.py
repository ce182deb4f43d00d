"""Download the served graph, the ontology and the shapes: the same bytes `mkg export` writes, streamed.

Usage::

    curl -OJ http://127.0.0.1:8000/export/graph.ttl      # also graph.nt, graph.jsonld, ontology.ttl, shapes.ttl

Each graph format is converted once per graph version and base IRI by ``graph.export.convert`` into a
cache file, then sent from disk in chunks with an ETag (If-None-Match gives 304, Range is honoured) and
``Content-Disposition: attachment``.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from flask import Blueprint, Response, send_file

from api.http import Problem, cache_control, etag, graph, service
from graph.export import FORMATS, convert, ontology_files

bp = Blueprint("exports", __name__)

GRAPH_DOWNLOADS = {f"graph{extension}": fmt for fmt, (_, extension, _) in FORMATS.items() if fmt != "rdfxml"}
SCHEMA_DOWNLOADS = ("ontology.ttl", "shapes.ttl")
STALE_SECONDS = 86_400
_lock = threading.Lock()


def _cache_dir(graph_path: Path, version: str, base: str) -> Path:
    """Return the directory holding the converted files of one graph version and base IRI."""
    key = hashlib.sha256(f"{graph_path.resolve()}\n{version}\n{base}".encode()).hexdigest()[:20]
    root = Path(tempfile.gettempdir()) / f"mkg-exports-{os.getuid()}"
    where = root / key
    if not where.is_dir():
        where.mkdir(parents=True, exist_ok=True)
        stale = time.time() - STALE_SECONDS
        for other in root.iterdir():  # conversions of graphs nobody has downloaded for a day
            if other != where and other.stat().st_mtime < stale:
                shutil.rmtree(other, ignore_errors=True)
    return where


def _write_atomically(target: Path, write) -> None:
    """Call write(temporary path) and move the result onto `target`, so readers never see half a file."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)


def export_file(fmt: str) -> Path:
    """Return the file holding the served graph in `fmt`, converting it on first use."""
    current, vocab = graph(), service().vocab
    source = current.export_path
    if source is None:
        raise Problem(503, "export-unavailable", "Export Unavailable",
                      "this app serves a store without a graph file to export")
    source = source.absolute()  # send_file resolves a relative path against the app's package, not the cwd
    if fmt == "ntriples":  # every source is served from N-Triples: a build's, an import's sorted copy, or as given
        return source
    with _lock:
        where = _cache_dir(source, current.version, vocab.base)
        os.utime(where)  # in use: not stale
        target = where / f"graph{FORMATS[fmt][1]}"
        if not target.is_file():
            _write_atomically(target, lambda path: convert(source, fmt, vocab, output=path))
    return target


@bp.get("/export/<name>")
def download(name: str) -> Response:
    """Send one export file as an attachment, with an ETag and Cache-Control."""
    current = service()
    max_age = current.settings.cache_max_age
    if name in GRAPH_DOWNLOADS:
        fmt = GRAPH_DOWNLOADS[name]
        tag = etag(graph().version, current.vocab.base, name)
        response = send_file(export_file(fmt), mimetype=FORMATS[fmt][2], as_attachment=True, download_name=name,
                             etag=tag, conditional=True, max_age=max_age)
    elif name in SCHEMA_DOWNLOADS:
        body = ontology_files(current.vocab, current.settings.ontology_dir)[name]
        response = send_file(io.BytesIO(body), mimetype="text/turtle", as_attachment=True, download_name=name,
                             etag=hashlib.sha256(body).hexdigest()[:32], conditional=True, max_age=max_age)
    else:
        raise Problem(404, "export-not-found", "Export Not Found",
                      f"no export is called {name[:100]!r}", available=[*GRAPH_DOWNLOADS, *SCHEMA_DOWNLOADS])
    if response.mimetype.startswith("text/") or response.mimetype.endswith(("+json", "triples")):
        response.content_type = f"{response.mimetype}; charset=utf-8"
    response.headers["Cache-Control"] = cache_control()
    return response
