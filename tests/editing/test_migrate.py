"""Migrations: legacy job configs -> v1 (rules, golden output); no path from other versions."""

from __future__ import annotations

import json

import pytest

from engine.authoring.migrate import (
    LegacyOptions,
    MigrationError,
    legacy_steps,
    migrate_text,
)
from engine.authoring.text import TextDoc
from engine.manifest import validate_manifest
from tests.editing.conftest import GOLDEN, check_golden


def _legacy(**fields: object) -> str:
    return json.dumps({"stages": [1, 4, 5], "governance_mode": "DEMO", **fields}) + "\n"


def _normalize(text: str) -> str:
    """The modeline depends on where the package is installed; compare the rest."""
    first, _, rest = text.partition("\n")
    assert first.startswith("# yaml-language-server: $schema=")
    return rest


def test_legacy_job_matches_golden() -> None:
    result = migrate_text((GOLDEN / "legacy_job.json").read_text("utf-8"), name="legacy_job.json")
    assert result.source == "legacy job config"
    assert result.warnings == ()
    check_golden("legacy_job.after.yaml", "# yaml-language-server: $schema=(installed schema)\n"
                 + _normalize(result.text))


def test_legacy_yaml_payload_and_config_keys() -> None:
    text = "stages: [upload, 4]\nconfig:\n  phi_scan: {on_findings: fail}\n  '1': {max_bytes: 10MiB}\n"
    result = migrate_text(text, name="job.yaml")
    data = TextDoc(result.text).data
    assert [s["id"] for s in data["steps"]] == ["upload", "phi_scan"]
    assert data["steps"][0]["config"] == {"max_bytes": "10MiB"}
    assert data["steps"][1]["config"] == {"on_findings": "fail"}
    assert data["metadata"]["name"] == "job"
    assert any("no governance_mode" in w for w in result.warnings)


def test_key_wins_over_id_like_the_legacy_loop() -> None:
    result = migrate_text(_legacy(config={"4": {"on_findings": "fail"}, "phi_scan": {"on_findings": "policy"}}))
    assert TextDoc(result.text).data["steps"][1]["config"] == {"on_findings": "policy"}
    assert any("'4' ignored" in w for w in result.warnings)


def test_config_for_a_stage_not_run_is_dropped_with_a_warning() -> None:
    result = migrate_text(_legacy(config={"summary": {"title": "x"}}))
    assert any("does not run that stage" in w for w in result.warnings)


def test_stage_listed_twice_gets_two_steps_and_the_same_config() -> None:
    steps = legacy_steps({"stages": [1, 4, 4], "config": {"4": {"on_findings": "fail"}}})
    assert [(s.step_id, dict(s.config)) for s in steps] == [
        ("upload", {}), ("phi_scan", {"on_findings": "fail"}), ("phi_scan_2", {"on_findings": "fail"})]


def test_unknown_fields_are_refused_unless_dropped() -> None:
    with pytest.raises(MigrationError, match="unknown field") as info:
        migrate_text(_legacy(priority="high"))
    assert info.value.usage
    result = migrate_text(_legacy(priority="high"), options=LegacyOptions(drop_unknown=True))
    assert any("'priority' dropped" in w for w in result.warnings)


def test_non_demo_mode_gets_the_safe_phi_policy() -> None:
    result = migrate_text(_legacy(governance_mode="LIVE"))
    assert TextDoc(result.text).data["governance"]["modes"]["LIVE"]["phi_policy"] == "block"
    assert any("phi_policy is block" in w for w in result.warnings)


@pytest.mark.parametrize(("fields", "message"), [
    ({"stages": [1, 99]}, "not a registered stage"),
    ({"stages": []}, "non-empty list"),
    ({"stages": [1], "config": {"1": "fast"}}, "must be a mapping"),
    ({"stages": [1], "governance_mode": "no such mode!"}, "mode name"),
    ({"stages": [1], "stop_on_failure": "yes"}, "wrong type"),
])
def test_bad_legacy_jobs_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(MigrationError, match=message):
        migrate_text(json.dumps(fields) + "\n")


def test_legacy_job_that_cannot_run_is_refused_with_diagnostics() -> None:
    # phi_scan reads the dataset profile that only upload writes: not a runnable pipeline.
    with pytest.raises(MigrationError) as info:
        migrate_text(_legacy(stages=[4]))
    assert [d.code for d in info.value.diagnostics if d.is_error] == ["RF310"]


def test_errors_never_echo_values() -> None:
    secret = "123-45-6789 John Smith"
    for payload in ({"stages": [secret]}, {"stages": [1], secret: 1}, {"stages": [1], "config": {"1": {secret: 1}}}):
        with pytest.raises(MigrationError) as info:
            migrate_text(json.dumps(payload) + "\n")
        shown = str(info.value) + "".join(d.message + d.hint for d in info.value.diagnostics)
        assert "6789" not in shown and "Smith" not in shown


def test_validate_names_the_migrate_command_for_a_legacy_job() -> None:
    [diag] = validate_manifest(_legacy(), name="job.json")
    assert diag.code == "RF200"
    assert "rflow manifest migrate job.json -o pipeline.yaml" in diag.hint


def test_a_current_manifest_needs_no_migration(commented: str) -> None:
    result = migrate_text(commented)
    assert not result.changed and result.text == commented


# -- other versions ---------------------------------------------------------------------------------
def test_no_path_is_an_error() -> None:
    with pytest.raises(MigrationError, match="no migration path"):
        migrate_text("apiVersion: test/unknown\nkind: Pipeline\n")


