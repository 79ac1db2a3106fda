"""Fuzzing the three hostile-input surfaces: the manifest loader, approvals files, the gate language.

In process, with a fixed seed (``derandomize``), 10,000 cases in all; none may end in anything but
a clean result or a named :class:`~engine.core.errors.RflowError` (an "internal error" at the CLI).
``RFLOW_FUZZ_SCALE=10`` runs ten times as many (docs/benchmarks.md records such a run).
"""

from __future__ import annotations

import contextlib
import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.core.contract import StageResult, StageStatus
from engine.core.errors import RflowError
from engine.governance.approvals import ApprovalError, approvals_from_text
from engine.manifest import CODES, Diagnostic, analyze, plan
from engine.manifest.gates import check_gate, evaluate_gate
from engine.manifest.loader import make_yaml
from tests.manifest.registry import make_registry

SCALE = int(os.environ.get("RFLOW_FUZZ_SCALE", "1"))
REGISTRY = make_registry()


def _fuzz(examples: int) -> settings:
    return settings(max_examples=examples * SCALE, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


HOSTILE = [
    ".nan", ".inf", "-.inf", "1e400", "-1e999", "9" * 30, "1" + "0" * 400, "2027-02-30", "0000-00-00",
    '"\\x1b[2J"', '"\\ud800"', '"\\u0000"', '"\\x85"', "'\\x07'", "%YAML 1.1", "%TAG ! tag:x,1:", "!!python/object",
    "*a", "&a x", "<<: *a", "[" * 60, "{" * 60, "? [a]", "~", "null", "yes", "0x1F", "0o17", "1_000",
    "'" + "(" * 120, "\t", "\ufeff", "\u2028", "é", "upload", "validate", "DEMO", "rflow/v1", "Pipeline",
    "gates:", "timeout_s:", "max_bytes:", "stage: 7", "stage: 99999999999999999999", "steps: [upload]",
]


# -- the manifest loader ---------------------------------------------------------------------------
def _no_internal_error(source: str | bytes) -> None:
    result = analyze(source, registry=REGISTRY)
    for d in result.diagnostics:
        assert isinstance(d, Diagnostic) and d.code in CODES and d.code != "RF119", d
        assert d.line >= 0 and d.col >= 0
        d.message.encode("utf-8")
        d.hint.encode("utf-8")
    if result.manifest is not None and not any(d.is_error for d in result.diagnostics):
        for mode in result.manifest.governance.modes:
            with contextlib.suppress(RflowError):  # a named refusal is fine; anything else is a bug
                plan(result.manifest, mode, registry=REGISTRY).to_json()


@_fuzz(2500)
@given(st.data())
def test_fuzz_manifest_mutations(good_text: str, data: st.DataObject) -> None:
    lines = good_text.split("\n")
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        line = lines[i]
        cut = data.draw(st.integers(0, len(line)), label="col")
        piece = data.draw(st.sampled_from(HOSTILE) | st.text(max_size=6), label="piece")
        lines[i] = line[:cut] + piece + line[cut:] if data.draw(st.booleans()) else line[:cut] + piece
    _no_internal_error("\n".join(lines))


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**80), 2**80), st.floats(), st.text(max_size=8),
    st.sampled_from(["upload", "validate", "DEMO", "rflow/v1", "Pipeline", "2GiB", "1" + "0" * 30 + " TiB"]),
)
KEYS = st.sampled_from(["apiVersion", "kind", "metadata", "name", "version", "steps", "id", "stage", "config",
                        "governance", "default_mode", "modes", "DEMO", "gates", "timeout_s", "defaults",
                        "execution", "partition_bytes", "max_bytes", "rules", "pattern", "inputs"])
KEYS = KEYS | st.text(max_size=5)
TREES = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=3) | st.dictionaries(KEYS, kids, max_size=4),
                     max_leaves=12)


@_fuzz(1500)
@given(st.dictionaries(KEYS, TREES, max_size=4))
def test_fuzz_manifest_fields_over_a_valid_base(extra: dict) -> None:
    base: dict = {"apiVersion": "rflow/v1", "kind": "Pipeline", "metadata": {"name": "x", "version": "1.0.0"},
                  "inputs": [{"name": "dataset"}],
                  "steps": [{"id": "upload", "stage": "upload"}, {"id": "validate", "stage": "validate"}],
                  "governance": {"default_mode": "DEMO", "modes": {"DEMO": {"steps": ["upload", "validate"]}}}}
    target = base["steps"][1] if "config" in extra or "timeout_s" in extra else base
    target.update(extra)
    out = io.StringIO()
    make_yaml().dump(base, out)
    _no_internal_error(out.getvalue())


# -- approvals files -------------------------------------------------------------------------------
APPROVAL_KEYS = st.sampled_from(["approvals", "kind", "reference", "expires", "scope"]) | st.text(max_size=4)
APPROVAL_VALUES = st.one_of(
    SCALARS, st.dates().map(str), st.sampled_from(["irb_approval", "IRB-2026-0142", "2027-02-30", "*", "dataset"]),
)
APPROVAL_TREES = st.recursive(APPROVAL_VALUES, lambda k: st.lists(k, max_size=3)
                              | st.dictionaries(APPROVAL_KEYS, k, max_size=4), max_leaves=10)


def _approvals(text: str | bytes) -> None:
    try:
        found = approvals_from_text(text, "a.yaml")
    except ApprovalError as exc:
        str(exc).encode("utf-8")  # a named error whose one line prints anywhere
        return
    for approval in found:
        approval.to_dict()
        approval.is_expired()


@_fuzz(1500)
@given(APPROVAL_TREES)
def test_fuzz_approvals_structures(tree: object) -> None:
    out = io.StringIO()
    make_yaml().dump({"approvals": tree} if not isinstance(tree, dict) else tree, out)
    _approvals(out.getvalue())


@_fuzz(1000)
@given(st.lists(st.sampled_from(HOSTILE) | st.text(max_size=5), max_size=6), st.integers(0, 3))
def test_fuzz_approvals_text(pieces: list[str], indent: int) -> None:
    body = "approvals:\n  - kind: irb_approval\n    reference: IRB-1\n    expires: "
    _approvals(body + (" " * indent).join(pieces) + "\n")


# -- the gate language -----------------------------------------------------------------------------
GATE_TOKENS = st.sampled_from([
    "a.x", "a.status", "b.y.z", "a", "==", "!=", "<", "<=", ">", ">=", "in", "not", "and", "or", "(", ")", "[", "]",
    ",", "0", "-1", "1.5", "9" * 20, "9" * 400 + ".0", "true", "false", "null", "'ok'", "'err'", "'\x1b'",
    "'\ud800'", '"x"', "'", "\x00", "é",
])
OUTPUTS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=6)),
    lambda k: st.lists(k, max_size=3) | st.dictionaries(st.sampled_from(["x", "y", "z"]), k, max_size=3),
    max_leaves=8,
)


@_fuzz(3500)
@given(st.lists(GATE_TOKENS, max_size=14), st.dictionaries(st.sampled_from(["x", "y"]), OUTPUTS, max_size=2),
       st.sampled_from(list(StageStatus)))
def test_fuzz_gates(tokens: list[str], output: dict, status: StageStatus) -> None:
    expr = " ".join(tokens)
    for offset, message in check_gate(expr, {"a", "b"}):
        assert 0 <= offset <= len(expr) and message and "\n" not in message
    result = StageResult(status=status, output={**output, "y": {"z": output.get("x")}})
    ok, why = evaluate_gate(expr, {"a": result, "b": result})
    assert ok in (True, False) and "\n" not in why
    why.encode("utf-8")
    if not check_gate(expr, {"a", "b"}) and ok:
        assert not why.startswith("invalid gate")
