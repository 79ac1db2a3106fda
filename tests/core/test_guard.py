"""The output guard bounds bytes (per value, in total) and depth, not the number of values."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.execution.guard import MAX_BYTES, MAX_DEPTH, MAX_KEY_BYTES, MAX_VALUE_BYTES, check_output


def wide(columns: int) -> dict:
    """The shape a stage reports for a wide export: a list of names and a small record per column."""
    names = [f"measure_{i:05d}" for i in range(columns)]
    return {"column_names": names, "by_column": {n: {"errors": 0, "missing": 1, "status": "ok"} for n in names}}


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=1, max_value=60_000))
@example(20_000)
def test_any_number_of_small_values_within_the_byte_cap_passes(columns: int) -> None:
    assert check_output(wide(columns)) == []


def test_the_total_size_is_capped() -> None:
    value = "v" * (MAX_VALUE_BYTES // 2)
    output = {"chunks": [value] * (2 * MAX_BYTES // len(value))}
    [problem] = check_output(output)
    assert "bytes of JSON" in problem and value not in problem


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=40))
def test_a_value_is_bounded_in_bytes_not_characters(piece: str) -> None:
    text = (piece * (MAX_VALUE_BYTES // len(piece.encode()) + 1))
    assert len(text.encode()) > MAX_VALUE_BYTES
    [problem] = check_output({"note": text})
    assert "longer than" in problem and "bytes" in problem and text not in problem


def test_keys_are_bounded_in_bytes_and_depth_is_bounded() -> None:
    assert check_output({"k" * 200: 1}) == []
    [problem] = check_output({"k" * (MAX_KEY_BYTES + 1): 1})
    assert "key" in problem and "k" * 100 not in problem
    deep: dict = {}
    node = deep
    for _ in range(MAX_DEPTH + 2):
        node["d"] = {}
        node = node["d"]
    assert any("deeper than" in p for p in check_output(deep))
