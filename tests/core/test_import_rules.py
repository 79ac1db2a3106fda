"""The import rules of docs/architecture.md, read from the source (every import, in functions too).

A new import that breaks a rule fails here. The few imports that still break one are listed in
``KNOWN`` with the reason; each must still exist (so the list shrinks as they are fixed, never grows).
No two modules of ``engine/`` and ``stages/`` may import each other through the imports that run
when a module loads (its top level, outside ``if TYPE_CHECKING:``), directly or around a longer loop.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Which engine packages each package may import (besides itself). The built-in stages are a plugin:
# no engine module imports ``stages``.
ALLOWED: dict[str, set[str]] = {
    "engine.core": {"engine._native"},  # the one loader of the compiled core (engine/core/native.py)
    "engine.plugins": {"engine.core"},
    "engine.dataplane": {"engine.core"},
    "engine.phi": {"engine.core", "engine.dataplane"},  # rflow phi scan reads typed files
    "engine.manifest": {"engine.core", "engine.plugins"},
    "engine.authoring": {"engine.core", "engine.plugins", "engine.manifest"},
    "engine.governance": {"engine.core", "engine.plugins", "engine.manifest"},
    "engine.execution": {"engine.core", "engine.plugins", "engine.phi"},
    "engine.reporting": {"engine.core", "engine.plugins", "engine.phi", "engine.manifest", "engine.execution"},
    "engine.orchestrate": {"engine.core", "engine.plugins", "engine.phi", "engine.manifest", "engine.governance",
                           "engine.execution", "engine.reporting", "engine"},
    "engine.cli": {"engine.core", "engine.plugins", "engine.dataplane", "engine.phi", "engine.manifest",
                   "engine.authoring", "engine.governance", "engine.execution", "engine.reporting",
                   "engine.orchestrate", "engine"},
    "engine.testing": {"engine.core", "engine.plugins", "engine.governance", "engine.execution"},
    "engine.__main__": {"engine.cli"},
}
# engine/__init__.py, the public API, sits on top: it re-exports names of every package (imported on
# first use; the TYPE_CHECKING block gives them their types).
ALLOWED["engine"] = {package for package in ALLOWED if package != "engine.__main__"} - {"engine.cli", "engine.testing"}

KNOWN: dict[tuple[str, str], str] = {}


def package_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "engine" or len(parts) == 1:
        return parts[0]
    return ".".join(parts[:2])


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def imports(path: Path) -> Iterator[str]:
    """Every module an engine file imports (``from engine import _native`` counts as engine._native)."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "engine":
                yield from (f"engine.{alias.name}" for alias in node.names if alias.name != "__version__")
            else:
                yield node.module


def edges() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "engine").rglob("*.py")):
        source = module_name(path)
        for target in imports(path):
            if target.split(".")[0] in ("engine", "stages"):
                found.append((source, target))
    return found


def test_the_engine_never_imports_the_built_in_stages() -> None:
    assert [e for e in edges() if e[1].split(".")[0] == "stages"] == []


def test_every_package_imports_only_the_layers_below_it() -> None:
    broken = []
    for source, target in edges():
        src, dst = package_of(source), package_of(target)
        if src == dst or (source, target) in KNOWN or target.split(".")[0] != "engine":
            continue
        if dst not in ALLOWED.get(src, set()) and not (dst == "engine" and target == "engine"):
            broken.append(f"{source} imports {target}")
    assert broken == [], "\n".join(broken)


def test_no_import_cycle_between_packages() -> None:
    graph: dict[str, set[str]] = {}
    for source, target in edges():
        if (source, target) in KNOWN or target.split(".")[0] != "engine":
            continue
        src, dst = package_of(source), package_of(target)
        if src != dst and dst != "engine":
            graph.setdefault(src, set()).add(dst)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
                   for nxt in graph.get(start, ()))

    assert [p for p in graph if reaches(p, p, set())] == []


MODULES = {module_name(path): path for top in ("engine", "stages") for path in sorted((ROOT / top).rglob("*.py"))}


def _load_time_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements that run when a module loads: its top level and class bodies, the
    branches of ``if``/``try``/``with`` there, not functions, not ``if TYPE_CHECKING:``."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.ClassDef):
            yield from _load_time_imports(node.body)
        elif isinstance(node, ast.If):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                yield from _load_time_imports(node.body)
            yield from _load_time_imports(node.orelse)
        elif isinstance(node, (ast.Try, ast.TryStar)):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _load_time_imports(block)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            yield from _load_time_imports(node.body)


def _nearest_module(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def load_time_graph() -> dict[str, set[str]]:
    """Each engine and stages module and the modules of both that it imports as it loads
    (``from a.b import c`` is ``a.b.c`` where that is a module, else ``a.b``)."""
    graph: dict[str, set[str]] = {}
    for source, path in MODULES.items():
        package = source if path.name == "__init__.py" else source.rpartition(".")[0]
        targets: set[str] = set()
        for node in _load_time_imports(ast.parse(path.read_text("utf-8")).body):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, *([node.module] if node.module else [])])
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
            targets.update(t for n in names if (t := _nearest_module(n)) is not None and t != source)
        graph[source] = targets
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges_left = work[-1]
            nxt = next(edges_left, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    cycles.append(sorted(group))
    return cycles


def test_no_import_cycle_between_modules() -> None:
    """Modules that import each other as they load (directly or around a loop) fail here; a shared
    piece belongs in a module both import, not behind an import inside a function."""
    assert import_cycles(load_time_graph()) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = load_time_graph()
    assert "engine.phi.cues" in graph["engine.phi.names"]
    assert graph["engine.phi.scan.table"] and "engine.phi.scan.labelled" in graph["engine.phi.scan.table"]
    looped = {**graph, "engine.phi.cues": graph["engine.phi.cues"] | {"engine.phi.places"}}
    assert import_cycles(looped) == [["engine.phi.cues", "engine.phi.names", "engine.phi.places"]]
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_known_exception_still_exists() -> None:
    """Fixed exceptions leave the list, so it can only shrink (it is empty today: keep it so)."""
    found = set(edges())
    assert [edge for edge in sorted(KNOWN) if edge not in found] == [], "no longer imported: remove from KNOWN"
