"""What changed between graph versions: /api/changes (per concept, paged) and the N-Triples patches.

The build keeps the changesets of the last keep_versions versions (graph.changes). Without `since`,
/api/changes lists them; with `since=<version>` it answers what changed from that version to the
served one, per concept (optionally one `concept`), paged. A version the build does not keep is a
410 problem: it expired, or was never built here.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from flask import Blueprint, Response, request, url_for

from api.http import Problem, etag, graph, respond, service
from api.rest.params import MAX_OFFSET, bad_parameter, int_param, single_param, slug_param
from graph import changes

bp = Blueprint("changes", __name__)
VERSION = re.compile(r"^[0-9a-f]{8,64}$")
_REPORTS: OrderedDict[tuple[str, str, str], dict] = OrderedDict()  # (build dir, from, to) -> report
_REPORTS_KEPT = 8
_lock = threading.Lock()


def _version(name: str, value: str | None) -> str:
    if value is None or not VERSION.match(value):
        raise bad_parameter(name, "give a graph version (8-64 lowercase hex digits)")
    return value


def _gone(detail: str) -> Problem:
    return Problem(410, "version-gone", "Version Gone", detail, kept=changes.versions(service().settings.build_dir))


def _report(old: str, new: str) -> dict:
    """Return graph.changes.report for (old, new), kept for the last few pairs asked (bounded cost per version).

    The report is made outside the lock: a big one does not hold up the answers already kept.
    """
    build_dir = service().settings.build_dir
    key = (str(build_dir), old, new)
    with _lock:
        found = _REPORTS.get(key)
        if found is not None:
            _REPORTS.move_to_end(key)
            return found
    try:
        found = changes.report(build_dir, old, new, service().vocab)
    except changes.UnknownVersion as exc:
        raise _gone(str(exc)) from exc
    with _lock:
        _REPORTS[key] = found
        while len(_REPORTS) > _REPORTS_KEPT:
            _REPORTS.popitem(last=False)
    return found


def _patch_links(old: str, new: str) -> dict[str, str]:
    return {side: url_for("changes.patch", old=old, new=new, side=side) for side in ("removed", "added")}


@bp.get("/api/changes")
def list_changes() -> Response:
    """Answer the kept changesets, or (since=) what changed from a version to the served one, per concept."""
    since = single_param("since")
    concept = single_param("concept")
    concept = None if concept is None else slug_param("concept", concept)
    limit, offset = int_param("limit", 50, 1, 500), int_param("offset", 0, 0, MAX_OFFSET)
    current = graph().version
    if since is None:
        def build_log() -> dict:
            log = changes.read_log(service().settings.build_dir)
            return {"version": current, "versions": changes.versions(service().settings.build_dir),
                    "changesets": [{**entry, **_patch_links(entry["from"], entry["to"])} for entry in reversed(log)]}
        return respond(build_log)
    since = _version("since", since)
    found = {"from": since, "to": current, "removed": 0, "added": 0, "concepts": [],
             "shacl": {"appeared": [], "went_away": []}} if since == current else _report(since, current)

    def build() -> dict:
        rows = [c for c in found["concepts"] if concept is None or c["concept"] == concept]
        return {"from": found["from"], "to": found["to"], "triples": {"removed": found["removed"],
                                                                      "added": found["added"]},
                "patch": _patch_links(since, current) if since != current else None,
                "total": len(rows), "offset": offset, "limit": limit, "concepts": rows[offset:offset + limit],
                "shacl": found["shacl"] if concept is None else {
                    side: [r for r in results if r["focus"].rstrip("/").endswith("/" + concept)]
                    for side, results in found["shacl"].items()}}

    return respond(build)


@bp.get("/api/changes/<old>/<new>/<side>.nt")
def patch(old: str, new: str, side: str) -> Response:
    """Answer the triples removed or added from version `old` to `new`, as N-Triples."""
    old, new = _version("old", old), _version("new", new)
    if side not in ("removed", "added"):
        raise bad_parameter("side", "the patches are removed.nt and added.nt")
    tag = etag(old, new, side)
    if request.if_none_match.contains(tag):
        return Response(status=304, headers={"ETag": f'"{tag}"'})
    try:
        removed, added = changes.between(service().settings.build_dir, old, new)
    except changes.UnknownVersion as exc:
        raise _gone(str(exc)) from exc
    response = Response(b"".join(removed if side == "removed" else added),
                        content_type="application/n-triples; charset=utf-8")
    response.headers["ETag"] = f'"{tag}"'  # a patch between two versions never changes
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Disposition"] = f'attachment; filename="{old}--{new}.{side}.nt"'
    return response
