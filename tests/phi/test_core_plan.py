"""core_plan.json: the bundled registry and cue rules as data, and the core's translation of them.

It is used at start-up only when made from the very files of this installation; these tests fail
when it is stale (regenerate with ``python -m engine.phi.make_core_plan``) or differs in any way from
what start-up would compute without it, and check that anything else still translates at start-up.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.phi import core_plan, cues, make_core_plan, native_match
from engine.phi.registry import DEFAULT_REGISTRY, build_registry, load_registry, read_document

STALE = "engine/phi/core_plan.json is stale: run `python -m engine.phi.make_core_plan` and commit the file"


def test_the_shipped_plan_was_made_from_these_files() -> None:
    assert core_plan.shipped() is not None, STALE


def test_the_shipped_plan_is_what_start_up_would_compute() -> None:
    shipped = core_plan.shipped()
    assert shipped is not None, STALE
    fresh = make_core_plan.current()
    assert shipped.keys() == fresh.keys()
    for part in fresh:  # equal with the types the core is given: tuples stay tuples, bytes stay bytes
        assert shipped[part] == fresh[part], f"{part}: {STALE}"
        assert _types(shipped[part]) == _types(fresh[part]), part


def _types(value: object) -> object:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_types(v) for v in value])
    return type(value).__name__


def test_the_bundled_registry_and_cue_rules_load_from_the_plan_as_from_yaml() -> None:
    shipped = core_plan.shipped()
    assert shipped is not None, STALE
    assert shipped["registry"] == read_document(DEFAULT_REGISTRY)
    assert shipped["cue_rules"] == cues.read_rules()
    from_yaml = build_registry(read_document(DEFAULT_REGISTRY), source=DEFAULT_REGISTRY.name)
    bundled = load_registry()
    assert [p.source for p in bundled.scan.patterns] == [p.source for p in from_yaml.scan.patterns]
    assert bundled.version == from_yaml.version


def test_the_fingerprint_covers_every_file_the_translation_reads(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "phi"
    shutil.copytree(core_plan.HERE, copy, ignore=shutil.ignore_patterns("__pycache__", "scan"))
    monkeypatch.setattr(core_plan, "HERE", copy)
    monkeypatch.setattr(core_plan, "PLAN_FILE", copy / "core_plan.json")
    before = core_plan.fingerprint()
    assert core_plan.fingerprint() == before
    (copy / "core_plan.json").write_text("{}", encoding="utf-8")  # the plan itself is not an input
    assert core_plan.fingerprint() == before
    for name in ("registry.yaml", "cues.yaml", "names.json", "native_dialect.py"):
        path = copy / name
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert core_plan.fingerprint() != before, name
        path.write_bytes(original)
    assert core_plan.fingerprint() == before


def test_a_stale_or_broken_plan_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "core_plan.json"
    monkeypatch.setattr(core_plan, "PLAN_FILE", target)
    for text in ("", "not json", "[]", '{"format": "rflow-core-plan/v1", "fingerprint": "0"}'):
        core_plan.shipped.cache_clear()
        target.write_text(text, encoding="utf-8")
        assert core_plan.shipped() is None
    core_plan.shipped.cache_clear()
    target.unlink()
    assert core_plan.shipped() is None
    monkeypatch.undo()
    core_plan.shipped.cache_clear()


def test_other_registries_and_settings_translate_at_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = load_registry()
    assert native_match.shipped_args(bundled.scan) is not None
    assert native_match.shipped_args(bundled.guard) is not None
    other = tmp_path / "registry.yaml"  # same name, same bytes, another file: not the bundled registry
    other.write_bytes(DEFAULT_REGISTRY.read_bytes())
    assert native_match.shipped_args(load_registry(other).scan) is None
    monkeypatch.setenv("RFLOW_PHI_CORE_LABELS", "0")
    assert native_match.shipped_args(bundled.scan) is None


def test_a_scan_without_the_plan_finds_the_same(tmp_path: Path) -> None:
    """A whole ``rflow phi scan`` with the plan hidden (an edited installation) gives the same findings."""
    data = tmp_path / "export.csv"
    data.write_text("name,email,ssn,note\nJane Roe,jane.roe@example.org,536-22-8410,seen by Dr. Alan Smith\n"
                    "Li Wei,li.wei@example.com,123-45-6789,lives in Springfield\n", encoding="utf-8")
    script = ("import sys, engine.phi.core_plan as cp\n"
              "if sys.argv[1] == 'hidden':\n"
              "    cp.shipped = lambda: None\n"
              "from engine.cli import main\n"
              "sys.argv = ['rflow', 'phi', 'scan', sys.argv[2], '--format', 'json']\n"
              "main()\n")
    runs = {}
    for mode in ("shipped", "hidden"):
        proc = subprocess.run([sys.executable, "-c", script, mode, str(data)], capture_output=True, text=True,
                              env={"RFLOW_PHI_KEY": "core-plan-test-key", "PATH": "/usr/bin:/bin"}, check=False)
        assert proc.returncode == 0, proc.stderr[-500:]  # findings reported, not failed on
        runs[mode] = proc.stdout
    assert runs["shipped"] == runs["hidden"]
    assert '"NAME"' in runs["shipped"] and '"SSN"' in runs["shipped"]
