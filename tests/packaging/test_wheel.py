"""The wheel must carry everything a run needs: schemas, shipped manifests, bundled data, PHI registry."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True,
    )
    [wheel] = list(out.glob("rflow-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_wheel_ships_runtime_files(wheel_names: set[str]) -> None:
    expected = {
        "schemas/run-report.v1.schema.json",
        "schemas/pipeline-manifest.v1.schema.json",
        "schemas/phi-registry.v1.schema.json",
        "engine/phi/registry.yaml",
        "manifests/demo.yaml",
        "manifests/study-live.yaml",
        "engine/data/demo_study.csv",
        "engine/py.typed",
    }
    assert expected <= wheel_names, sorted(expected - wheel_names)
    assert any(n.startswith("stages/stage_01_upload") for n in wheel_names)


def test_wheel_ships_no_tests_or_benchmarks(wheel_names: set[str]) -> None:
    assert not [n for n in wheel_names if n.startswith(("tests/", "bench/"))]
