"""``governance.allowed_roots``: every file a step's config names must be under one of the roots.

By class: a path outside the roots, a symlink (to a file or a folder) escaping a root, ``..``
climbing out of one; checked by ``rflow validate`` (RF324 at the option), refused by ``rflow run``
before any step starts (exit 2), and refused again by each stage that reads the file (a race, or a
library caller that builds its own context).
"""

from __future__ import annotations

import asyncio
import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

import stages  # noqa: F401 - registers the built-in stages
from engine import InputDataset, StageContext, StageStatus, World, run_stages
from engine.core.configfile import resolve_roots, within
from engine.manifest import validate_manifest
from tests.e2e.conftest import DEMO_DATA, ROOT, rflow

DICTIONARY = ROOT / "engine" / "data" / "demo_dictionary.yaml"
FILE_STEPS = ("schema_check", "validate", "deidentify")
"""The shipped steps whose config names a file (``dictionary``)."""
ESCAPES = ("absolute", "dotdot", "file_symlink", "folder_symlink")
NAMES = st.text(string.ascii_letters + string.digits + "_- ", min_size=1, max_size=10).filter(
    lambda s: s.strip() == s)


def _tree(base: Path, escape: str, depth: int, name: str) -> tuple[Path, str, str]:
    """``(root, outside_ref, inside_ref)``: a dictionary reached by ``escape`` from inside ``root``,
    and the same kind of reference to a copy that really is inside."""
    root, outside = base / "root", base / "elsewhere"
    deep = root.joinpath(*[f"{name}{i}" for i in range(depth)])
    deep.mkdir(parents=True)
    outside.mkdir()
    text = DICTIONARY.read_bytes()
    (outside / f"{name}.yaml").write_bytes(text)
    (deep / f"{name}.yaml").write_bytes(text)
    if escape == "absolute":
        return root, str(outside / f"{name}.yaml"), str(deep / f"{name}.yaml")
    if escape == "dotdot":  # climb one level past the root, then back down elsewhere / back into root
        up = "/".join([".."] * (depth + 1))
        back = "/".join([*deep.relative_to(root).parts, f"{name}.yaml"])
        return root, f"{deep}/{up}/elsewhere/{name}.yaml", f"{deep}/{up}/root/{back}"
    if escape == "file_symlink":
        (deep / "link.yaml").symlink_to(outside / f"{name}.yaml")
        (outside / "in.yaml").symlink_to(deep / f"{name}.yaml")  # outside -> inside resolves inside
        return root, str(deep / "link.yaml"), str(outside / "in.yaml")
    (deep / "linked").symlink_to(outside, target_is_directory=True)
    return root, str(deep / "linked" / f"{name}.yaml"), str(deep / f"{name}.yaml")


def _manifest(folder: Path, ref: str, roots: list[str]) -> Path:
    yaml = YAML()
    yaml.width = 4096  # ruamel's default width folds a long path at a double space, changing it
    data = yaml.load((ROOT / "manifests" / "demo.yaml").read_text())
    for step in data["steps"]:
        if step["id"] in FILE_STEPS:
            step["config"]["dictionary"] = ref
    data["governance"]["allowed_roots"] = roots
    path = folder / "pipeline.yaml"
    with path.open("w") as handle:
        yaml.dump(data, handle)
    return path


def _codes(found: list) -> list[tuple[str, tuple]]:
    return [(d.code, d.path) for d in found if d.is_error]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(escape=st.sampled_from(ESCAPES), depth=st.integers(0, 3), name=NAMES)
def test_validate_refuses_every_escape_at_the_option_and_accepts_the_file_inside(
        tmp_path: Path, escape: str, depth: int, name: str) -> None:
    base = Path(tempfile.mkdtemp(dir=tmp_path))
    root, outside_ref, inside_ref = _tree(base, escape, depth, name)
    bad = _codes(validate_manifest(_manifest(base, outside_ref, ["root"])))
    assert sorted(p[1] for p in bad if p[0] == "RF324") == [
        ("steps", i, "config", "dictionary") for i in _file_step_indexes()], bad
    assert [c for c, _ in bad if c != "RF324"] == []
    assert _codes(validate_manifest(_manifest(base, inside_ref, ["root"]))) == []
    assert not within(Path(outside_ref), [root]) and within(Path(inside_ref), [root])


def _file_step_indexes() -> list[int]:
    data = YAML(typ="safe").load((ROOT / "manifests" / "demo.yaml").read_text())
    return [i for i, s in enumerate(data["steps"]) if s["id"] in FILE_STEPS]


def test_roots_are_relative_to_the_manifest_not_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    project = tmp_path / "project"
    (project / "dicts").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)  # the run starts elsewhere: the roots stay where the manifest is
    assert resolve_roots(["dicts", "~", "/tmp/../opt"], project) == (
        (project / "dicts").resolve(), Path.home().resolve(), Path("/opt").resolve())


def test_an_unresolvable_path_is_under_no_root(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert not within(tmp_path / "a" / "d.yaml", [tmp_path])
    assert not within(Path("~no-such-user-here/d.yaml"), [tmp_path])


def test_a_root_that_is_a_file_is_an_error_and_a_missing_one_a_warning(tmp_path: Path) -> None:
    (tmp_path / "plain.txt").write_text("x")
    found = validate_manifest(_manifest(tmp_path, "bundled:demo_dictionary.yaml", ["plain.txt", "missing"]))
    by_path = {d.path: (d.code, d.severity.value) for d in found if d.code == "RF323"}
    assert by_path == {("governance", "allowed_roots", 0): ("RF323", "error"),
                       ("governance", "allowed_roots", 1): ("RF323", "warning")}


def test_bundled_files_are_always_allowed(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    assert _codes(validate_manifest(_manifest(tmp_path, "bundled:demo_dictionary.yaml", ["root"]))) == []


@pytest.mark.parametrize("escape", ESCAPES)
def test_rflow_run_refuses_before_any_step_with_exit_2(tmp_path: Path, escape: str) -> None:
    _, outside_ref, _ = _tree(tmp_path, escape, 1, "dict")
    out = tmp_path / "run"
    proc = rflow("run", str(_manifest(tmp_path, outside_ref, ["root"])), "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if " error RF" in line]
    assert errors and all("RF324" in line and "outside governance.allowed_roots" in line for line in errors)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert "no step was started" in proc.stderr and not out.exists()
    assert outside_ref.split("/")[-1] not in proc.stderr  # the position says where; no path is echoed


@pytest.mark.parametrize("key", FILE_STEPS)
@pytest.mark.parametrize("escape", ESCAPES)
def test_each_stage_reads_its_file_only_under_the_context_roots(tmp_path: Path, key: str, escape: str) -> None:
    root, outside_ref, inside_ref = _tree(tmp_path, escape, 1, "dict")
    for ref, ok in ((outside_ref, False), (inside_ref, True)):
        world = World()
        world.add("input:dataset", InputDataset("dataset", str(DEMO_DATA), "auto"))
        workspace = tmp_path / f"ws-{ok}"
        context = StageContext(world=world, workspace=workspace, policy={"phi_policy": "warn"},
                               phi_key=b"k" * 32, allowed_roots=(root.resolve(),))
        steps = ["upload", key] if key != "deidentify" else ["upload", "phi_scan", key]
        results = asyncio.run(run_stages(steps, context, configs={key: {"dictionary": ref}}))
        result = next(r for r in results if r.stage_key == key)
        if ok:
            assert "allowed roots" not in " ".join(result.errors), result.errors
        else:
            assert result.status is StageStatus.FAILED
            assert any("outside the allowed roots" in e for e in result.errors), result.errors
