from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.core.contract import StageResult, StageStatus
from engine.manifest.gates import check_gate, evaluate_gate, gate_steps, parse_gate

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
    assert not ok and "Jane" not in why and "s.label = text" in why


def test_ordering_requires_numbers() -> None:
    ok, why = evaluate_gate("validate.errors_total > 'a'", RESULTS)
    assert not ok and "needs numbers" in why


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


# -- strict types, bounded nesting and literals -------------------------------------------------------
def _one(output: dict) -> dict:
    return {"s": StageResult.completed(output)}


@given(st.integers(-(2**40), 2**40) | st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
       st.sampled_from(["==", "!="]))
def test_booleans_never_equal_numbers(number: float, flag: bool, op: str) -> None:
    """`errors_total == false` was true for 0; a mix of types now fails closed with one line."""
    literal = "true" if flag else "false"
    ok, why = evaluate_gate(f"s.n {op} {literal}", _one({"n": number}))
    assert not ok and "cannot compare number" in why and "\n" not in why
    ok, why = evaluate_gate(f"s.b {op} 0", _one({"b": flag}))
    assert not ok and "cannot compare boolean" in why


@given(st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=8),
       st.text(max_size=30))
def test_in_never_tests_substrings(needle: str, haystack: str) -> None:
    ok, why = evaluate_gate(f"'{needle}' in s.label", _one({"label": haystack + needle + haystack}))
    assert not ok and "needs a list" in why
    ok, _ = evaluate_gate(f"'{needle}' in s.items", _one({"items": [needle + "x", "y" + needle]}))
    assert not ok
    ok, _ = evaluate_gate(f"'{needle}' in s.items", _one({"items": [needle]}))
    assert ok


def test_in_compares_list_items_strictly() -> None:
    assert evaluate_gate("s.n in [0, 1]", _one({"n": False}))[0] is False
    assert evaluate_gate("s.n in [0, 1]", _one({"n": 1}))[0] is True
    assert evaluate_gate("s.n == null", _one({"n": 0}))[0] is False
    assert evaluate_gate("s.n != null", _one({"n": 0}))[0] is True


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("validate.status == 0", "cannot compare text == number"),
        ("'err' in validate.status", "needs a list on the right"),
        ("validate.x in 'abc'", "needs a list on the right"),
        ("validate.status in [0, 1]", "cannot compare text == number"),
        ("validate.x == false and 1 == true", "cannot compare number == boolean"),
        ("validate.x > true", "needs numbers"),
        ("validate.x == 1 and 3", "needs conditions"),
        ("not 'a'", "needs conditions"),
        ("1", "must be a condition"),
        ("[1] == [1]", "lists are only for 'in'"),
    ],
)
def test_type_mixes_visible_in_the_text_are_gate_errors(expr: str, fragment: str) -> None:
    problems = check_gate(expr, {"validate"})
    assert any(fragment in message for _, message in problems), problems


@given(st.integers(33, 600), st.sampled_from(["(", "not ", "(not "]))
def test_any_deep_nesting_is_a_gate_error_not_a_crash(depth: int, opener: str) -> None:
    closer = ")" if "(" in opener else ""
    expr = opener * depth + "a.x == 1" + closer * depth
    problems = check_gate(expr[:500], {"a"})
    assert problems and all(isinstance(o, int) for o, _ in problems)
    assert evaluate_gate(expr[:500], {"a": StageResult.completed({"x": 1})})[0] is False


def test_nesting_within_the_bound_works() -> None:
    assert check_gate("(" * 32 + "a.x == 1" + ")" * 32, {"a"}) == []


@given(st.characters(blacklist_categories=("L", "M", "N", "P", "S", "Zs")), st.text("abc ", max_size=5))
def test_any_non_printable_character_in_a_literal_is_refused_at_its_offset(bad: str, before: str) -> None:
    expr = f"a.x == '{before}{bad}'"
    problems = check_gate(expr, {"a"})
    assert problems, repr(bad)
    if bad not in "'\\":
        assert problems[0][0] == expr.index(bad)


@given(st.integers(17, 450), st.booleans())
def test_any_overflowing_number_literal_is_refused(digits: int, fraction: bool) -> None:
    literal = "9" * digits + (".5" if fraction else "")
    problems = check_gate(f"a.x == {literal}"[:500], {"a"})
    assert problems and "out of range" in problems[0][1]
