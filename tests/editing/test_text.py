"""The splicing layer on layouts the golden file does not use: other indentation, CRLF, BOM,
anchors, empty values, single-item lists; plus saving (atomic, mode kept, concurrent change)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.authoring import EditError, EditUsageError, ManifestDocument
from engine.authoring.text import SpliceError, TextDoc
from tests.editing.conftest import GOLDEN

COMPACT = """\
apiVersion: rflow/v1
kind: Pipeline
metadata:
    name: compact
    version: "1.0.0"
inputs:
- name: dataset
steps:
- id: upload
  stage: upload
- id: phi_scan
  stage: phi_scan
governance:
    default_mode: DEMO
    modes:
        DEMO:
            steps:
            - upload
            - phi_scan
"""


def test_a_compact_layout_is_followed_by_new_lines() -> None:
    doc = ManifestDocument.from_text(COMPACT)
    doc.add_step("validate", "validate", after="upload", modes=["DEMO"])
    doc.set_text("steps.phi_scan.config.max_field_chars", "2")
    assert doc.text == COMPACT.replace(
        "- id: phi_scan\n", "- id: validate\n  stage: validate\n- id: phi_scan\n").replace(
        "  stage: phi_scan\n", "  stage: phi_scan\n  config:\n      max_field_chars: 2\n").replace(
        "            - upload\n", "            - upload\n            - validate\n")


def test_crlf_line_endings_are_kept() -> None:
    text = (GOLDEN / "commented.yaml").read_text("utf-8").replace("\n", "\r\n")
    doc = ManifestDocument.from_text(text)
    doc.add_step("summary", "summary", modes=["LIVE"])
    doc.set_text("defaults.timeout_s", "60")
    assert "\n" not in doc.text.replace("\r\n", "")
    assert "  - id: summary\r\n    stage: summary\r\n" in doc.text
    assert "  timeout_s: 60               # ten minutes\r\n" in doc.text


def test_a_bom_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + COMPACT.encode())
    doc = ManifestDocument.open(path)
    doc.bump_version("patch")
    doc.save()
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert b'version: "1.0.1"' in path.read_bytes()


def test_values_shared_through_anchors_are_not_edited_in_place() -> None:
    text = COMPACT.replace("- id: upload\n  stage: upload\n",
                           "- id: upload\n  stage: upload\n  config: &base\n    max_bytes: 2GiB\n"
                           "- id: upload2\n  stage: upload\n  config: *base\n")
    text = text.replace("            - phi_scan\n", "            - phi_scan\n            - upload2\n")
    doc = ManifestDocument.from_text(text)
    with pytest.raises(EditError, match="anchor"):
        doc.set_text("steps.upload2.config.max_bytes", "1GiB")
    assert doc.text == text
    doc.set_text("steps.upload.description", "the anchor's owner can still be edited around it")


def test_empty_values_and_single_items() -> None:
    doc = TextDoc("a:\n  b:\n  c: [x]\nd:\n  - only\n")
    assert doc.replace(("a", "b"), {"x": 1}).text == "a:\n  b:\n    x: 1\n  c: [x]\nd:\n  - only\n"
    assert doc.replace(("a", "b"), "v").text == "a:\n  b: v\n  c: [x]\nd:\n  - only\n"
    assert doc.delete(("d", 0)).text == "a:\n  b:\n  c: [x]\nd: []\n"
    assert doc.delete(("a", "c", 0)).text == "a:\n  b:\n  c: []\nd:\n  - only\n"
    assert TextDoc("m: { a: 1 }\n").insert_entry(("m",), 1, "b", 2).text == "m: { a: 1, b: 2 }\n"


def test_block_scalars_and_quoting() -> None:
    doc = TextDoc("a: >\n  folded\n  text\nb: 'x'\nc: \"y\"\n")
    assert doc.replace(("a",), "one line").text == "a: one line\nb: 'x'\nc: \"y\"\n"
    assert doc.replace(("b",), "it's").text.splitlines()[3] == "b: 'it''s'"
    assert doc.replace(("c",), "1.10").text.endswith('c: "1.10"\n')
    assert doc.replace(("c",), "plain").text.endswith('c: "plain"\n')


def test_unusual_line_breaks_are_refused() -> None:
    with pytest.raises(SpliceError, match="line breaks"):
        TextDoc("a: 1\rb: 2\n")


def test_paths_are_checked_and_values_never_echoed() -> None:
    doc = ManifestDocument.from_text(COMPACT)
    with pytest.raises(EditUsageError) as info:
        doc.set_text("steps.JohnSmith123456789.config.x", "1")
    assert "123456789" not in str(info.value)
    with pytest.raises(EditUsageError, match="by index"):
        doc.set_text("governance.modes.DEMO.steps.upload", "x")
    with pytest.raises(EditUsageError, match="remove-step"):
        doc.unset("steps.upload")


def test_save_is_atomic_keeps_the_mode_and_refuses_concurrent_changes(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(COMPACT, "utf-8")
    os.chmod(path, 0o640)
    doc = ManifestDocument.open(path)
    doc.set_text("metadata.name", "renamed")
    doc.save()
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert "name: renamed" in path.read_text("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["p.yaml"]
    other = ManifestDocument.open(path)
    path.write_text(COMPACT, "utf-8")  # someone else edits the file meanwhile
    other.bump_version("major")
    with pytest.raises(EditError, match="changed on disk"):
        other.save()
    assert path.read_text("utf-8") == COMPACT
