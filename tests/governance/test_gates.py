from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.gates import check_gate, evaluate_gate, gate_steps, parse_gate
from engine.types import StageResult, StageStatus

RESULTS = {
    "phi_scan": StageResult.completed({"findings_total": 0, "by_category": {"SSN": 0}}),
    "validate": StageResult.completed({"errors_total": 3, "rate": 0.5}),
    "broken": StageResult.failed("x"),
}


@pytest.mark.parametrize(
    ("expr", "passed"),
    [
        ("phi_scan.findings_total == 0", True),
        ("validate.errors_total == 0", False),
        ("validate.errors_total <= 3 and phi_scan.findings_total == 0", True),
        ("validate.errors_total < 3 or phi_scan.by_category.SSN == 0", True),
        ("not validate.errors_total > 2", False),
        ("broken.status == 'failed'", True),
        ("phi_scan.status in ['completed', 'skipped']", True),
        ("phi_scan.status not in ['completed']", False),
        ("(validate.rate >= 0.5) and (phi_scan.findings_total != 1)", True),
        ("validate.missing_field == 0", False),
        ("absent_step.x == 0", False),
    ],
)
def test_evaluate(expr: str, passed: bool) -> None:
    assert evaluate_gate(expr, RESULTS)[0] is passed


def test_missing_values_fail_closed_with_reason() -> None:
    ok, why = evaluate_gate("validate.missing_field == 0 or phi_scan.findings_total == 0", RESULTS)
    assert not ok and "validate.missing_field is not available" in why


def test_explanations_never_quote_strings_from_outputs() -> None:
    results = {"s": StageResult.completed({"label": "Jane Moreno"})}
    ok, why = evaluate_gate("s.label == 'x'", results)
    assert not ok and "Jane" not in why and "str" in why


def test_ordering_requires_numbers() -> None:
    ok, why = evaluate_gate("validate.errors_total > 'a'", RESULTS)
    assert not ok and "cannot compare" in why


@pytest.mark.parametrize(
    ("expr", "offset", "fragment"),
    [
        ("", 0, "empty"),
        ("phi_scan.findings_total ==", 26, "ends too early"),
        ("phi_scan.findings_total == 0 )", 29, "unexpected token"),
        ("(phi_scan.x == 1", 16, "missing ')'"),
        ("phi_scan == 1", 0, "STEP.FIELD"),
        ("phi_scan.x == 1 ; drop", 16, "unexpected character"),
        ("later.x == 1", 0, "does not run before"),
        ("phi_scan.x == 1 and later.y", 20, "does not run before"),
        ("__import__('os').system('x')", 16, "unexpected character"),
    ],
)
def test_check_gate_offsets(expr: str, offset: int, fragment: str) -> None:
    problems = check_gate(expr, {"phi_scan"})
    assert problems, expr
    assert problems[0][0] == offset
    assert fragment in problems[0][1]


def test_gate_steps() -> None:
    assert gate_steps("a.x == 1 and b.y.z > 2") == ["a", "b"]


@given(st.text(max_size=80))
def test_random_text_never_crashes(expr: str) -> None:
    problems = check_gate(expr, {"a", "b"})
    for offset, message in problems:
        assert 0 <= offset <= len(expr) + 1
        assert message
    ok, _ = evaluate_gate(expr, {"a": StageResult(status=StageStatus.COMPLETED, output={"x": 1})})
    assert ok in (True, False)


def test_long_expression_refused() -> None:
    with pytest.raises(ValueError):
        parse_gate("a.x == 1 and " * 100 + "a.x == 1")
