"""Incremental builds: reuse the previous build's parses and extractions where nothing they read changed.

A full build records, for every file, its index view, and for every article each extraction phase's
lines and the index reads it made (graph.pipeline.incremental.cache, in build/cache/). The next build
parses only the files whose content hash changed, and extracts again only the articles that changed or
whose recorded reads answer differently now (graph.pipeline.incremental.update); everything after
extraction runs as in a full build, so the output is the same bytes, except the on-disk store: the
previous version's is patched with the triples removed and added (graph.pipeline.incremental.store). Any doubt (ontology, shapes, code,
base IRI, drafts, size limit: the settings fingerprint) means no cache, hence a full build.

Usage::

    cache = previous_cache(Path("build"), settings)     # None: build in full
"""

from __future__ import annotations

from pathlib import Path

from graph.built import read_report
from graph.pipeline.incremental.cache import CACHE_DIR, BuildCache
from graph.pipeline.incremental.store import patch_store
from graph.pipeline.incremental.update import ContentChanged, extract_changed, read_changed
from graph.pipeline.shards import keep_store
from graph.store.disk import GRAPH_NT

__all__ = ["CACHE_DIR", "BuildCache", "ContentChanged", "extract_changed", "keep_cache", "patch_store",
           "previous_cache", "read_changed"]


def previous_cache(out_dir: Path, settings: str) -> BuildCache | None:
    """Return the cache of the finished build in out_dir if it was made under `settings`, else None."""
    report = read_report(out_dir)
    if not report or not report.get("written") or not (out_dir / GRAPH_NT).is_file():
        return None
    return BuildCache.open(out_dir / CACHE_DIR, settings)


def keep_cache(cache: BuildCache, paths: list[Path], root: Path, buckets: list[Path], staging: Path) -> None:
    """Drop what the corpus no longer holds, close the cache and put it in the staging dir (hard links)."""
    relative = {path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path) for path in paths}
    cache.forget_others(relative, buckets)
    cache.close()
    keep_store(cache.directory, staging / CACHE_DIR)
