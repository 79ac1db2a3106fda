"""The import rules of docs/architecture.md, read from the source (every import, in functions too).

A new import that breaks a rule fails here. The few imports that still break one are listed in
``KNOWN`` with the reason; each must still exist (so the list shrinks as they are fixed, never grows).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Which engine packages each package may import (besides itself). The built-in stages are a plugin:
# no engine module imports ``stages``.
ALLOWED: dict[str, set[str]] = {
    "engine.core": set(),
    "engine.plugins": {"engine.core"},
    "engine.dataplane": {"engine.core", "engine._native"},  # the core's CSV block check
    "engine.phi": {"engine.core", "engine._native", "engine.dataplane"},  # rflow phi scan reads typed files
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


def test_every_known_exception_still_exists() -> None:
    """Fixed exceptions leave the list, so it can only shrink (it is empty today: keep it so)."""
    found = set(edges())
    assert [edge for edge in sorted(KNOWN) if edge not in found] == [], "no longer imported: remove from KNOWN"
