"""Tasks run with fewer garbage collections, and the process's own setting comes back after."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator

import pytest

from engine.execution.executors.gc_policy import TASK_THRESHOLDS, task_gc
from engine.execution.executors.local import LocalExecutor
from engine.execution.executors.processes import ProcessExecutor
from tests.scale import tasks


@pytest.fixture(autouse=True)
def default_thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_the_scope_raises_the_thresholds_and_restores_them() -> None:
    with task_gc():
        assert gc.get_threshold() == TASK_THRESHOLDS
        assert gc.isenabled()
    assert gc.get_threshold() == (700, 10, 10)


def test_higher_thresholds_of_the_application_are_kept() -> None:
    gc.set_threshold(100_000, 5, 200)
    with task_gc():
        assert gc.get_threshold() == (100_000, 50, 200)
    assert gc.get_threshold() == (100_000, 5, 200)


def test_automatic_collection_switched_off_stays_off() -> None:
    gc.set_threshold(0)
    with task_gc():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold()[0] == 0


def test_overlapping_tasks_restore_only_when_the_last_one_ends() -> None:
    inside, release, seen = threading.Barrier(2), threading.Event(), []

    def task(wait: bool) -> None:
        with task_gc():
            inside.wait()
            if wait:
                release.wait()
        seen.append(gc.get_threshold())

    slow = threading.Thread(target=task, args=(True,))
    slow.start()
    task(False)
    assert seen == [TASK_THRESHOLDS]  # the slow task is still running
    release.set()
    slow.join()
    assert seen[-1] == (700, 10, 10)


def test_the_scope_is_left_when_the_body_raises() -> None:
    with pytest.raises(RuntimeError), task_gc():
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10)


def test_local_and_process_tasks_run_inside_the_scope() -> None:
    with LocalExecutor(2) as local:
        assert asyncio.run(local.map(tasks.gc_thresholds, [1, 2], label="t")) == [TASK_THRESHOLDS] * 2
    assert gc.get_threshold() == (700, 10, 10)
    with ProcessExecutor(1) as pool:
        assert asyncio.run(pool.map(tasks.gc_thresholds, [1], label="t")) == [TASK_THRESHOLDS]
