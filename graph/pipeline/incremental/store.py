"""Make a version's on-disk store by patching the previous version's, rather than loading every triple.

The previous store's table files (RocksDB SST files, never written in place) are hard-linked, its
small bookkeeping files copied, and the patch applied: the triples only in the old graph.nt removed
and those only in the new one added (graph.changes.compare writes it; the build keeps it as the changeset). The result holds exactly the new graph.nt's triples, as a full load would. A compacted
store stays marked compacted: the patch adds a few small table files, where a full compaction would
rewrite every one (a full build's store is compacted from scratch).

Usage::

    compare(Path("build/graph.nt"), Path("staging/graph.nt"), removed, added)     # graph.changes
    patch_store(Path("build/store-old"), removed, added, Path("staging/.store"))
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph as ox

from graph.store.disk import index_file


def patch_store(source: Path, removed: Path, added: Path, target: Path) -> tuple[int, int]:
    """Write at `target` the store `source` with the N-Triples `removed` taken out and `added` put in; return counts."""
    target.mkdir()
    for item in source.iterdir():
        if item.name.startswith(("mkg-", ".mkg-")) or not item.is_file():
            continue  # the read model and marks of the old version
        if item.suffix == ".sst":
            os.link(item, target / item.name)
        else:
            shutil.copy2(item, target / item.name)
    store = ox.Store(str(target))
    gone = 0
    for quad in ox.parse(path=str(removed), format=ox.RdfFormat.N_TRIPLES, lenient=True):
        store.remove(quad)
        gone += 1
    store.bulk_load(path=str(added), format=ox.RdfFormat.N_TRIPLES, lenient=True)
    store.flush()
    came = _count_lines(added)
    del store  # closes RocksDB: the directory can be renamed and opened read-only
    if index_file(source, "compacted").exists():  # a few small files on a compacted store: no full compaction
        index_file(target, "compacted").write_bytes(b"")
    return gone, came


def _count_lines(path: Path) -> int:
    with path.open("rb") as source:
        return sum(block.count(b"\n") for block in iter(lambda: source.read(1 << 20), b""))
