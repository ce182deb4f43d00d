"""Dependencies: everything graph/ and api/ import is declared with a range, and constraints.txt pins it."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
TEST = [Requirement(r) for r in PROJECT["optional-dependencies"]["test"]]
OWN = {"graph", "api", "ontology"}


def _imported_modules(*folders: str) -> dict[str, str]:
    """Return {top-level module: first file importing it} for every import, top-level or in a function."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _pins() -> dict[str, str]:
    """Return {canonical name: version} of constraints.txt."""
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==([^\s;#]+)", line)
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def test_every_package_graph_and_api_import_is_a_runtime_dependency():
    declared = {canonicalize_name(r.name) for r in RUNTIME}
    distributions = metadata.packages_distributions()
    third_party = {name: where for name, where in _imported_modules("graph", "api", "ontology").items()
                   if name not in sys.stdlib_module_names and name not in OWN and name != "__future__"}
    assert third_party, "the scan found no import at all"
    missing = {}
    for module, where in third_party.items():
        providers = {canonicalize_name(d) for d in distributions.get(module, [])}
        if not providers & declared:
            missing[module] = (where, sorted(providers) or "not installed")
    assert missing == {}, f"imported at run time but not in [project].dependencies: {missing}"


def test_every_dependency_has_a_lower_and_an_upper_bound():
    for requirement in RUNTIME + TEST:
        operators = {spec.operator for spec in requirement.specifier}
        assert ">=" in operators and "<" in operators, f"{requirement}: give it >=LOW,<HIGH"


def test_constraints_pin_every_dependency_inside_its_range():
    pins = _pins()
    for requirement in RUNTIME + TEST:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not pinned in constraints.txt: regenerate it (README)"
        assert requirement.specifier.contains(pins[name]), f"{requirement.name}=={pins[name]} is outside {requirement}"


def test_the_installed_versions_are_the_pinned_ones():
    """What runs the tests is what constraints.txt pins (install with the README's commands, `-c constraints.txt`)."""
    differ = {}
    for name, version in _pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            differ[name] = (version, "not installed")
            continue
        if installed != version:
            differ[name] = (version, installed)
    assert differ == {}, f"(pinned, installed): {differ}"
