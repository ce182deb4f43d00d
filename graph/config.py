"""Settings: defaults, then a config file, then MKG_* environment variables, then CLI flags.

This is the only module that reads the environment.

Usage::

    settings = load_settings(cli={"port": 9000})
    settings.port  # 9000
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from graph.vocab import DEFAULT_BASE_IRI

ONTOLOGY_DIR = Path(str(resources.files("ontology")))
"""The ontology and shapes shipped with the package (the top-level `ontology/` folder, installed as package data)."""
ONTOLOGY_FILES = ("marketing.ttl", "shapes.ttl")
CONFIG_FILE_NAME = "mkg.toml"


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


def ontology_file(ontology_dir: Path, name: str) -> Path:
    """Return ontology_dir/name, or raise ConfigError saying why it is missing and how to get it back."""
    path = Path(ontology_dir) / name
    if path.is_file():
        return path
    if Path(ontology_dir) == ONTOLOGY_DIR:
        fix = "the installed package lacks its data files: reinstall marketing-kg (pip install --force-reinstall)"
    else:
        fix = f"the ontology_dir setting points to {ontology_dir}: fix it or unset it to use the packaged ontology"
    raise ConfigError(f"ontology file {path} not found; {fix}")


@dataclass(frozen=True)
class Settings:
    """Every setting of marketing-kg, with its default."""

    content_dir: Path = Path("content")
    build_dir: Path = Path("build")
    base_iri: str = DEFAULT_BASE_IRI
    ontology_dir: Path = ONTOLOGY_DIR
    max_file_bytes: int = 5 * 1024 * 1024
    build_jobs: int = 0  # 0 = one per CPU
    validation_engine: str = "auto"  # auto (= shacl) | shacl | pyshacl
    include_drafts: bool = False  # publish `draft: true` / `published: false` articles too (a preview)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    threads: int = 4
    graph_file: Path | None = None
    cache_dir: Path | None = None  # where --graph files are imported (default: default_cache_dir())
    store: str = field(default="embedded", repr=False)  # a URL may carry user:password
    query_timeout: float = 10.0
    max_query_bytes: int = 64 * 1024
    max_rows: int = 10_000
    query_workers: int = 2
    cors_origins: tuple[str, ...] = ("*",)
    cache_max_age: int = 60
    # "required": user SPARQL runs only in query processes that cannot open network sockets (seccomp), and is
    # refused where that cannot be done; "off" opts out (graph/store/sandbox.py, README "Security")
    sparql_sandbox: str = "required"
    public_url: str = ""  # where clients reach the service (e.g. https://kg.example.org), for sd:endpoint
    access_log: str = ""  # `mkg serve`: "" none (as gunicorn and Oxigraph server), "-" stdout, or a file path
    # remote store (graph/store/remote.py): endpoint URLs may be relative to `store`; secrets never logged
    store_query_url: str = ""
    store_update_url: str = ""
    store_data_url: str = ""
    store_user: str = ""
    store_password: str = field(default="", repr=False)
    store_token: str = field(default="", repr=False)
    store_connect_timeout: float = 3.0
    keep_versions: int = 3
    watch: bool = False
    watch_interval: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


_PATHS = {"content_dir", "build_dir", "ontology_dir", "graph_file", "cache_dir"}
_CHOICES = {"sparql_sandbox": ("required", "off")}


def default_cache_dir(environ: dict[str, str] | None = None) -> Path:
    """Return where graph files given to --graph are imported: $XDG_CACHE_HOME/marketing-kg, else ~/.cache/…."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "marketing-kg"


def _coerce(name: str, value: Any) -> Any:
    """Convert a raw value (from TOML, env or CLI) to the type of setting `name`."""
    default = getattr(Settings(), name)
    if value is None:
        return None
    try:
        if name in _PATHS:
            return Path(value)
        if isinstance(default, bool):
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, tuple):
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            return tuple(value)
        text = str(value)
        if name in _CHOICES and text not in _CHOICES[name]:
            raise ValueError(f"expected one of {', '.join(_CHOICES[name])}")
        return text
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r}: cannot use {value!r} ({exc})") from exc


def _apply(settings: Settings, values: dict[str, Any], source: str) -> Settings:
    known = {f.name for f in fields(Settings)} - {"extra"}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        name = key.replace("-", "_").lower()
        if name not in known:
            raise ConfigError(f"{source}: unknown setting {key!r} (known: {', '.join(sorted(known))})")
        changes[name] = _coerce(name, value)
    return replace(settings, **changes)


def load_settings(
    config_file: Path | None = None,
    cli: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Return settings from defaults, the config file, MKG_* variables and CLI flags, in that order."""
    env = dict(os.environ if environ is None else environ)
    settings = Settings()
    path = config_file or (Path(env["MKG_CONFIG"]) if env.get("MKG_CONFIG") else None)
    if path is None and Path(CONFIG_FILE_NAME).is_file():
        path = Path(CONFIG_FILE_NAME)
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        settings = _apply(settings, data.get("mkg", data), str(path))
    from_env = {k[4:]: v for k, v in env.items() if k.startswith("MKG_") and k != "MKG_CONFIG"}
    settings = _apply(settings, from_env, "environment")
    if cli:
        settings = _apply(settings, {k: v for k, v in cli.items() if v is not None}, "command line")
    for name in ONTOLOGY_FILES:
        ontology_file(settings.ontology_dir, name)
    return settings
