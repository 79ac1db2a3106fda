"""The public API: what ``engine`` exports lazily is what a type checker sees, and stages use only it.

``engine/__init__.py`` holds two lists of the same names: the lazy table ``_EXPORTS`` (cheap start-up)
and the ``TYPE_CHECKING`` imports (real types). These tests keep them equal, resolve every name, and
run ``mypy --strict`` over stage code written against the API, so a name typed ``Any`` fails.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parents[2]


def type_checking_imports() -> dict[str, str]:
    """Exported name -> module, as the ``if TYPE_CHECKING:`` block of engine/__init__.py imports it."""
    tree = ast.parse((ROOT / "engine" / "__init__.py").read_text("utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    found: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module, ast.unparse(node)
        for alias in node.names:
            assert alias.asname == alias.name, f"{ast.unparse(node)}: re-export as the same name"
            found[alias.name] = node.module
    return found


def test_the_lazy_names_and_the_typed_imports_name_the_same_things() -> None:
    assert sorted(type_checking_imports()) == sorted(set(engine.__all__) - {"__version__"})
    assert set(type_checking_imports()) <= set(dir(engine))


@pytest.mark.parametrize("name", sorted(type_checking_imports()))
def test_every_export_is_its_module_s_object(name: str) -> None:
    import importlib

    module = importlib.import_module(type_checking_imports()[name])
    expected = getattr(module, name, None) or importlib.import_module(f"{module.__name__}.{name}")
    assert getattr(engine, name) is expected


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = engine.Nope  # type: ignore[attr-defined]


def test_importing_engine_loads_only_the_installed_hooks() -> None:
    """``import engine`` stays cheap: the two hooks it installs into the core (sanitizer, default executor)
    and the loader of its names."""
    code = "import sys, engine; print(sorted(m for m in sys.modules if m.startswith('engine.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = ["engine.core", "engine.core.default_executor", "engine.core.lazy", "engine.core.redaction"]
    assert out.stdout.strip() == str(loaded)


def test_built_in_stages_import_only_the_public_api() -> None:
    """Stages import ``engine`` and ``engine.phi`` (and their own package), never the engine's inside."""
    broken = []
    for path in sorted((ROOT / "stages").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] == "engine" and name != "engine" and not (
                    name == "engine.phi" or name.startswith("engine.phi.")
                ):
                    broken.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert broken == [], "\n".join(broken)


GOOD_STAGE = '''
from __future__ import annotations

import attrs

from engine import (
    ANY_MODE, ComponentKind, InputDataset, ManifestError, RunReport, StageBase, StageContext, StageResult,
    StageStatus, component, load_manifest, register_stage, run_manifest,
)


@component("typing_probe_count", ComponentKind.METADATA)
class Count:
    value: int = 0


@attrs.frozen
class ProbeConfig:
    start: int = 0


@register_stage
class Probe:
    stage_id = 901
    stage_name = "Probe"
    key = "probe"
    version = "1.0.0"
    reads = (InputDataset,)
    writes = (Count,)
    modes = (ANY_MODE,)
    Config = ProbeConfig

    async def execute(self, context: StageContext) -> StageResult:
        context.checkpoint()
        context.world.add("run", Count(context.config.start))
        result = StageResult.completed({"n": 1})
        assert result.status is StageStatus.COMPLETED
        return result


@register_stage
class DeclaredProbe(StageBase, stage_id=902, stage_name="Declared probe", key="declared_probe", version="1.0.0",
                    reads=(InputDataset,), writes=(Count,), Config=ProbeConfig, gatekeeping=True):
    async def execute(self, context: StageContext) -> StageResult:
        return StageResult.completed({"key": self.key, "gatekeeping": self.gatekeeping})


def status_of(path: str) -> str:
    try:
        load_manifest(path)
    except ManifestError as exc:
        return str(exc)
    report: RunReport = run_manifest(path)
    failed = [step.step_id for step in report.steps if step.status == "failed"]
    return report.status if not failed else f"{report.status}: {', '.join(failed)}"
'''

# Each line is wrong against the contract: with the API typed ``Any`` mypy would accept it.
BAD_STAGE = '''
from __future__ import annotations

from engine import InputDataset, RunReport, StageBase, StageContext, StageResult, run_manifest


def wrong(context: StageContext) -> StageResult:
    context.no_such_field
    report: RunReport = run_manifest("m.yaml")
    report.exit_code.upper()
    report.steps[0]["status"]
    return StageResult.completed(output=3)


class Misspelt(StageBase, stage_id=903, stage_name="Misspelt", key="misspelt", version="1.0.0",
               reads=(InputDataset,), writes=(), gatekeping=True):
    async def execute(self, context: StageContext) -> StageResult:
        return StageResult.completed({})
'''


def strict_mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    probe = tmp_path / "probe_stage.py"
    probe.write_text(textwrap.dedent(source), "utf-8")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n", "utf-8")  # not the project's: its own strictness only
    cache = ROOT / ".mypy_cache" / "public-api"
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--ignore-missing-imports",
         "--no-error-summary", "--cache-dir", str(cache), "--config-file", str(config), str(probe)],
        capture_output=True, text=True, cwd=ROOT, env=env,
    )


def test_stage_code_written_against_the_api_passes_mypy_strict(tmp_path: Path) -> None:
    out = strict_mypy(tmp_path, GOOD_STAGE)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict_sees_the_contract_not_any(tmp_path: Path) -> None:
    out = strict_mypy(tmp_path, BAD_STAGE)
    assert out.returncode == 1, out.stdout + out.stderr
    assert '"StageContext" has no attribute "no_such_field"' in out.stdout
    assert '"int" has no attribute "upper"' in out.stdout
    assert 'Argument "output" to "completed" of "StageResult"' in out.stdout
    assert 'Unexpected keyword argument "gatekeping"' in out.stdout
    assert '"StepEntry" is not indexable' in out.stdout


def strict_modules() -> list[str]:
    """The modules pyproject.toml checks with ``mypy --strict``'s flags: engine/__init__.py and the
    modules its names come from (the first ``[[tool.mypy.overrides]]`` that sets them)."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    override = next(o for o in config["tool"]["mypy"]["overrides"] if o.get("disallow_untyped_defs"))
    return list(override["module"])


def test_every_module_a_public_name_comes_from_is_checked_strictly() -> None:
    modules = strict_modules()
    packages = tuple(m[:-2] for m in modules if m.endswith(".*"))

    def strict(module: str) -> bool:
        return module in modules or any(module == p or module.startswith(p + ".") for p in packages)

    exports = type_checking_imports()
    sources = {*exports.values(), *(f"{m}.{n}" for n, m in exports.items()
                                    if isinstance(getattr(engine, n), type(engine)))}
    assert sorted(m for m in sources if not strict(m)) == []


def test_the_public_api_passes_mypy_strict_itself(tmp_path: Path) -> None:
    """Global ``mypy --strict`` (not the project's per-module flags) over the public API's modules:
    also what they import from elsewhere must be explicitly exported there."""
    modules = strict_modules()
    assert "engine" in modules and "engine.core.*" in modules
    args = [arg for m in modules for arg in (("-p", m[:-2]) if m.endswith(".*") else ("-m", m))]
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n", "utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--ignore-missing-imports",
         "--cache-dir", str(ROOT / ".mypy_cache" / "public-api"), "--config-file", str(config), *args],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr
