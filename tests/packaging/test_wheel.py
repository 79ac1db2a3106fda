"""The wheel must carry everything a run needs: schemas, shipped manifests, bundled data, PHI registry."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from engine.phi import native

ROOT = Path(__file__).resolve().parents[2]


def _path_without_cargo() -> str:
    """PATH with every folder that holds a ``cargo`` removed: a machine with no Rust toolchain."""
    keep = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not shutil.which("cargo", path=d)]
    return os.pathsep.join(keep)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A wheel built where cargo cannot be found, and what the build printed."""
    out = tmp_path_factory.mktemp("wheel")
    env = {**os.environ, "PATH": _path_without_cargo()}
    env.pop(native.REQUIRE_ENV, None)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, text=True, env=env,
    )
    [built] = list(out.glob("rflow-*.whl"))
    return built, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel_names(wheel: tuple[Path, str]) -> set[str]:
    with zipfile.ZipFile(wheel[0]) as zf:
        return set(zf.namelist())


def test_without_rust_the_build_says_so_in_one_line_and_ships_the_python_path(
    wheel: tuple[Path, str], wheel_names: set[str]
) -> None:
    notices = [line for line in wheel[1].splitlines() if "no Rust toolchain" in line]
    assert notices, "the build did not say that it skipped the native core"
    assert not [n for n in wheel_names if n.startswith("engine/_native") and not n.endswith(".pyi")]


def test_where_cargo_is_found_a_failed_native_build_fails_the_install(tmp_path: Path) -> None:
    """A toolchain that is there but broken must not leave a silent Python-only install."""
    tools = tmp_path / "bin"
    tools.mkdir()
    cargo = tools / "cargo"
    cargo.write_text("#!/bin/sh\necho 'error: this toolchain is broken' >&2\nexit 101\n", encoding="utf-8")
    cargo.chmod(0o755)
    env = {**os.environ, "PATH": os.pathsep.join([str(tools), _path_without_cargo()])}
    env.pop(native.REQUIRE_ENV, None)
    env.pop("RFLOW_NO_NATIVE", None)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path / "out"), str(ROOT)],
        capture_output=True, text=True, env=env, check=False,
    )
    assert done.returncode != 0, "a broken toolchain gave a wheel"
    output = done.stdout + done.stderr
    assert "rflow: the native PHI core did not build" in output and "RFLOW_NO_NATIVE=1" in output
    assert not list((tmp_path / "out").glob("rflow-*.whl")) if (tmp_path / "out").exists() else True


def test_the_python_path_runs_the_demo_pipeline(wheel: tuple[Path, str], tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel[0])],
        check=True, capture_output=True,
    )
    # -S: no .pth files, so the test venv's editable rflow cannot lend its own build; the venv's
    # site-packages come after the wheel's files for the dependencies only.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])}
    env.pop(native.REQUIRE_ENV, None)
    probe = "import engine, engine.phi.native as n; print(engine.__file__); print(n.engine())"
    shown = subprocess.run(
        [sys.executable, "-S", "-c", probe], check=True, capture_output=True, text=True, env=env, cwd=tmp_path
    )
    where, engine_name = shown.stdout.split()
    assert where.startswith(str(target)) and engine_name == "python"
    run = subprocess.run(
        [sys.executable, "-S", "-m", "engine", "run", "--out", str(tmp_path / "run")],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "<h2 id=\"steps-h\">Steps</h2>" in (tmp_path / "run" / "report.html").read_text("utf-8")
    env[native.REQUIRE_ENV] = "1"
    refused = subprocess.run([sys.executable, "-S", "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert refused.returncode != 0 and "native PHI core is not built" in refused.stderr


def test_wheel_ships_runtime_files(wheel_names: set[str]) -> None:
    expected = {
        "engine/schemas/run-report.v1.schema.json",
        "engine/schemas/run-report.v2.schema.json",
        "engine/schemas/pipeline-manifest.v1.schema.json",
        "engine/schemas/phi-registry.v1.schema.json",
        "engine/phi/registry.yaml",
        "engine/manifests/demo.yaml",
        "engine/manifests/study-live.yaml",
        "engine/data/demo_study.csv",
        "engine/py.typed",
        "engine/reporting/templates/report.html.j2",
        "engine/reporting/templates/report.css",
    }
    assert expected <= wheel_names, sorted(expected - wheel_names)
    assert any(n.startswith("stages/stage_01_upload") for n in wheel_names)


def test_wheel_adds_no_generic_top_level_packages(wheel_names: set[str]) -> None:
    """schemas/ and manifests/ ship inside engine; site-packages gets only engine, stages and metadata."""
    tops = {n.split("/", 1)[0] for n in wheel_names if "/" in n and ".dist-info/" not in n}
    assert tops == {"engine", "stages"}, sorted(tops)


def test_wheel_ships_no_tests_or_benchmarks(wheel_names: set[str]) -> None:
    assert not [n for n in wheel_names if n.startswith(("tests/", "bench/"))]
