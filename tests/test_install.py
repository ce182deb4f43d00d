"""A new user's first hour: the package installed in a fresh virtualenv, as pip installs it, works anywhere.

Each test makes its own virtualenv in a temporary directory from a copy of this checkout (its files as a
clone would have them) and installs with the pins of constraints.txt, so nothing already installed on the
machine can hide a missing dependency or a file left out of the package.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import CONTENT, ROOT, readme_commands
from tests.servers import _log_tail, free_port, stop, wait_until

pytestmark = pytest.mark.timeout(900)
PIP_SECONDS = 600
IGNORED = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache",
                                 ".hypothesis", "test-artifacts", ".cache", "junit.xml")


def _checkout_copy(target: Path) -> Path:
    """Copy the checkout's files (tracked and new, not ignored: what a clone has once committed) to `target`."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, check=False)
    if listed.returncode != 0:  # not a git checkout: everything but build output and caches
        shutil.copytree(ROOT, target, ignore=IGNORED)
        return target
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _env(venv: Path, **extra: str) -> dict[str, str]:
    """This process's environment with the venv first on PATH, and no MKG_* setting or PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MKG_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(venv)
    env.update(extra)
    return env


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _new_venv(where: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=120)
    return where


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with `pip install -c constraints.txt <checkout copy>`: not editable, no extras."""
    where = tmp_path_factory.mktemp("installed")
    source = _checkout_copy(where / "source")
    venv = _new_venv(where / "venv")
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-c", str(source / "constraints.txt"), str(source)],
         where, _env(venv), PIP_SECONDS)
    shutil.rmtree(source)  # the installed package must not need the checkout
    return venv


def test_the_package_runs_from_site_packages_without_the_test_extra(installed, tmp_path):
    env = _env(installed)
    python = str(installed / "bin" / "python")
    where = _run([python, "-c", "import api, graph, ontology; print(graph.__file__, ontology.__file__)"],
                 tmp_path, env).stdout
    assert where.count(str(installed)) == 2, where
    for extra in ("pytest", "schemathesis", "playwright"):  # only what the product needs was installed
        assert subprocess.run([python, "-c", f"import {extra}"], env=env, capture_output=True).returncode != 0, extra
    assert "serve" in _run(["mkg", "--help"], tmp_path, env).stdout


def test_build_query_export_and_serve_from_another_directory(installed, tmp_path):
    env = _env(installed)
    shutil.copytree(CONTENT, tmp_path / "articles")
    _run(["mkg", "build", "--content", "articles", "--out", "out"], tmp_path, env)
    assert (tmp_path / "out" / "graph.nt").is_file()
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?c mkg:hasArticle true }"
    assert _run(["mkg", "query", query, "--format", "csv", "--build-dir", "out"], tmp_path, env).stdout.split()[-1] == "2"
    _run(["mkg", "export", "--build-dir", "out", "--out", "dist"], tmp_path, env)
    assert {p.name for p in (tmp_path / "dist").iterdir()} == {"graph.ttl", "ontology.ttl", "shapes.ttl"}

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(["mkg", "serve", "--content", "articles", "--build-dir", "out", "--port", str(port)],
                                  cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(server, lambda: requests.get(url + "/ready", timeout=2).status_code == 200, log)
        assert requests.get(url + "/api/concepts/viral-marketing", timeout=10).json()["slug"] == "viral-marketing"
        assert requests.get(url + "/export/graph.nt", timeout=10).content == (tmp_path / "out" / "graph.nt").read_bytes()
        for page in ("/", "/export/shapes.ttl", "/ontology", "/static/app.css"):  # templates, static files, ontology
            assert requests.get(url + page, timeout=10).status_code == 200, page
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, _log_tail(log)
    finally:
        stop(server)


def test_the_readme_run_command_on_a_fresh_clone(tmp_path):
    """README's first command, word for word, in a fresh venv: it installs, builds content/ and serves it."""
    run = readme_commands()[0]
    source = _checkout_copy(tmp_path / "clone")
    venv = _new_venv(tmp_path / "venv")
    port = free_port()
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(["bash", "-c", run], cwd=source, env=_env(venv, MKG_PORT=str(port)), stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(process, lambda: requests.get(url + "/ready", timeout=2).status_code == 200, log, PIP_SECONDS)
        home = requests.get(url + "/", timeout=10)
        assert home.status_code == 200 and "text/html" in home.headers["Content-Type"]
        assert requests.get(url + "/export/graph.nt", timeout=10).content == (source / "build" / "graph.nt").read_bytes()
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        stop(process)
