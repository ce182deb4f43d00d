"""Run Virtuoso 7 (Debian's `virtuoso-opensource`) on a fresh database for the bench and the tests.

`configure` writes a virtuoso.ini whose database, log, lock and transaction files live in one directory,
on two ports of 127.0.0.1, with the settings marketing-kg needs (SETTINGS; docs/scaling-out.md explains
them); `set_password` replaces the `dba` password of the new database before it serves. Then
`virtuoso-t +foreground +configfile FILE` serves SPARQL at /sparql once `GET /sparql?query=ASK{}` answers.

Usage::

    ini = configure(Path("/tmp/vt"), sql_port=1111, http_port=8890)
    set_password(ini, "s3cret")          # the database is created by this first start, which then exits
    subprocess.Popen(command(ini))       # then: virtuoso+http://dba:s3cret@127.0.0.1:8890/
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

BINARY = "virtuoso-t"
PROBE = "/sparql?query=ASK%7B%7D"
# section -> setting -> value: what differs from Debian's /etc/virtuoso-opensource-7/virtuoso.ini
SETTINGS: dict[str, dict[str, str]] = {
    "Parameters": {
        "DisableUnixSocket": "1",
        "MaxClientConnections": "20",
        "CheckpointInterval": "60",
        "CaseMode": "2",
        "ThreadsPerQuery": "2",  # the 2-core machine
        "MaxQueryMem": "1G",
        "AsyncQueueMaxThreads": "10",
    },
    "HTTPServer": {
        "MaxClientConnections": "20",
        "ServerThreads": "20",  # HTTP threads: enough for 32 wrk connections queueing on 2 cores
        "MaxKeepAlives": "20",
        "KeepAliveTimeout": "10",
        "EnabledGzipContent": "0",  # same host: compressing costs both sides CPU for nothing
        "Charset": "UTF-8",
    },
    "SPARQL": {
        "ResultSetMaxRows": "10000",  # Debian's default: configure(result_rows=…) sets it above the triples
        "MaxQueryExecutionTime": "0",  # no cap: every query carries its own timeout (ms), past which Virtuoso
        # sends an "anytime" partial answer that the client refuses; whole-graph reads at start-up take minutes
        "MaxQueryCostEstimationTime": "400",
    },
}


def binary() -> str:
    """Return the path of virtuoso-t, or raise RuntimeError naming the Debian package."""
    found = shutil.which(BINARY) or next((p for p in ("/usr/bin/virtuoso-t",) if Path(p).is_file()), None)
    if found is None:
        raise RuntimeError("virtuoso-t is not installed: apt-get install virtuoso-opensource")
    return found


def configure(directory: Path, *, sql_port: int, http_port: int, buffers: int = 10_000,
              result_rows: int | None = None) -> Path:
    """Write `directory`/virtuoso.ini for a database in `directory`; return its path.

    `buffers` are 8 KB pages of cache (Virtuoso advises 2/3 of free memory: 170,000 for 2 GB);
    `result_rows` replaces ResultSetMaxRows (0: no cap).
    """
    directory = Path(directory).resolve()
    (directory / "vsp").mkdir(parents=True, exist_ok=True)
    db = directory / "virtuoso"
    sections = {
        "Database": {"DatabaseFile": f"{db}.db", "ErrorLogFile": f"{db}.log", "LockFile": f"{db}.lck",
                     "TransactionFile": f"{db}.trx", "xa_persistent_file": f"{db}.pxa", "ErrorLogLevel": "7",
                     "FileExtend": "200", "MaxCheckpointRemap": "2000", "Striping": "0",
                     "TempStorage": "TempDatabase"},
        "TempDatabase": {"DatabaseFile": f"{db}-temp.db", "TransactionFile": f"{db}-temp.trx",
                         "MaxCheckpointRemap": "2000", "Striping": "0"},
        "Parameters": {"ServerPort": f"127.0.0.1:{sql_port}", "DirsAllowed": f"., {directory}",
                       "NumberOfBuffers": str(buffers), "MaxDirtyBuffers": str(buffers * 3 // 4),
                       **SETTINGS["Parameters"]},
        "HTTPServer": {"ServerPort": f"127.0.0.1:{http_port}", "ServerRoot": str(directory / "vsp"),
                       **SETTINGS["HTTPServer"]},
        "SPARQL": dict(SETTINGS["SPARQL"]),
    }
    if result_rows is not None:
        sections["SPARQL"]["ResultSetMaxRows"] = str(result_rows)
    ini = directory / "virtuoso.ini"
    ini.write_text("".join(f"[{name}]\n" + "".join(f"{key} = {value}\n" for key, value in values.items()) + "\n"
                           for name, values in sections.items()), encoding="utf-8")
    return ini


def settings_of(ini: Path) -> dict[str, dict[str, str]]:
    """Return the [Parameters], [HTTPServer] and [SPARQL] settings written in `ini` (for the results)."""
    found: dict[str, dict[str, str]] = {}
    section = None
    for line in ini.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line and section in ("Parameters", "HTTPServer", "SPARQL"):
            key, value = (part.strip() for part in line.split("=", 1))
            found.setdefault(section, {})[key] = value
    return found


def set_password(ini: Path, password: str, timeout: float = 120.0) -> None:
    """Create the database of `ini` and change its `dba` password from the default (the process then exits)."""
    done = subprocess.run([binary(), "+foreground", "+configfile", str(ini), "+pwdold", "dba", "+pwddba", password],
                          cwd=ini.parent, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    log = ini.with_name("virtuoso.log")
    if done.returncode != 0 or "DBA password is changed" not in log.read_text(errors="replace"):
        raise RuntimeError(f"virtuoso-t could not set the dba password (exit {done.returncode}): "
                           f"{log.read_text(errors='replace')[-800:]}")


def command(ini: Path) -> list[str]:
    """Return the argv that runs Virtuoso on `ini` in the foreground."""
    return [binary(), "+foreground", "+configfile", str(ini)]


def version() -> str:
    """Return virtuoso-t's version line (e.g. 'Version 7.2.5.3229-pthreads as of Feb  8 2023')."""
    done = subprocess.run([binary(), "-?"], capture_output=True, text=True, timeout=30, check=False)
    return next((line.strip() for line in (done.stdout + done.stderr).splitlines() if line.startswith("Version")),
                "unknown")
