"""Every import inside a function of ``engine/`` and ``stages/`` is listed in docs/architecture.md, with its reason.

The list is the table under "Imports inside functions": a row names where (files, or a folder ending in
``/``), what (modules, a package standing for its submodules, or ``any``) and why. A new import inside
a function fails here until it is moved to the top of its module or given a row; a row that matches no
import any more fails too, so the table cannot drift from the code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
HEADING = "### Imports inside functions"
TOPS = ("engine", "stages")  # the built-in stages too: `rflow plan` and a run's planning import them
MODULES = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
           for top in TOPS for p in (ROOT / top).rglob("*.py")}



def _public_names() -> dict[str, str]:
    """engine/__init__.py's ``_EXPORTS``: each public name and the module it loads from."""
    for node in ast.parse((ROOT / "engine" / "__init__.py").read_text("utf-8")).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "_EXPORTS":
            assert node.value is not None
            exports: dict[str, str] = ast.literal_eval(node.value)
            return exports
    raise AssertionError("engine/__init__.py has no _EXPORTS")


PUBLIC = _public_names()
Row = tuple[tuple[str, ...], tuple[str, ...], str]


def doc_rows() -> list[Row]:
    """``(where, what, why)`` of each row of the table."""
    text = DOC.read_text("utf-8")
    assert HEADING in text, f"{DOC.name} has no section {HEADING!r}"
    section = text.split(HEADING, 1)[1].split("\n#", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 3 or cells[0] in ("Where", "---"):
            continue
        where, what, why = cells
        names = tuple(re.findall(r"`([^`]+)`", what)) or ((what,) if what == "any" else ())
        rows.append((tuple(re.findall(r"`([^`]+)`", where)), names, why))
    return rows


def function_imports() -> Iterator[tuple[str, int, str]]:
    """``(file, line, module)`` of every import inside a function of engine/ and stages/; ``from engine.phi
    import native`` is the module ``engine.phi.native`` (likewise ``from importlib import resources``), and
    ``from engine import TypedTable`` is the module the name loads from, ``engine.dataplane.frames``."""
    for path in sorted(p for top in TOPS for p in (ROOT / top).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        seen: set[int] = set()
        for func in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if id(node) in seen or not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                seen.add(id(node))
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        yield rel, node.lineno, alias.name
                    continue
                assert node.level == 0 and node.module, f"{rel}:{node.lineno}: a relative import"
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    submodule = sub in MODULES or sub == "engine._native" or node.module == "importlib"
                    if node.module == "engine" and alias.name in PUBLIC:
                        yield rel, node.lineno, PUBLIC[alias.name]
                        continue
                    yield rel, node.lineno, sub if submodule else node.module


def covers(row: Row, path: str, module: str) -> bool:
    where, what, _ = row
    placed = any(path == w or (w.endswith("/") and path.startswith(w)) for w in where)
    return placed and any(w == "any" or module == w or module.startswith(w + ".") for w in what)


def test_the_table_is_well_formed() -> None:
    rows = doc_rows()
    assert len(rows) > 10
    for where, what, why in rows:
        assert where and what and len(why) > 20, (where, what, why)
        for w in where:
            assert (ROOT / w).exists(), f"{w}: no such file or folder"


def test_every_import_inside_a_function_is_listed() -> None:
    rows = doc_rows()
    missing = [f"{path}:{line} imports {module}" for path, line, module in function_imports()
               if not any(covers(row, path, module) for row in rows)]
    assert missing == [], ("move these to the top of their module, or list them with the reason in "
                           f"{DOC.name} ({HEADING}):\n" + "\n".join(missing))


@pytest.mark.parametrize("row", doc_rows(), ids=lambda row: ",".join(row[0]))
def test_every_row_still_matches_an_import(row: Row) -> None:
    found = list(function_imports())
    where, what, _ = row
    for w in where:
        assert any(covers(row, p, m) for p, _, m in found if p == w or p.startswith(w)), f"{w}: nothing to list"
    for name in what:
        assert any(covers((where, (name,), ""), p, m) for p, _, m in found), f"{name}: no longer imported there"


def test_the_check_sees_an_unlisted_import() -> None:
    """Not blind: a row for a file does not cover another module it does not name."""
    rows = doc_rows()
    assert not any(covers(row, "engine/manifest/loader.py", "polars") for row in rows)
    assert any(covers(row, "engine/cli/run_cmd.py", "engine.orchestrate") for row in rows)
    assert not any(covers(row, "stages/stage_04_phi_scan.py", "polars") for row in rows)
    assert any(covers(row, "stages/columnar/cells.py", "polars") for row in rows)
