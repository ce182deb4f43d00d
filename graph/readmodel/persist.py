"""Persistence of the read model: written beside a graph version's on-disk store, read back by every server.

A graph version's directory (``store-<version>/``) holds the pyoxigraph store and, written by the build (or
by the import of a graph file), ``mkg-readmodel-<code>.pickle`` (the indexes) and ``mkg-facts-<code>.zlib``
(each concept's fact lines, one zlib block per concept). ``<code>`` hashes the base IRI and the source of
the modules that shape them, so a code change or another base IRI makes new files. A server only reads
files it finds there under its own code's name; a damaged one is rebuilt.

Usage::

    write(Path("build/store-abc"), store, vocab, Path("build/graph.nt"))    # at the end of a build
    model = ensure(Path("build/store-abc"), store, vocab, Path("build/graph.nt"))   # read, else made once
"""

from __future__ import annotations

import gc
import hashlib
import logging
import multiprocessing
import os
import pickle
import sqlite3
import time
from pathlib import Path

from graph import arabic
from graph.readmodel.documents import neighbourhood_document
from graph.readmodel.indexes import ReadModel
from graph.readmodel.model import json_bytes
from graph.readmodel.text.fulltext import ARTICLE_TEXT, TextDatabaseWriter, read_records
from graph.readmodel.text.linking import MentionMatcher, suggestions_json
from graph.store import Store
from graph.store.disk import index_file, write_atomically
from graph.store.embedded import EmbeddedStore
from graph.vocab import Vocabulary

_LOG = logging.getLogger("mkg.readmodel")
_SAVED_FILES = ("facts_path", "neighbourhood_path", "text_path")  # files saved with the model, by name
_APART_BYTES = 64 << 20  # a graph file this big has its read model made in a spawned process
_SOURCES = ("model.py", "scan.py", "indexes.py", "search.py", "suggest.py", "paths.py", "documents.py", "persist.py",
            "text/fulltext.py", "text/linking.py")


def _code(vocab: Vocabulary) -> str:
    """Return the hash of the base IRI and of the code that shapes the saved files."""
    digest = hashlib.sha256(vocab.base.encode())
    for name in _SOURCES:
        digest.update((Path(__file__).parent / name).read_bytes())
    digest.update(Path(arabic.__file__).read_bytes())
    return digest.hexdigest()[:16]


def model_path(directory: Path, vocab: Vocabulary) -> Path:
    """Return where the read model of this code and base IRI is saved in a version's directory."""
    return index_file(directory, f"readmodel-{_code(vocab)}.pickle")


def _facts_path(directory: Path, vocab: Vocabulary) -> Path:
    return index_file(directory, f"facts-{_code(vocab)}.zlib")


def _neighbourhoods_path(directory: Path, vocab: Vocabulary) -> Path:
    return index_file(directory, f"neighbourhoods-{_code(vocab)}.json")


def _text_path(directory: Path, vocab: Vocabulary) -> Path:
    return index_file(directory, f"text-{_code(vocab)}.sqlite")


def _write_text(model: ReadModel, article_text: Path, path: Path) -> None:
    """Save the text index and the link suggestions of the articles' text (graph.parse.articletext) with the model."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        temporary.unlink(missing_ok=True)
        writer = TextDatabaseWriter(temporary)
        matcher = MentionMatcher(model)
        try:
            for record in read_records(article_text):
                writer.add(record, suggestions_json(model, matcher, record))
        finally:
            writer.close()
        os.replace(temporary, path)
    except (OSError, sqlite3.Error, ValueError, KeyError, TypeError) as exc:  # a read-only or full directory,
        # or a damaged text file: served without text search and link suggestions
        _LOG.warning("cannot write the text index %s (%s)", path, exc)
        temporary.unlink(missing_ok=True)
        return
    model.text_path = str(path)


def _write_neighbourhoods(model: ReadModel, path: Path) -> None:
    """Save every concept's neighbourhood answer with the default parameters (JSON), with its offset in the model."""
    offsets, chunks, size = {}, [], 0
    for slug in model.sorted_slugs:
        body = json_bytes(neighbourhood_document(model, slug))
        offsets[slug] = (size, len(body))
        chunks.append(body)
        size += len(body)
    model.kept.clear()  # the summaries made on the way: a server makes its own
    if write_atomically(path, b"".join(chunks)):
        model.neighbourhood_offsets, model.neighbourhood_path = offsets, str(path)


def read(directory: Path, version: str, vocab: Vocabulary) -> ReadModel | None:
    """Return the read model saved in `directory` for this version, code and base IRI, else None."""
    path = model_path(directory, vocab)
    enabled = gc.isenabled()
    gc.disable()  # millions of small objects: the cyclic collector would triple the load time
    try:
        model = pickle.loads(path.read_bytes())
        gc.freeze()  # long-lived: keep the collector from walking them again (0.4 s at 10,000 articles)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a truncated or foreign file: made again and overwritten
        _LOG.warning("ignoring unreadable %s (%s)", path, exc)
        return None
    finally:
        if enabled:
            gc.enable()
    if not isinstance(model, ReadModel) or model.version != version:
        return None
    for name in _SAVED_FILES:  # saved by name: the directory may have moved (a build's swap)
        if getattr(model, name) is not None:
            setattr(model, name, str(Path(directory) / getattr(model, name)))
    return model


def write(directory: Path, store: Store | None, vocab: Vocabulary, graph_nt: Path | None,
          article_text: Path | None = None, *, version: str | None = None) -> ReadModel:
    """Make the read model of the store's version and save it (with the facts file) in `directory`.

    The text index and link suggestions are made from `article_text` (default: the version's own
    ARTICLE_TEXT, which a build writes) when it exists. With `graph_nt` and `version`, no store is
    read (a build makes it while its store is being loaded).
    """
    directory = Path(directory)
    facts = _facts_path(directory, vocab)
    model = ReadModel.build(store, vocab, graph_nt, facts if graph_nt is not None else None, version=version)
    neighbourhoods = _neighbourhoods_path(directory, vocab)
    _write_neighbourhoods(model, neighbourhoods)
    text, article_text = _text_path(directory, vocab), article_text or directory / ARTICLE_TEXT
    if article_text.is_file():
        _write_text(model, article_text, text)
    saved = {name: getattr(model, name) for name in _SAVED_FILES}
    for name, value in saved.items():
        setattr(model, name, Path(value).name if value is not None else None)
    path = model_path(directory, vocab)
    if write_atomically(path, pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)):
        for older in directory.glob(index_file(directory, "*").name):
            if older.name.startswith(("mkg-readmodel-", "mkg-facts-", "mkg-neighbourhoods-", "mkg-rest-indexes-",
                                      "mkg-text-")) and older not in (path, facts, neighbourhoods, text):
                older.unlink(missing_ok=True)
    for name, value in saved.items():
        setattr(model, name, value)
    return model


def ensure(directory: Path, store: Store, vocab: Vocabulary, graph_nt: Path | None,
           article_text: Path | None = None) -> ReadModel:
    """Return the saved read model of the store's version, making and saving it first when missing."""
    found = read(directory, store.version, vocab)
    if found is not None:
        return found
    started = time.perf_counter()
    if _apart(graph_nt) and _write_in_child(directory, store.version, vocab, graph_nt, article_text) == 0:
        found = read(directory, store.version, vocab)
    if found is None:
        found = write(directory, store, vocab, graph_nt, article_text)
    _LOG.info("made the read model of version %s in %.1f s", store.version, time.perf_counter() - started)
    return found


def write_from_file(directory: Path, version: str, vocab: Vocabulary, graph_nt: Path,
                    article_text: Path | None = None) -> None:
    """Make and save a version's read model from its sorted graph file alone, before its store exists.

    Big graphs are read in a spawned process, as ensure does. Usage::

        write_from_file(Path("staging/.readmodel"), "abc", Vocabulary(), Path("staging/graph.nt"))
    """
    code = _write_in_child(directory, version, vocab, graph_nt, article_text, with_store=False) \
        if _apart(graph_nt) else None
    if code is not None and code < 0:  # stopped by stop_read_models, or killed: not made again here
        raise ReadModelStopped(f"the read model process ended by signal {-code}")
    if code != 0:
        write(directory, None, vocab, graph_nt, article_text, version=version)


class ReadModelStopped(RuntimeError):
    """The process making a read model ended by a signal (see stop_read_models)."""


def stop_read_models() -> None:
    """Stop the read model processes this process started (a build whose validation failed needs none)."""
    for child in multiprocessing.active_children():
        if child.name == "mkg-readmodel":
            child.terminate()


def _apart(graph_nt: Path | None) -> bool:
    """Return True when the read model of a big graph is made in a spawned process."""
    # the scan's millions of short-lived objects would otherwise stay as fragmented heap in the serving
    # master, and in every worker forked from it
    try:
        return multiprocessing.parent_process() is None and graph_nt is not None and \
            graph_nt.stat().st_size > _APART_BYTES
    except OSError:
        return False


def _write_in_child(directory: Path, version: str, vocab: Vocabulary, graph_nt: Path,
                    article_text: Path | None, with_store: bool = True) -> int | None:
    """Make and save the read model in a spawned process; return its exit code (0: made), None if not started."""
    child = multiprocessing.get_context("spawn").Process(
        target=_child, name="mkg-readmodel",
        args=(str(directory), version, vocab.base, str(graph_nt), str(article_text) if article_text else None,
              with_store))
    try:
        child.start()
    except (OSError, RuntimeError) as exc:  # e.g. spawning from a script without a __main__ guard
        _LOG.warning("making the read model in this process (%s)", str(exc)[:80])
        return None
    child.join()
    return child.exitcode


def _child(directory: str, version: str, base: str, graph_nt: str, article_text: str | None,
           with_store: bool = True) -> None:
    """Make and save a version's read model (the body of _write_in_child's process)."""
    store = EmbeddedStore(Path(directory), version=version, query_workers=0) if with_store else None
    try:
        write(Path(directory), store, Vocabulary(base), Path(graph_nt), Path(article_text) if article_text else None,
              version=version)
    finally:
        if store is not None:
            store.close()
