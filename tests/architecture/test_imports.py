"""The import graph: no cycle between packages, and the harness knows adapters only through their interface.

Every ``import`` statement (module level or inside a function: a lazy import is still a dependency)
of every module under ``harness/`` and ``vendor_adapters/`` is read with :mod:`ast`; a module is
collapsed to its package: ``harness.X`` for ``harness/X/...`` or ``harness/X.py``; in the adapter
tree, ``vendor_adapters`` for the interface (:data:`ADAPTER_INTERFACE`) and ``vendor_adapters.<vendor>``
for each vendor's module or package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = ("harness", "vendor_adapters")
ADAPTER_INTERFACE = {"vendor_adapters", "vendor_adapters.base", "vendor_adapters.errors",
                     "vendor_adapters.registry", "vendor_adapters.scripted", "vendor_adapters.openapi_check",
                     "vendor_adapters.http", "vendor_adapters.options"}
"""What the harness may import from ``vendor_adapters``: the adapter interface and the helpers it
offers adapter authors (HTTP status mapping, option parsing, the OpenAPI bridge); never a vendor's module."""



def _modules() -> Iterator[tuple[str, Path]]:
    for top in TOP:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _imports(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`


def _package(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "vendor_adapters":
        vendor = ".".join(parts[:2])
        return "vendor_adapters" if len(parts) == 1 or vendor in ADAPTER_INTERFACE else vendor
    if parts[0] == "harness" and len(parts) > 1:
        return f"harness.{parts[1]}"
    return "harness" if parts[0] == "harness" else None


def package_graph() -> dict[str, set[str]]:
    """Package -> packages it imports (itself excluded)."""
    modules = dict(_modules())
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        source = _package(module)
        assert source is not None
        targets = graph.setdefault(source, set())
        for name in _imports(module, path):
            if name in modules and (target := _package(name)) not in (None, source, "harness"):
                targets.add(target)
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for nxt in graph.get(stack.pop(), set()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """Groups of two or more packages that import each other, directly or through others."""
    reach = {node: _reachable(graph, node) for node in graph}
    return {group for node in graph
            if len(group := frozenset({node} | {m for m in reach[node] if node in reach.get(m, set())})) > 1}


def test_no_cycle_between_packages() -> None:
    found = [sorted(group) for group in cycles(package_graph())]
    assert found == [], f"import cycles between packages: {found}"


def test_the_harness_imports_adapters_only_through_their_interface() -> None:
    modules = dict(_modules())
    offenders = []
    for module, path in modules.items():
        if not module.startswith("harness"):
            continue
        allowed = ADAPTER_INTERFACE
        offenders += [f"{module} imports {name}" for name in _imports(module, path)
                      if name.startswith("vendor_adapters") and name in modules and name not in allowed]
    assert offenders == []


def test_the_checker_sees_a_cycle() -> None:
    """The cycle check can fail: a made-up three-package cycle is found, and only it."""
    assert cycles({"harness.a": {"harness.b"}, "harness.b": {"harness.c"}, "harness.c": {"harness.a"},
                   "harness.d": {"harness.a"}}) == {frozenset({"harness.a", "harness.b", "harness.c"})}
    assert not cycles({"harness.a": {"harness.b"}, "harness.b": set()})


def test_test_modules_have_unique_names() -> None:
    """pytest imports test modules by their basename (no packages under tests/): two test_x.py in different
    folders make the whole run fail at collection."""
    names = [p.name for p in (ROOT / "tests").rglob("*.py") if p.name != "conftest.py"]
    assert sorted({n for n in names if names.count(n) > 1}) == []
