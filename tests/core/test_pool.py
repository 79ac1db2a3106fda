"""The commands' ordered pool (engine.core.pool): results in task order, whatever the worker count."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.pool import can_fork, cpu_count, ordered_map


def _square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(-1000, 1000), max_size=30), st.integers(1, 3), st.none() | st.integers(1, 8),
       st.integers(1, 5))
def test_results_come_in_task_order(tasks: list[int], workers: int, in_flight: int | None, chunksize: int) -> None:
    got = [value for value, _pid in ordered_map(_square_and_pid, tasks, workers, in_flight=in_flight,
                                                chunksize=chunksize)]
    assert got == [n * n for n in tasks]


def test_more_than_one_worker_runs_in_other_processes() -> None:
    pids = {pid for _value, pid in ordered_map(_square_and_pid, range(20), 2, in_flight=3)}
    assert os.getpid() not in pids


def test_one_worker_runs_in_this_process() -> None:
    assert {pid for _value, pid in ordered_map(_square_and_pid, range(5), 1)} == {os.getpid()}


def test_in_process_without_fork(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("engine.core.pool.can_fork", lambda: False)
    assert {pid for _value, pid in ordered_map(_square_and_pid, range(5), 3, in_process=True)} == {os.getpid()}


def test_cpu_count_is_positive() -> None:
    assert cpu_count() >= 1
    assert isinstance(can_fork(), bool)
