"""Render one corpus size's serve results as a markdown table."""

from __future__ import annotations

from typing import Any

from bench.serve.servers import THREADS, WORKERS

SIDES = ("ours", "peer", "virtuoso", "replica")


def _cell(run: dict[str, Any] | None, key: str, spec: str) -> str:
    """Format one figure of a wrk run, or an em dash when the run failed."""
    if not run or not run.get("ok"):
        return "—"
    return format(run[key], spec)


def _bad_cell(entry: dict[str, Any], run: dict[str, Any] | None) -> str:
    """Summarise the non-2xx/304 answers and socket errors of a run."""
    if entry.get("skipped"):
        codes = entry["warmup"]["codes"]
        return "skipped: " + ", ".join(f"{k}×{v}" for k, v in codes.items())
    if not run:
        return "—"
    if not run.get("ok"):
        return "wrk failed"
    parts = [f"{k[1:]}×{v}" for k, v in run["codes"].items() if v and k not in ("s2xx", "s304")]
    parts += [f"{k}×{v}" for k, v in run["socket_errors"].items() if v and k != "status"]
    return ", ".join(parts) or "0"


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None, key: str) -> str:
    """Format a[key] / b[key], or an em dash when either run failed."""
    if not a or not b or not a.get("ok") or not b.get("ok") or not b[key]:
        return "—"
    return f"{a[key] / b[key]:.2f}"


def _cold(entry: dict[str, Any]) -> str:
    """Format the cold-pass p50 of a workload entry."""
    warm = entry.get("warmup") or {}
    return "—" if warm.get("cold_p50_ms") is None else f"{warm['cold_p50_ms']:.1f}"


def _ttl(info: dict[str, Any]) -> str:
    """Summarise the two starts of ours on the Turtle export."""
    parts = []
    for start in ("first", "second"):
        if f"{start}_start_ready_s" in info:
            parts.append(f"{start} start ready in {info[f'{start}_start_ready_s']} s, RSS "
                         f"{info.get(f'{start}_rss_ready_mb')} MB (PSS {info.get(f'{start}_pss_ready_mb')} MB), "
                         f"a SPARQL query right after /ready: {info[f'{start}_query_after_ready']['status']}")
    return "; ".join(parts) or "not measured"


def _worst_to_detail(row: dict[str, Any]) -> str:
    """Say how the worst neighbourhood parameters compare with a concept detail (ours, distinct), per connections."""
    by_name = {r["workload"]: r["ours"]["runs"] for r in row.get("results", [])}
    worst, detail = by_name.get("neighbours worst params, distinct"), by_name.get("concept detail, distinct")
    if not worst or not detail:
        return ""
    cells = [f"c={c}: p50 ×{_ratio(worst.get(str(c)), detail.get(str(c)), 'p50_ms')}, req/s "
             f"÷{_ratio(detail.get(str(c)), worst.get(str(c)), 'rps')}" for c in row["connections"]]
    return "worst neighbourhood parameters against a concept detail (ours, distinct): " + "; ".join(cells)


def table(row: dict[str, Any]) -> str:
    """Render one corpus size's results as markdown."""
    ours, peer = row.get("ours", {}), row.get("peer", {})
    virtuoso, replica = row.get("virtuoso", {}), row.get("replica", {})
    lines = [
        f"### {row['n']:,} articles ({row.get('concepts', 0):,} concepts), {row['duration_s']} s per run",
        "",
        f"ours ({WORKERS} workers x {THREADS} threads, {ours.get('processes')} processes): ready in "
        f"{ours.get('ready_s')} s from a prior build (first start {ours.get('first_start_ready_s')} s); "
        f"RSS {ours.get('rss_ready_mb')} MB at ready, {ours.get('rss_after_mb')} MB "
        f"after the load = {ours.get('rss_ready_mb_per_10k_concepts')} / "
        f"{ours.get('rss_after_mb_per_10k_concepts')} MB per 10,000 concepts (PSS {ours.get('pss_ready_mb')} / "
        f"{ours.get('pss_after_mb')} MB = {ours.get('pss_ready_mb_per_10k_concepts')} / "
        f"{ours.get('pss_after_mb_per_10k_concepts')} MB per 10,000 concepts); "
        f"5xx answers (wrk): {ours.get('answers_5xx')}; gunicorn "
        f"workers: {ours.get('log_workers')}; log {ours.get('log')}",
        f"peer: oxigraph load {peer.get('load_s')} s, ready in {peer.get('ready_s')} s, RSS "
        f"{peer.get('rss_ready_mb')} MB at ready / {peer.get('rss_after_mb')} MB after",
        f"ours on the Turtle export (`--graph graph.ttl`): {_ttl(row.get('ttl_source') or {})}",
        "",
        "| workload | conns | ours req/s | ours p50 ms | peer req/s | peer p50 ms | virtuoso req/s | virtuoso p50 ms "
        "| replica req/s | replica p50 ms | ours/peer req/s | ours/virtuoso req/s | replica/virtuoso req/s "
        "| cold p50 ms ours / peer / virtuoso / replica | non-2xx/304 ours, peer, virtuoso, replica |",
        "|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|",
    ]
    if virtuoso:
        lines[4:4] = [
            f"virtuoso: {virtuoso.get('version')}, `mkg push` {virtuoso.get('load_s')} s, RSS "
            f"{virtuoso.get('rss_ready_mb')} MB at ready / {virtuoso.get('rss_after_mb')} MB after",
            f"replica (`mkg serve --store`, {WORKERS} workers x {THREADS} threads): ready in "
            f"{replica.get('ready_s')} s with its local copy (first start {replica.get('first_start_ready_s')} s; "
            f"{replica.get('build_dir_ready_s')} s on the version's build directory); "
            f"RSS {replica.get('rss_ready_mb')} MB at ready, {replica.get('rss_after_mb')} MB after the load = "
            f"{replica.get('rss_ready_mb_per_10k_concepts')} / {replica.get('rss_after_mb_per_10k_concepts')} MB per "
            f"10,000 concepts (PSS {replica.get('pss_ready_mb')} MB at ready); 5xx answers (wrk): "
            f"{replica.get('answers_5xx')}",
        ]
    for r in row.get("results", []):
        for c in row["connections"]:
            o, p, v, rep = (r.get(side, {}).get("runs", {}).get(str(c)) for side in SIDES)
            cells = [
                r["workload"] + (" ¹" if r["note"].startswith("If-None-Match") else ""),
                str(c),
                _cell(o, "rps", ".0f"),
                _cell(o, "p50_ms", ".2f"),
                _cell(p, "rps", ".0f"),
                _cell(p, "p50_ms", ".2f"),
                _cell(v, "rps", ".0f"),
                _cell(v, "p50_ms", ".2f"),
                _cell(rep, "rps", ".0f"),
                _cell(rep, "p50_ms", ".2f"),
                _ratio(o, p, "rps"),
                _ratio(o, v, "rps"),
                _ratio(rep, v, "rps"),
                " / ".join(_cold(r[side]) if side in r else "—" for side in SIDES) if c == row["connections"][0]
                else "",
                ", ".join(_bad_cell(r[side], run) if side in r else "—"
                          for side, run in zip(SIDES, (o, p, v, rep), strict=True)),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "¹ one query text repeated with If-None-Match: our ETag (ours and the replica answer 304; the peers ignore it).",
        "ours, the peers and the replica run side by side and take turns: runs compared are seconds apart.",
        "REST \"distinct\": every concept in a shuffled order, each request with Cache-Control: no-cache (ours then "
        "computes the answer: no kept answer, no per-concept cache; the peer ignores the header); \"repeated\": "
        f"{row.get('sample', {}).get('concepts')} concepts in turn, where our answer cache may answer.",
        "cold: the first (at most 400) distinct requests of each workload sent once before the wrk runs "
        "(2 at a time); for the repeated workloads this fills the answer caches, so wrk measures the warm state.",
    ]
    worst = _worst_to_detail(row)
    if worst:
        lines += ["", worst]
    if ours.get("log_errors"):
        lines += ["", "ours logged errors:", *[f"    {ln}" for ln in ours["log_errors"]]]
    return "\n".join(lines)
