"""Imports flow one way: CLI -> api -> the pipeline -> graph.readmodel -> graph.store -> graph.vocab, with no cycles.

The import graph of the project's own modules comes from grimp (every import, including function-local and
TYPE_CHECKING ones). A module may import modules of its own layer or of the layers below it, never above; and
no set of modules may import each other in a cycle. A package folder holds at most MAX_MODULES modules.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

LAYERS = (
    ("cli", ("graph.cli",)),
    ("api", ("api",)),
    ("pipeline", ("graph.sources", "graph.push", "graph.export", "graph.built", "graph.changes", "graph.pipeline",
                  "graph.parse", "graph.extract")),
    ("readmodel", ("graph.readmodel",)),
    ("store", ("graph.store",)),
    ("vocab", ("graph.vocab", "graph.config", "graph.arabic")),
)


def layer_of(module: str) -> int:
    """Return the index of the layer a module belongs to (its longest matching prefix)."""
    if module == "graph":  # the package itself: an empty __init__
        return len(LAYERS) - 1
    best, found = -1, None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), index
    if found is None:
        raise AssertionError(f"{module} belongs to no layer: add it to LAYERS")
    return found


@pytest.fixture(scope="module")
def imports() -> dict[str, set[str]]:
    """Return every project module and the project modules it imports directly."""
    graph = grimp.build_graph("graph", "api")
    return {module: {m for m in graph.find_modules_directly_imported_by(module) if m.split(".")[0] in ("graph", "api")}
            for module in graph.modules}


def test_every_module_has_a_layer(imports):
    for module in imports:
        layer_of(module)


def test_no_import_goes_up_a_layer(imports):
    upward = sorted(f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
                    for module, targets in imports.items() for target in targets
                    if layer_of(target) < layer_of(module))
    assert upward == []


def test_graph_never_imports_api(imports):
    assert sorted((m, t) for m, ts in imports.items() for t in ts if m.startswith("graph") and t.startswith("api")) == []


def _cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in imports.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(imports):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle(imports):
    assert _cycles(imports) == []


def test_the_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer_of("graph.readmodel.scan") > layer_of("api.rest.concepts") > layer_of("graph.cli")


MAX_MODULES = 12  # per package folder (its __init__.py included): a reader finds a module by its folder


def test_every_package_folder_stays_small():
    root = Path(__file__).resolve().parents[1]
    crowded = {str(folder.relative_to(root)): count
               for top in ("graph", "api", "bench") for folder in [root / top, *(root / top).rglob("*")]
               if folder.is_dir() and (folder / "__init__.py").is_file()
               and (count := len(list(folder.glob("*.py")))) > MAX_MODULES}
    assert crowded == {}, f"split these folders into sub-packages: {crowded}"
