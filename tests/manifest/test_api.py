"""Library API: loading, positions, round-trip document, PHI-safe messages, plan."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from engine.core.errors import PluginLoadError
from engine.execution.step_runner import PlannedStep
from engine.manifest import (
    Diagnostic,
    Manifest,
    ManifestError,
    UnknownModeError,
    load_manifest,
    plan,
    render_github,
    render_json,
    render_text,
    validate_manifest,
)
from engine.manifest.loader import load_document
from engine.manifest.schema import validate_fragment

HERE = Path(__file__).parent


def at(text: str, context: str, target: str = "") -> tuple[int, int]:
    """1-based line and column of ``target`` where it follows ``context`` in ``text``."""
    index = text.index(context + target) + len(context)
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def test_good_manifest_is_clean(registry, good_text):
    assert validate_manifest(HERE / "good.yaml", registry=registry) == []
    assert validate_manifest(good_text, registry=registry) == []


def test_load_keeps_source_hash_and_round_trip_document(registry):
    path = HERE / "good.yaml"
    m = load_manifest(path, registry=registry)
    assert isinstance(m, Manifest)
    assert m.path == path
    assert m.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert m.metadata.version == "1.4.0"
    assert m.step("phi_scan").version_spec == ">=1.2,<2"
    assert m.step("validate").stage_ref == 5
    # The ruamel document keeps comments for later editing tools, and dumps back byte for byte.
    import io

    from engine.manifest.loader import make_yaml

    out = io.StringIO()
    make_yaml().dump(m.document, out)
    assert out.getvalue() == path.read_text("utf-8")
    pos = m.source_map.locate(("steps", 3, "config", "on_findings"))
    assert (pos.line, pos.col) == at(path.read_text("utf-8"), "    config: {on_findings: ", "warn")
    key = m.source_map.locate(("steps", 3, "config", "on_findings"), at="key")
    assert (key.line, key.col, key.end_col) == (pos.line, pos.col - 13, pos.col - 2)


def test_text_bytes_and_path_sources(registry, good_text, tmp_path):
    p = tmp_path / "m.yaml"
    p.write_text(good_text, "utf-8")
    assert load_manifest(str(p), registry=registry).path == p
    from_bytes = load_manifest(good_text.encode(), registry=registry)
    assert from_bytes.path is None and from_bytes.source.name == "<string>"
    assert load_manifest(good_text, registry=registry, name="x.yaml").source.name == "x.yaml"


def test_missing_file_is_rf100(tmp_path):
    [d] = validate_manifest(tmp_path / "nope.yaml")
    assert (d.code, d.file) == ("RF100", str(tmp_path / "nope.yaml"))
    [d] = validate_manifest(tmp_path)
    assert d.code == "RF100"


def test_load_raises_manifest_error_with_all_diagnostics(registry, good_text):
    broken = good_text.replace("stage: summary", "stage: sumary").replace("stage: deidentify", "stage: deidentfy")
    with pytest.raises(ManifestError) as info:
        load_manifest(broken, registry=registry)
    codes = [d.code for d in info.value.diagnostics]
    assert codes == ["RF301", "RF301"]
    assert "RF301" in str(info.value) and "1 more" in str(info.value)


def test_warnings_do_not_stop_loading(registry, good_text):
    text = good_text.replace("  - id: summary\n", "  - id: extra\n    stage: summary\n  - id: summary\n")
    m = load_manifest(text, registry=registry)
    assert [d.code for d in m.diagnostics] == ["RF311"]


def test_all_schema_errors_reported_most_relevant_first(registry, good_text):
    text = good_text.replace("kind: Pipeline", "kind: Job").replace("    timeout_s: 120", "    timeout_s: -1")
    text = text.replace("      phi_policy: block", "      phi_policy: never")
    found = validate_manifest(text, registry=registry)
    assert [d.code for d in found] == ["RF204", "RF206", "RF204"]  # shallow (kind) first
    assert [(d.line, d.col) for d in found] == [
        at(text, "kind: ", "Job"), at(text, "    timeout_s: ", "-1"), at(text, "phi_policy: ", "never")]


def test_messages_never_echo_values(registry, good_text):
    secret = "123-45-6789 John Q Public"
    text = good_text.replace("timeout_s: 900", f"timeout_s: {secret}").replace("format: csv", f'format: "{secret}"')
    text = text.replace("    config: {max_bytes: 2048}", f"    config: {{max_bytes: '{secret}', {secret}: 1}}")
    found = validate_manifest(text, registry=registry)
    assert found
    for out in (render_text(found), render_json(found), render_github(found)):
        assert "123-45" not in out and "Public" not in out


def test_phi_in_unexpected_key_and_yaml_error_is_not_echoed(registry, good_text):
    text = good_text.replace("kind: Pipeline", "kind: Pipeline\n'123-45-6789': x")
    assert "123-45" not in render_text(validate_manifest(text, registry=registry))
    assert "123-45" not in render_text(validate_manifest("a: '123-45-6789\n", registry=registry))


def test_rf208_fallback_keyword():
    doc = load_document("a: x\n")
    [d] = validate_fragment(json.dumps({"not": {"type": "string"}}), "x", doc.source_map, "f", ("a",))
    assert (d.code, d.line, d.col) == ("RF208", 1, 4)


def test_any_of_is_collapsed_to_one_error():
    doc = load_document("a: {n: true}\n")
    schema = {"type": "object", "properties": {"n": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}}
    [d] = validate_fragment(json.dumps(schema), {"n": True}, doc.source_map, "f", ("a",))
    assert d.code == "RF203" and "an integer or null" in d.message and (d.line, d.col) == (1, 8)


def test_plugin_failure_is_reported_with_unknown_stage(registry, good_text):
    registry.plugin_errors.append(PluginLoadError("stage plugin 'x' failed"))
    try:
        found = validate_manifest(good_text.replace("stage: summary", "stage: fancy"), registry=registry)
    finally:
        registry.plugin_errors.clear()
    assert [d.code for d in found] == ["RF301", "RF318"]


def test_gate_offset_in_literal_block(registry, good_text):
    text = good_text.replace(
        '        deidentify: "phi_scan.findings_total == 0"',
        "        deidentify: |\n          phi_scan.findings_total == 0 and\n          summary.x == 1",
    )
    [d] = validate_manifest(text, registry=registry)
    assert (d.code, d.line, d.col) == ("RF313", *at(text, "          ", "summary.x"))


def test_plan_orders_steps_and_structures_configs(registry):
    m = load_manifest(HERE / "good.yaml", registry=registry)
    p = plan(m, "LIVE", registry=registry)
    assert [s.step_id for s in p.steps] == ["irb_check", "upload", "phi_scan", "schema_check", "validate",
                                           "deidentify", "summary"]
    assert all(isinstance(s, PlannedStep) for s in p.steps)
    upload = p.steps[1]
    assert upload.config.max_bytes == 2048 and upload.timeout_s == 120
    assert p.steps[0].timeout_s == 900
    assert p.steps[5].gate == "phi_scan.findings_total == 0"
    data = p.to_dict()
    assert data["mode"] == "LIVE" and data["policies"]["require"] == ["irb_approval"]
    assert data["steps"][1]["stage"] == {"id": 1, "key": "upload", "name": "Upload", "version": "1.3.0"}
    assert data["steps"][1]["reads"] == ["input_dataset"]
    json.dumps(data)
    demo = plan(m, registry=registry)
    assert demo.mode == "DEMO" and demo.excluded == ("irb_check",)
    assert "nothing was run" in demo.render_text()


def test_plan_unknown_mode(registry):
    m = load_manifest(HERE / "good.yaml", registry=registry)
    with pytest.raises(UnknownModeError) as info:
        plan(m, "TEST", registry=registry)
    assert "DEMO, LIVE" in info.value.diagnostics[0].hint


def test_plan_rechecks_against_another_registry(registry):
    from engine.plugins import StageRegistry

    m = load_manifest(HERE / "good.yaml", registry=registry)
    with pytest.raises(ManifestError):
        plan(m, registry=StageRegistry(entry_point_group=None))


def test_renderers():
    d = Diagnostic("a b.yaml", 3, 5, "RF201", "unexpected key 'x'", hint="did you mean 'y'?", end_line=3, end_col=6)
    assert render_text([d]) == "a b.yaml:3:5: error RF201 unexpected key 'x'\n    hint: did you mean 'y'?\n"
    [item] = json.loads(render_json([d]))
    assert item["line"] == 3 and item["severity"] == "error" and item["code"] == "RF201"
    gh = render_github([d])
    assert gh.startswith("::error file=a b.yaml,line=3,col=5,endLine=3,endColumn=6,title=RF201::RF201 unexpected")
    assert render_text([]) == ""
