"""Record what each build changed, and tell what changed between two kept versions.

A build that replaces another writes build/changes/<old>--<new>/, a changeset as DBpedia Live
publishes them: removed.nt and added.nt (sorted N-Triples; remove, then add, and the old graph.nt
becomes the new one), and summary.json (the SHACL results that appeared and went away).
build/changes/log.json lists the changesets kept, oldest first: the last keep_versions - 1, so the
last keep_versions versions can be compared with each other. Between versions further apart the
changesets in between are composed.

Usage::

    removed, added = between(Path("build"), "9fce44d5", "05434e2e")   # sorted N-Triples lines
    concepts = concept_changes(removed, added, Vocabulary())           # per concept: labels, links...
    python: mkg diff 9fce44d5 05434e2e --format json
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from graph.vocab import RDF, SKOS, Vocabulary

CHANGES_DIR = "changes"
LOG_FILE = "log.json"
REMOVED, ADDED, SUMMARY = "removed.nt", "added.nt", "summary.json"
STATUSES = ("added", "changed", "removed")
TOUCHED_LISTED = 12  # concepts a log entry names (the home page's recent changes); its counts cover them all


class UnknownVersion(LookupError):
    """A version that no kept changeset leads from or to (never built here, or expired)."""


def changeset_dir(build_dir: Path, old: str, new: str) -> Path:
    return Path(build_dir) / CHANGES_DIR / f"{old}--{new}"


def read_log(build_dir: Path) -> list[dict[str, Any]]:
    """Return the kept changesets of build_dir, oldest first ([] when none)."""
    try:
        log = json.loads((Path(build_dir) / CHANGES_DIR / LOG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return log if isinstance(log, list) else []


def versions(build_dir: Path) -> list[str]:
    """Return the versions the kept changesets connect, oldest first."""
    log = read_log(build_dir)
    return [log[0]["from"], *(entry["to"] for entry in log)] if log else []


def compare(old: Path, new: Path, removed: Path, added: Path) -> None:
    """Write the lines only in sorted `old` to `removed` and those only in sorted `new` to `added`."""
    comm = shutil.which("comm")
    if comm is not None:  # one pass in C: lines only in `new` come indented by a tab (no N-Triples line starts so)
        with removed.open("wb") as gone, added.open("wb") as came, subprocess.Popen(
                [comm, "-3", str(old), str(new)], stdout=subprocess.PIPE, env={"LC_ALL": "C"}) as process:
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith(b"\t"):
                    came.write(line[1:])
                else:
                    gone.write(line)
        if process.returncode != 0:
            raise OSError(f"comm failed with status {process.returncode}")
        return
    old_lines, new_lines = set(old.read_bytes().splitlines(True)), set(new.read_bytes().splitlines(True))
    removed.write_bytes(b"".join(sorted(old_lines - new_lines)))
    added.write_bytes(b"".join(sorted(new_lines - old_lines)))


def _shacl_changes(old_report: dict | None, new_report: dict) -> dict[str, list[dict]]:
    """Return the SHACL results that appeared and went away between two build reports."""
    def results(report: dict | None) -> dict[str, dict]:
        validation = (report or {}).get("validation") or {}
        return {_result_key(r): r for r in validation.get("results", [])}

    before, after = results(old_report), results(new_report)
    return {"appeared": [after[k] for k in sorted(after.keys() - before.keys())],
            "went_away": [before[k] for k in sorted(before.keys() - after.keys())]}


def record(previous: Path, staging: Path, old_report: dict | None, new_report: dict, keep_versions: int,
           vocab: Vocabulary, patch: tuple[Path, Path] | None = None) -> None:
    """Write the changeset from the build in `previous` to the one in `staging`, and carry the kept ones over.

    `patch`, when its two files exist, is that changeset's (removed, added) already compared: they are moved in.
    """
    log = read_log(previous)
    old, new = (old_report or {}).get("version"), new_report["version"]
    target = staging / CHANGES_DIR
    target.mkdir(exist_ok=True)
    if old and old != new and (previous / "graph.nt").is_file():
        here = target / f"{old}--{new}"
        here.mkdir()
        if patch is not None and all(part.is_file() for part in patch):
            os.replace(patch[0], here / REMOVED)
            os.replace(patch[1], here / ADDED)
        else:
            compare(previous / "graph.nt", staging / "graph.nt", here / REMOVED, here / ADDED)
        (here / SUMMARY).write_text(json.dumps({"shacl": _shacl_changes(old_report, new_report)},
                                               ensure_ascii=False, indent=1), encoding="utf-8")
        if log and log[-1]["to"] != old:
            log = []  # the chain is broken (a build made elsewhere): start afresh
        lines = {REMOVED: 0, ADDED: 0}

        def read(name: str) -> Iterator[bytes]:  # one pass over each patch: counted while summarised
            with (here / name).open("rb") as source:
                for line in source:
                    lines[name] += 1
                    yield line

        statuses = concept_statuses(read(REMOVED), read(ADDED), vocab)
        log.append({"from": old, "to": new, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "removed": lines[REMOVED], "added": lines[ADDED], **touched_summary(statuses)})
    log = log[-max(1, keep_versions - 1):] if log and log[-1]["to"] == new else []
    for entry in log:
        source = previous / CHANGES_DIR / f"{entry['from']}--{entry['to']}"
        if source.is_dir() and not (target / source.name).exists():
            (target / source.name).mkdir()
            for item in source.iterdir():
                os.link(item, target / source.name / item.name)
    (target / LOG_FILE).write_text(json.dumps(log, indent=1), encoding="utf-8")
    for part in patch or ():
        part.unlink(missing_ok=True)  # not moved in: no changeset (the same version again)


def touched_summary(statuses: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return the concepts a changeset touched, counted by status, and the first TOUCHED_LISTED (added first)."""
    counts = dict.fromkeys(STATUSES, 0)
    for entry in statuses.values():
        counts[entry["status"]] += 1
    first = sorted(statuses, key=lambda slug: (STATUSES.index(statuses[slug]["status"]), slug))[:TOUCHED_LISTED]
    return {"concepts": counts, "touched": [{"concept": slug, "status": statuses[slug]["status"]} for slug in first]}


def _steps(build_dir: Path, old: str, new: str) -> Iterator[tuple[Path, bool]]:
    """Yield each kept changeset on the way from `old` to `new`, and whether it is walked forward."""
    chain = versions(build_dir)
    if old not in chain or new not in chain:
        missing = old if old not in chain else new
        raise UnknownVersion(f"version {missing!r} is not among the kept versions ({', '.join(chain) or 'none'})")
    start, end = chain.index(old), chain.index(new)
    step = 1 if end >= start else -1
    for i in range(start, end, step):
        a, b = chain[i], chain[i + step]
        yield (changeset_dir(build_dir, a, b), True) if step == 1 else (changeset_dir(build_dir, b, a), False)


def _compose(steps: Iterable[tuple[dict, dict]]) -> tuple[dict, dict]:
    """Compose (gone, came) steps, each keyed by fact: a fact gone and then back again (or back then gone) cancels."""
    gone_all: dict = {}
    came_all: dict = {}
    for gone, came in steps:
        for key, value in gone.items():
            came_all.pop(key) if key in came_all else gone_all.setdefault(key, value)
        for key, value in came.items():
            gone_all.pop(key) if key in gone_all else came_all.setdefault(key, value)
    return gone_all, came_all


def between(build_dir: Path, old: str, new: str) -> tuple[list[bytes], list[bytes]]:
    """Return (removed, added) sorted N-Triples lines from version `old` to `new`; UnknownVersion if not kept."""
    def lines(directory: Path, name: str) -> dict[bytes, None]:
        return dict.fromkeys((directory / name).read_bytes().splitlines(True))

    removed, added = _compose((lines(d, REMOVED), lines(d, ADDED)) if forward else (lines(d, ADDED), lines(d, REMOVED))
                              for d, forward in _steps(build_dir, old, new))
    return sorted(removed), sorted(added)


def _result_key(result: dict) -> str:
    return json.dumps(result, sort_keys=True, ensure_ascii=False)


def shacl_between(build_dir: Path, old: str, new: str) -> dict[str, list[dict]]:
    """Return the SHACL results that appeared and went away from `old` to `new` (adjacent steps composed)."""
    def results(directory: Path, forward: bool) -> tuple[dict, dict]:
        summary = json.loads((directory / SUMMARY).read_text(encoding="utf-8"))["shacl"]
        appeared, went = ({_result_key(r): r for r in summary[name]} for name in ("appeared", "went_away"))
        return (went, appeared) if forward else (appeared, went)

    went, appeared = _compose(results(d, forward) for d, forward in _steps(build_dir, old, new))
    return {"appeared": [appeared[k] for k in sorted(appeared)], "went_away": [went[k] for k in sorted(went)]}


def _triples(lines: Iterable[bytes]) -> list[ox.Triple]:
    body = b"".join(lines)
    return [quad.triple for quad in ox.parse(input=body, format=ox.RdfFormat.N_TRIPLES)] if body else []


def _concept_slug(iri: str, vocab: Vocabulary) -> str | None:
    """Return the slug of a concept or article IRI (or of a node under it, after '#'), else None."""
    found = vocab.slug_of(iri.split("#", 1)[0])
    return found[1] if found and found[0] in ("concept", "article") else None


def _value(term: Any) -> str:
    if isinstance(term, ox.Literal):
        return f"{term.value}@{term.language}" if term.language else term.value
    return term.value


def concept_statuses(removed: Iterable[bytes], added: Iterable[bytes], vocab: Vocabulary) -> dict[str, dict[str, Any]]:
    """Return, per concept a changeset touches, its status and its triples removed and added (lines streamed)."""
    typed = f"<{RDF.type}> <{vocab.MKG.Concept}> .".encode()
    slugs: dict[bytes, str | None] = {}
    found: dict[str, dict[str, Any]] = {}
    for side, lines in (("removed", removed), ("added", added)):
        for line in lines:
            end = line.find(b"> ") if line.startswith(b"<") else -1
            if end < 0:
                continue
            subject = line[1:end]
            if subject not in slugs:
                slugs[subject] = _concept_slug(subject.decode("utf-8"), vocab)
            slug = slugs[subject]
            if slug is None:
                continue
            entry = found.setdefault(slug, {"status": "changed", "triples": {"removed": 0, "added": 0}})
            entry["triples"][side] += 1
            if line[end + 2:].rstrip() == typed:
                entry["status"] = side
    for entry in found.values():
        if entry["status"] != "changed" and entry["triples"]["removed"] and entry["triples"]["added"]:
            entry["status"] = "changed"  # typed Concept on one side only, yet facts on both: a red link written
    return found


def concept_changes(removed: list[bytes], added: list[bytes], vocab: Vocabulary) -> list[dict[str, Any]]:
    """Summarise a changeset per concept: added or removed, labels, definitions, links (with anchors), keywords."""
    mkg = vocab.MKG
    fields = {str(SKOS.prefLabel): "labels", str(SKOS.definition): "definitions", str(mkg.linksTo): "links",
              str(mkg.hasKeyword): "keywords"}
    concepts = {slug: {"concept": slug, "iri": str(vocab.concept(slug)), **found}
                for slug, found in concept_statuses(removed, added, vocab).items()}
    for side, lines in (("removed", removed), ("added", added)):
        triples = _triples(lines)
        anchors: dict[tuple[str, str], list[str]] = {}
        nodes: dict[str, dict[str, str]] = {}
        for t in triples:  # link nodes: their target and anchor text
            if t.predicate.value in (str(mkg.linkTarget), str(mkg.anchorText)):
                nodes.setdefault(t.subject.value, {})[t.predicate.value] = _value(t.object)
        for node, facts in nodes.items():
            source, target = _concept_slug(node, vocab), facts.get(str(mkg.linkTarget))
            if source and target and str(mkg.anchorText) in facts:
                key = (source, _concept_slug(target, vocab) or target)
                anchors.setdefault(key, []).append(facts[str(mkg.anchorText)])
        for t in triples:
            name = fields.get(t.predicate.value)
            slug = _concept_slug(t.subject.value, vocab) if name and isinstance(t.subject, ox.NamedNode) else None
            if slug is None or t.subject.value != str(vocab.concept(slug)):
                continue
            value: Any = _value(t.object)
            if name == "links":
                target = _concept_slug(value, vocab) or value
                value = {"target": target, "anchors": sorted(anchors.get((slug, target), []))}
            elif name == "keywords":
                value = (vocab.slug_of(value) or ("", value))[1]
            concepts[slug].setdefault(name, {"removed": [], "added": []})[side].append(value)
    return [concepts[slug] for slug in sorted(concepts)]


def endpoints(build_dir: Path, old: str | None, new: str | None) -> tuple[str, str]:
    """Return (old, new) with the defaults filled in: `new` the newest kept version, `old` the one before `new`."""
    chain = versions(build_dir)
    if not chain:
        raise UnknownVersion(f"{build_dir} keeps no changes yet: build twice (mkg build) to record some")
    new = new or chain[-1]
    if old is None:
        if new not in chain:
            raise UnknownVersion(f"version {new!r} is not among the kept versions ({', '.join(chain)})")
        old = chain[max(0, chain.index(new) - 1)]
    return old, new


def report(build_dir: Path, old: str | None, new: str | None, vocab: Vocabulary) -> dict[str, Any]:
    """Return what changed from `old` (default: the version before `new`) to `new` (default: the newest kept)."""
    old, new = endpoints(build_dir, old, new)
    removed, added = between(build_dir, old, new)
    return {"from": old, "to": new, "removed": len(removed), "added": len(added),
            "concepts": concept_changes(removed, added, vocab), "shacl": shacl_between(build_dir, old, new)}


def as_turtle(removed: list[bytes], added: list[bytes], vocab: Vocabulary) -> bytes:
    """Render a patch as two Turtle documents with the vocabulary's prefixes: the removed triples, then the added."""
    out = []
    for side, lines in (("removed", removed), ("added", added)):
        out.append(f"# {side}: {len(lines)} triple(s)\n".encode())
        out.append(ox.serialize(_triples(lines), format=ox.RdfFormat.TURTLE, prefixes=vocab.prefixes()) + b"\n")
    return b"".join(out)


def as_text(changes: dict[str, Any]) -> str:
    """Render report() for a terminal: one block per concept, + added, - removed."""
    out = [f"{changes['from']} -> {changes['to']}: {changes['removed']} triple(s) removed, {changes['added']} added, "
           f"{len(changes['concepts'])} concept(s) touched"]
    mark = {"added": "+", "removed": "-", "changed": "~"}
    for concept in changes["concepts"]:
        out.append(f"{mark[concept['status']]} {concept['concept']} ({concept['status']}: "
                   f"-{concept['triples']['removed']} +{concept['triples']['added']} triples)")
        for name in ("labels", "definitions", "links", "keywords"):
            for side, sign in (("removed", "-"), ("added", "+")):
                for value in concept.get(name, {}).get(side, []):
                    if isinstance(value, dict):
                        anchors = ", ".join(f'"{a}"' for a in value["anchors"])
                        value = f"{value['target']}" + (f" ({anchors})" if anchors else "")
                    out.append(f"    {name[:-1]:<10} {sign} {value}")
    for side, sign in (("went_away", "-"), ("appeared", "+")):
        for result in changes["shacl"][side]:
            out.append(f"{sign} SHACL {result['severity']} {result.get('source') or result['focus']}: "
                       f"{result['message']}")
    return "\n".join(out) + "\n"
