"""Property: any sequence of edits either is refused (and changes nothing) or yields a manifest
that validates; ``fmt`` is idempotent and keeps the data; text values of any Unicode round-trip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.authoring import EditError, ManifestDocument, format_text
from engine.authoring.fmt import canonical
from engine.authoring.text import TextDoc, same
from engine.manifest import validate_manifest
from tests.editing.conftest import GOLDEN

BASE = (GOLDEN / "commented.yaml").read_text("utf-8")
STAGES = ["upload", "irb_check", "schema_check", "validate", "phi_scan", "deidentify", "summary", "4"]
NEW_IDS = ["extra_a", "extra_b", "qa_1", "upload", "phi_scan"]
MODES = ["DEMO", "LIVE", "QA", "STAGING"]
texts = st.text(max_size=30)


def _ids(doc: ManifestDocument) -> list[str]:
    return [s["id"] for s in doc.data["steps"]]


def _modes(doc: ManifestDocument) -> list[str]:
    return list(doc.data["governance"]["modes"])


def add_step(doc: ManifestDocument, data: st.DataObject) -> None:
    anchor = data.draw(st.sampled_from([None, *_ids(doc)]))
    where = {data.draw(st.sampled_from(["after", "before"])): anchor} if anchor else {}
    modes = data.draw(st.lists(st.sampled_from(_modes(doc)), max_size=2, unique=True))
    doc.add_step(data.draw(st.sampled_from(NEW_IDS)), data.draw(st.sampled_from(STAGES)), modes=modes, **where)


def remove_step(doc: ManifestDocument, data: st.DataObject) -> None:
    doc.remove_step(data.draw(st.sampled_from(_ids(doc))), force=data.draw(st.booleans()))


def move_step(doc: ManifestDocument, data: st.DataObject) -> None:
    ids = _ids(doc)
    step, anchor = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
    if data.draw(st.booleans()):
        doc.move_step(step, after=anchor)
    else:
        doc.move_step(step, before=anchor)


def set_text_value(doc: ManifestDocument, data: st.DataObject) -> None:
    step = data.draw(st.sampled_from(_ids(doc)))
    path = data.draw(st.sampled_from(["metadata.description", f"steps.{step}.description",
                                      f"governance.modes.{_modes(doc)[0]}.description"]))
    doc.set(path, data.draw(texts))


def set_config(doc: ManifestDocument, data: st.DataObject) -> None:
    step = data.draw(st.sampled_from(_ids(doc)))
    key, value = data.draw(st.sampled_from([("max_field_chars", "3"), ("on_findings", "fail"), ("on_errors", "report"),
                                            ("ragged_rows", "warn"), ("title", "T: x # y"), ("nope", "1")]))
    doc.set_text(f"steps.{step}.config.{key}", value)


def unset(doc: ManifestDocument, data: st.DataObject) -> None:
    step = data.draw(st.sampled_from(_ids(doc)))
    doc.unset(data.draw(st.sampled_from([f"steps.{step}.config", f"steps.{step}.description", "defaults.timeout_s",
                                         "metadata.description", f"steps.{step}.config.on_errors"])))


def modes(doc: ManifestDocument, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(MODES))
    action = data.draw(st.sampled_from(["add", "remove", "set"]))
    steps = data.draw(st.lists(st.sampled_from(_ids(doc)), min_size=1, max_size=4, unique=True))
    if action == "add":
        doc.mode_add(name, steps, phi_policy=data.draw(st.sampled_from(["warn", "block"])))
    elif action == "remove":
        doc.mode_remove(name)
    else:
        doc.mode_set_steps(name, steps)


def bump(doc: ManifestDocument, data: st.DataObject) -> None:
    doc.bump_version(data.draw(st.sampled_from(["major", "minor", "patch"])))


def fmt(doc: ManifestDocument, data: st.DataObject) -> None:
    doc.fmt()


OPS: list[Callable[[ManifestDocument, Any], None]] = [add_step, remove_step, move_step, set_text_value, set_config,
                                                     unset, modes, bump, fmt]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_sequence_of_edits_is_refused_or_valid(data: st.DataObject) -> None:
    doc = ManifestDocument.from_text(BASE)
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(OPS))
        before = doc.text
        try:
            op(doc, data)
        except EditError:
            assert doc.text == before  # a refused edit changes nothing
            continue
        assert not [d for d in validate_manifest(doc.text) if d.is_error]
    formatted = format_text(doc.text)
    assert format_text(formatted) == formatted
    assert same(TextDoc(formatted).data, canonical(TextDoc(doc.text).data, ()))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60), st.sampled_from(["metadata.description", "steps.upload.description",
                                              "governance.modes.LIVE.description", "steps.validate.description"]))
def test_any_text_value_reads_back_exactly(value: str, path: str) -> None:
    doc = ManifestDocument.from_text(BASE)
    try:
        doc.set(path, value)
    except EditError as exc:  # only a schema or value rule (maxLength, printable text) may refuse it
        assert exc.diagnostics and all(d.code.startswith("RF2") or d.code in ("RF309", "RF114")
                                       for d in exc.diagnostics)
        return
    node: Any = doc.data
    for part in path.split("."):
        node = next(s for s in node if s["id"] == part) if isinstance(node, list) else node[part]
    assert node == value
