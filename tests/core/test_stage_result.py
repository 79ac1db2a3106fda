"""``StageResult.finished``: the one return of a stage that decides at the end whether it failed."""

from __future__ import annotations

from engine import StageResult, StageStatus


def test_without_errors_it_is_the_completed_result() -> None:
    result = StageResult.finished({"n": 1}, errors=[], artifacts=["a.json"], warnings=["w"], phi_findings=0)
    assert result == StageResult.completed({"n": 1}, artifacts=["a.json"], warnings=["w"], phi_findings=0)
    assert result.status is StageStatus.COMPLETED and result.errors == ()


def test_with_errors_it_is_the_failed_result_with_the_same_payload() -> None:
    errors = iter(["input 'a': missing", "input 'b': empty"])  # any iterable, read once
    result = StageResult.finished({"n": 2}, errors=errors, warnings=["w"], unusable_input=True)
    assert result == StageResult.failed("input 'a': missing", "input 'b': empty", output={"n": 2},
                                        warnings=["w"], unusable_input=True)
    assert result.status is StageStatus.FAILED and result.output == {"n": 2}


def test_the_output_is_copied_and_defaults_to_empty() -> None:
    output = {"n": 3}
    result = StageResult.finished(output)
    output["n"] = 4
    assert result.output == {"n": 3} and StageResult.finished().output == {}
