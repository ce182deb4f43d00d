"""Run wrk against one server with a generated Lua script and parse its JSON summary."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

WRK_TIMEOUT_S = 30
WRK_MARKER = "WRKJSON "

_STATUS_KEYS = ("s2xx", "s304", "s3xx", "s404", "s4xx", "s503", "s5xx", "sother")

_LUA_TEMPLATE = r"""
local paths = { %(paths)s }
local heads = { %(heads)s }
local threads = {}
local nthreads = 0

function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
  table.insert(threads, thread)
end

function init(args)
  counter = (tid - 1) * 97
  %(zero)s
end

function request()
  counter = counter + 1
  local i = (counter %% #paths) + 1
  return wrk.format("GET", paths[i], heads[i])
end

function response(status, headers, body)
  if status == 304 then s304 = s304 + 1
  elseif status == 404 then s404 = s404 + 1
  elseif status == 503 then s503 = s503 + 1
  elseif status >= 200 and status < 300 then s2xx = s2xx + 1
  elseif status >= 300 and status < 400 then s3xx = s3xx + 1
  elseif status >= 400 and status < 500 then s4xx = s4xx + 1
  elseif status >= 500 and status < 600 then s5xx = s5xx + 1
  else sother = sother + 1 end
end

function done(summary, latency, requests)
  local codes = {}
  for _, key in ipairs({ %(keys)s }) do
    local total = 0
    for _, t in ipairs(threads) do total = total + (t:get(key) or 0) end
    table.insert(codes, string.format('"%%s":%%d', key, total))
  end
  local e = summary.errors
  io.write(string.format(
    '%(marker)s{"requests":%%d,"duration_us":%%d,"bytes":%%d,"errors":{"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d},' ..
    '"latency_us":{"p50":%%d,"p90":%%d,"p99":%%d,"max":%%d,"mean":%%.1f},"codes":{%%s}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    table.concat(codes, ",")))
end
"""


def _lua_str(text: str) -> str:
    """Quote text as a Lua string literal (byte-exact, escaping everything outside printable ASCII)."""
    out = []
    for b in text.encode("utf-8"):
        c = chr(b)
        out.append(c if 32 <= b < 127 and c not in '"\\' else f"\\{b:03d}")
    return '"' + "".join(out) + '"'


def lua_script(requests: list[tuple[str, dict[str, str]]]) -> str:
    """Return a wrk Lua script rotating over `requests` and reporting JSON plus status-class counts."""
    paths = ", ".join(_lua_str(p) for p, _ in requests)
    heads = ", ".join(
        "{" + ", ".join(f"[{_lua_str(k)}] = {_lua_str(v)}" for k, v in h.items()) + "}" for _, h in requests
    )
    return _LUA_TEMPLATE % {
        "paths": paths,
        "heads": heads,
        "zero": "; ".join(f"{k} = 0" for k in _STATUS_KEYS),
        "keys": ", ".join(f'"{k}"' for k in _STATUS_KEYS),
        "marker": WRK_MARKER,
    }


def run_wrk(wrk: str, base_url: str, script: Path, connections: int, duration: int) -> dict[str, Any]:
    """Run wrk once; return its parsed JSON summary plus derived req/s and millisecond percentiles."""
    threads = min(2, connections)
    cmd = [
        wrk,
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        f"{WRK_TIMEOUT_S}s",
        "-s",
        str(script),
        base_url,
    ]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration + WRK_TIMEOUT_S + 30, check=False
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"wrk did not finish within {duration + WRK_TIMEOUT_S + 30} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(WRK_MARKER)]
    if proc.returncode != 0 or not lines:
        return {"ok": False, "error": f"wrk exited {proc.returncode}: {(proc.stderr or proc.stdout)[-800:]}"}
    raw = json.loads(lines[-1][len(WRK_MARKER) :])
    seconds = raw["duration_us"] / 1e6 or float(duration)
    lat = raw["latency_us"]
    codes = raw["codes"]
    good = codes["s2xx"] + codes["s304"]
    socket_errors = sum(v for k, v in raw["errors"].items() if k != "status")
    return {
        "ok": True,
        "connections": connections,
        "threads": threads,
        "requests": raw["requests"],
        "seconds": round(seconds, 3),
        "rps": round(raw["requests"] / seconds, 1),
        "ok_rps": round(good / seconds, 1),
        "p50_ms": round(lat["p50"] / 1000, 2),
        "p90_ms": round(lat["p90"] / 1000, 2),
        "p99_ms": round(lat["p99"] / 1000, 2),
        "max_ms": round(lat["max"] / 1000, 2),
        "mean_ms": round(lat["mean"] / 1000, 2),
        "bytes": raw["bytes"],
        "codes": codes,
        "socket_errors": raw["errors"],
        "bad": raw["requests"] - good + socket_errors,
    }
