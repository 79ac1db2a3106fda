"""How a run shows itself: a live display on a terminal, plain lines in CI, or JSON events."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from engine.core.contract import StageResult
from engine.core.display import shown
from engine.execution.step_runner import PlannedStep, RunObserver, RunOutcome

PLAIN_PROGRESS_EVERY_S = 5.0
_MARK = {"completed": "ok", "failed": "FAILED", "skipped": "skipped", "blocked": "BLOCKED"}


class PlainProgress(RunObserver):
    """One line per event: readable in CI logs."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._last_progress = 0.0

    def _say(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def step_started(self, index: int, total: int, step: PlannedStep) -> None:
        stage: Any = step.stage
        self._last_progress = 0.0
        self._say(f"[{index}/{total}] {shown(step.step_id)} ({shown(stage.stage_name)}) started")

    def step_progress(self, index: int, total: int, step: PlannedStep, done: int, tasks: int) -> None:
        # At most one line every few seconds (and the last one): CI logs stay readable.
        now = time.monotonic()
        if tasks > 1 and (done == tasks or now - self._last_progress >= PLAIN_PROGRESS_EVERY_S):
            self._last_progress = now
            self._say(f"[{index}/{total}] {shown(step.step_id)} partitions {done}/{tasks}")

    def step_finished(self, index: int, total: int, step: PlannedStep, result: StageResult) -> None:
        took = f" in {result.duration_s:.2f}s" if result.duration_s is not None else ""
        why = ""
        if result.status.value in ("failed", "blocked") and result.errors:
            why = f": {shown(result.errors[0])}"
        elif result.status.value == "skipped" and result.warnings:
            why = f": {shown(result.warnings[0])}"
        self._say(f"[{index}/{total}] {shown(step.step_id)} {_MARK[result.status.value]}{took}{why}")


class LiveProgress(PlainProgress):
    """On a terminal: the running step's line updates in place with its elapsed time."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._current: tuple[int, int, PlannedStep, float] | None = None
        self._parts: tuple[int, int] | None = None
        self._ticker: asyncio.Task[None] | None = None

    def _draw(self) -> None:
        if self._current is None:
            return
        index, total, step, started = self._current
        stage: Any = step.stage
        elapsed = time.monotonic() - started
        parts = f"  partitions {self._parts[0]}/{self._parts[1]}" if self._parts else ""
        self.stream.write(
            f"\r\x1b[2K[{index}/{total}] {shown(step.step_id)} ({shown(stage.stage_name)}) … {elapsed:5.1f}s{parts}"
        )
        self.stream.flush()

    async def _tick(self) -> None:
        while True:
            self._draw()
            await asyncio.sleep(0.2)

    def step_started(self, index: int, total: int, step: PlannedStep) -> None:
        self._current = (index, total, step, time.monotonic())
        self._parts = None
        self._draw()
        try:
            if self._ticker is None:
                self._ticker = asyncio.get_running_loop().create_task(self._tick())
        except RuntimeError:
            self._ticker = None

    def step_progress(self, index: int, total: int, step: PlannedStep, done: int, tasks: int) -> None:
        self._parts = (done, tasks) if tasks > 1 else None
        self._draw()

    def step_finished(self, index: int, total: int, step: PlannedStep, result: StageResult) -> None:
        self._current = None
        self._parts = None
        self.stream.write("\r\x1b[2K")
        super().step_finished(index, total, step, result)

    def run_finished(self, outcome: RunOutcome) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None


class JsonEvents(RunObserver):
    """One JSON object per line (``rflow run --json``): for programs that follow a run."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def emit(self, event: str, **data: Any) -> None:
        self.stream.write(json.dumps({"event": event, "ts": time.time(), **data}, default=str) + "\n")
        self.stream.flush()

    def run_started(self, steps: Sequence[PlannedStep]) -> None:
        self.emit("run_started", steps=[s.step_id for s in steps])

    def step_started(self, index: int, total: int, step: PlannedStep) -> None:
        stage: Any = step.stage
        self.emit("step_started", index=index, total=total, step=step.step_id, stage=stage.key)

    def step_progress(self, index: int, total: int, step: PlannedStep, done: int, tasks: int) -> None:
        self.emit("step_progress", index=index, total=total, step=step.step_id, done=done, tasks=tasks)

    def step_finished(self, index: int, total: int, step: PlannedStep, result: StageResult) -> None:
        self.emit("step_finished", index=index, total=total, step=step.step_id, result=result.to_dict())


def summary_table(report: dict[str, Any]) -> str:
    """The closing table of a run: one row per step, then the outcome and where the report is."""
    rows = [("STEP", "STAGE", "STATUS", "TIME", "NOTE")]
    for step in report["steps"]:
        note = ""
        if step["errors"]:
            note = step["errors"][0]
        elif step["warnings"]:
            note = step["warnings"][0]
        took = "-" if step["duration_s"] is None else f"{step['duration_s']:.2f}s"
        rows.append((shown(step["step_id"]), shown(f"{step['stage_key']}@{step['stage_version']}"), step["status"],
                     took, shown(note, limit=80)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join([*(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)), r[4]]).rstrip() for r in rows]
    return "\n".join(lines)
