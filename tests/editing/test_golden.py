"""Golden files: a commented manifest before, the exact text after, for every edit.

Each expected file under golden/ was reviewed by hand: outside the edited node, comments, blank
lines, quoting and indentation are byte for byte those of golden/commented.yaml.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engine.authoring import ManifestDocument
from engine.manifest import validate_manifest
from tests.editing.conftest import GOLDEN, check_golden

Edit = Callable[[ManifestDocument], object]

CASES: dict[str, Edit] = {
    # set / unset
    "set_scalar": lambda d: d.set_text("steps.validate.config.on_errors", "fail"),
    "set_scalar_keeps_comment_column": lambda d: d.set_text("defaults.timeout_s", "1800"),
    "set_single_quoted": lambda d: d.set_text("metadata.description", "Still single-quoted, it's kept"),
    "set_typed_as_text": lambda d: d.set_text("steps.upload.description", "2024-01-01"),
    "set_literal_block": lambda d: d.set("steps.upload.description", "Intake:\nsniff only.\n"),
    "set_new_key_in_place": lambda d: d.set_text("steps.validate.description", "Quality rules"),
    "set_flow_map_new_key": lambda d: d.set_text("steps.phi_scan.config.max_field_chars", "2"),
    "set_flow_map_key": lambda d: d.set_text("steps.schema_check.config.extra_columns", "warning"),
    "set_new_nested_mapping": lambda d: d.set_text("execution.executor", "local"),
    "set_flow_list": lambda d: d.set_text("governance.modes.LIVE.require", "[irb_approval, dua]"),
    "set_list_item_by_index": lambda d: d.set_text("governance.modes.LIVE.require.0", "irb_ok"),
    "unset_key": lambda d: d.unset("steps.upload.config.ragged_rows"),
    "unset_key_with_comment": lambda d: d.unset("steps.upload.config.max_bytes"),
    "unset_flow_key": lambda d: d.unset("steps.schema_check.config.on_errors"),
    "unset_cascades_empty_mapping": lambda d: d.unset("steps.phi_scan.config.on_findings"),
    "unset_gate": lambda d: d.unset("governance.modes.LIVE.gates.deidentify"),
    # steps
    "add_step_end": lambda d: d.add_step("summary", "summary", modes=["LIVE"],
                                         config={"title": "Golden summary"}),
    "add_step_after": lambda d: d.add_step("irb_check", "irb_check", after="upload", modes=["DEMO", "LIVE"],
                                           config={"required": False}),
    "add_step_before_first": lambda d: d.add_step("irb_first", "irb_check", before="upload", modes=["DEMO"]),
    "remove_step_middle": lambda d: d.remove_step("phi_scan"),
    "remove_step_with_comment_above": lambda d: d.remove_step("schema_check"),
    "remove_step_last": lambda d: d.remove_step("deidentify"),
    "remove_step_force": lambda d: (d.add_step("irb_check", "irb_check", modes=["DEMO", "LIVE"]),
                                    d.remove_step("upload", force=True)),
    "move_step_down": lambda d: d.move_step("schema_check", after="phi_scan"),
    "move_step_first_to_last": lambda d: d.move_step("upload", after="deidentify", modes=[]),
    "move_step_in_modes": lambda d: d.move_step("phi_scan", before="validate"),
    # modes
    "mode_add": lambda d: d.mode_add("QA", ["upload", "validate"], description="Quality only",
                                     phi_policy="warn", require=[]),
    "mode_add_copy_default": lambda d: d.mode_add("STAGING", copy_from="LIVE", default=True),
    "mode_remove": lambda d: d.mode_remove("LIVE"),
    "mode_set_steps_block": lambda d: d.mode_set_steps("DEMO", ["upload", "phi_scan", "validate"]),
    "mode_set_steps_flow": lambda d: d.mode_set_steps("LIVE", ["upload", "phi_scan", "validate", "deidentify"]),
    # version and layout
    "bump_major": lambda d: d.bump_version("major"),
    "bump_patch": lambda d: d.bump_version("patch"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_edit_matches_golden(name: str, commented: str) -> None:
    doc = ManifestDocument.from_text(commented, name="commented.yaml")
    CASES[name](doc)
    assert doc.changed
    assert not [d for d in validate_manifest(doc.text) if d.is_error]
    check_golden(f"{name}.after.yaml", doc.text)


def test_every_golden_file_has_a_case() -> None:
    expected = {f"{name}.after.yaml" for name in CASES} | {"fmt_untidy.after.yaml", "legacy_job.after.yaml",
                                                           "legacy_job.json", "commented.yaml", "untidy.yaml"}
    present = {p.name for p in GOLDEN.iterdir()}
    assert present <= expected, sorted(present - expected)


def test_fmt_untidy_matches_golden() -> None:
    doc = ManifestDocument.open(GOLDEN / "untidy.yaml")
    doc.fmt()
    check_golden("fmt_untidy.after.yaml", doc.text)
    again = ManifestDocument.from_text(doc.text)
    again.fmt()
    assert not again.changed


@pytest.mark.parametrize("path", ["manifests/demo.yaml", "manifests/study-live.yaml",
                                  "tests/editing/golden/commented.yaml"])
def test_fmt_leaves_canonical_files_alone(path: str) -> None:
    doc = ManifestDocument.open(Path(__file__).parents[2] / path)
    doc.fmt()
    assert not doc.changed
