"""``rflow manifest ...`` end to end, in a subprocess: files written or left alone, exit codes,
one-line errors with diagnostics and never a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.manifest import validate_manifest
from tests.editing.conftest import GOLDEN

ROOT = Path(__file__).parents[2]


def rflow(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "engine", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=60)
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "pipeline.yaml"
    shutil.copyfile(GOLDEN / "commented.yaml", path)
    return path


def test_add_step_writes_the_golden_result(manifest: Path) -> None:
    done = rflow("manifest", "add-step", manifest, "irb_check", "--stage", "irb_check", "--after", "upload",
                 "--mode", "DEMO", "--mode", "LIVE", "--config", "required=false")
    assert done.returncode == 0, done.stderr
    assert "added step 'irb_check' after 'upload'" in done.stderr
    assert manifest.read_text("utf-8") == (GOLDEN / "add_step_after.after.yaml").read_text("utf-8")


def test_dry_run_prints_a_diff_and_writes_nothing(manifest: Path) -> None:
    before = manifest.read_bytes()
    done = rflow("manifest", "set", manifest, "steps.validate.config.on_errors", "fail", "--dry-run")
    assert done.returncode == 0
    assert "-      on_errors: report\n+      on_errors: fail\n" in done.stdout
    assert "dry run" in done.stderr
    assert manifest.read_bytes() == before


def test_an_invalid_result_is_refused_and_the_file_untouched(manifest: Path) -> None:
    before = manifest.read_bytes()
    done = rflow("manifest", "set", manifest, "steps.phi_scan.config.max_field_chars", "123-45-6789")
    assert done.returncode == 1
    assert done.stderr.startswith(
        "rflow: error: set steps.phi_scan.config.max_field_chars: the result would be an invalid")
    assert "RF309" in done.stderr and "6789" not in done.stderr
    assert manifest.read_bytes() == before


def test_usage_errors_exit_2(manifest: Path, tmp_path: Path) -> None:
    for args in (("remove-step", manifest, "nope"), ("set", manifest, "steps..x", "1"),
                 ("unset", tmp_path / "missing.yaml", "metadata.description"),
                 ("move-step", manifest, "upload", "--after", "upload")):
        done = rflow("manifest", *args)
        assert done.returncode == 2, args
        assert done.stderr.startswith("rflow: error: ")


def test_remove_step_refuses_breaking_the_data_flow_unless_forced(manifest: Path) -> None:
    done = rflow("manifest", "remove-step", manifest, "upload")
    assert done.returncode == 1
    assert "only step 'upload' writes" in done.stderr and "--force" in done.stderr
    rflow("manifest", "add-step", manifest, "irb_check", "--stage", "irb_check", "--mode", "DEMO", "--mode", "LIVE")
    done = rflow("manifest", "remove-step", manifest, "upload", "--force")
    assert done.returncode == 0, done.stderr
    assert "note: step 'schema_check' was removed from mode 'DEMO' too" in done.stderr
    assert not [d for d in validate_manifest(manifest) if d.is_error]


def test_modes_and_version(manifest: Path) -> None:
    assert rflow("manifest", "mode", "add", manifest, "QA", "--steps", "upload", "validate",
                 "--phi-policy", "warn").returncode == 0
    assert rflow("manifest", "mode", "set-steps", manifest, "QA", "upload", "phi_scan").returncode == 0
    assert rflow("manifest", "mode", "remove", manifest, "DEMO").returncode == 1  # the default mode
    done = rflow("manifest", "bump-version", manifest, "minor")
    assert done.returncode == 0 and "2.3.4 -> 2.4.0" in done.stderr
    text = manifest.read_text("utf-8")
    assert "    QA:\n      steps: [upload, phi_scan]\n      phi_policy: warn\n" in text
    assert 'version: "2.4.0"            # quoted, as it should be' in text


def test_fmt_check_and_fix(tmp_path: Path) -> None:
    untidy = tmp_path / "untidy.yaml"
    shutil.copyfile(GOLDEN / "untidy.yaml", untidy)
    assert rflow("manifest", "fmt", "--check", untidy).returncode == 1
    assert rflow("manifest", "fmt", untidy).returncode == 0
    assert untidy.read_text("utf-8") == (GOLDEN / "fmt_untidy.after.yaml").read_text("utf-8")
    done = rflow("manifest", "fmt", "--check", untidy, ROOT / "manifests" / "demo.yaml")
    assert done.returncode == 0 and "already formatted" in done.stderr


def test_migrate_a_legacy_job(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps({"stages": [1, 4, 5], "governance_mode": "DEMO",
                                  "config": {"4": {"on_findings": "fail"}}}), "utf-8")
    done = rflow("validate", legacy)
    assert done.returncode == 1
    assert f"rflow manifest migrate {legacy} -o pipeline.yaml" in done.stdout
    done = rflow("manifest", "migrate", legacy, "-o", tmp_path / "pipeline.yaml")
    assert done.returncode == 0, done.stderr
    assert rflow("validate", tmp_path / "pipeline.yaml").returncode == 0
    assert rflow("manifest", "migrate", legacy, "-o", tmp_path / "pipeline.yaml").returncode == 2  # exists
    done = rflow("manifest", "migrate", tmp_path / "pipeline.yaml")
    assert done.returncode == 0 and "nothing to migrate" in done.stderr


def test_new_from_a_template(tmp_path: Path) -> None:
    target = tmp_path / "study.yaml"
    done = rflow("manifest", "new", "my-study", "-o", target, "--from-template", "live")
    assert done.returncode == 0, done.stderr
    text = target.read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=") and "name: my-study" in text
    assert not [d for d in validate_manifest(target) if d.is_error]
    assert rflow("manifest", "new", "my-study", "-o", target).returncode == 2
    assert rflow("manifest", "new", "Bad Name", "--dry-run").returncode == 2
