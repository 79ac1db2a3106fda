"""How a run shows itself: a live display on a terminal (:mod:`engine.execution.live`), plain lines, or JSON events."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from engine.core.contract import PlannedStep, StageResult
from engine.core.display import shown
from engine.core.timestamps import iso
from engine.execution.recorded import recorded_errors
from engine.execution.step_runner import RunObserver

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
        self._say(finished_line(index, total, step, result))


def finished_line(index: int, total: int, step: PlannedStep, result: StageResult) -> str:
    """A finished step in one line: ``[3/7] schema_check completed with 6 errors in 0.12s``."""
    took = f" in {result.duration_s:.2f}s" if result.duration_s is not None else ""
    why = ""
    if result.status.value in ("failed", "blocked") and result.errors:
        why = f": {shown(result.errors[0])}"
    elif result.status.value == "skipped" and result.warnings:
        why = f": {shown(result.warnings[0])}"
    return f"[{index}/{total}] {shown(step.step_id)} {_result_status(result)}{took}{why}"


def wants_live(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """A live display only on a terminal that asks for one: not a pipe or file, not ``NO_COLOR``, not ``TERM=dumb``.

    Why so strict: a CI log, a ``| tee`` or a screen reader gets cursor movements as garbage; plain
    lines read the same everywhere.
    """
    try:
        tty = stream.isatty()
    except (ValueError, OSError):  # a closed or unusual stream
        return False
    return tty and not environ.get("NO_COLOR") and environ.get("TERM", "") != "dumb"


def observer_for(stream: TextIO, *, json_events: bool, environ: Mapping[str, str]) -> RunObserver:
    """How ``rflow run`` shows a run on ``stream``: JSON events, a live display, or plain lines."""
    if json_events:
        return JsonEvents(stream)
    if wants_live(stream, environ):
        from engine.execution.live import LiveDisplay  # rich loads only here, for a terminal

        return LiveDisplay(stream)
    return PlainProgress(stream)


class JsonEvents(RunObserver):
    """One JSON object per line (``rflow run --json``): for programs that follow a run.

    ``ts`` is an ISO 8601 UTC timestamp, as in report.json (:mod:`engine.core.timestamps`).
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def emit(self, event: str, **data: Any) -> None:
        self.stream.write(json.dumps({"event": event, "ts": iso(time.time()), **data}, default=str) + "\n")
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


def step_status(step: Mapping[str, Any]) -> str:
    """A step's status as people read it: ``completed with 6 errors`` when it completed with errors recorded."""
    recorded = recorded_errors(step)
    if recorded:
        return f"completed with {recorded} error{'s' if recorded != 1 else ''}"
    return str(step["status"])


def run_status(report: Mapping[str, Any]) -> str:
    """The run's status as people read it: ``completed with 6 errors`` when completed steps recorded errors."""
    recorded = sum(recorded_errors(step) for step in report["steps"])
    if report["status"] == "completed" and recorded:
        return f"completed with {recorded} error{'s' if recorded != 1 else ''}"
    return str(report["status"])


def _result_status(result: StageResult) -> str:
    """The progress line's word for a finished step (``ok``, ``FAILED``, ``ok, 6 errors recorded``...)."""
    mark = _MARK[result.status.value]
    recorded = recorded_errors({"status": result.status.value, "output": result.output})
    return f"completed with {recorded} error{'s' if recorded != 1 else ''}" if recorded else mark


NOTE_MIN_WIDTH = 24
"""Below this width left for the NOTE column, notes go on their own lines under the row."""


def terminal_width() -> int:
    """The width to lay text out in: ``COLUMNS``, else the terminal's, else 100 (a pipe, a CI log)."""

    return max(shutil.get_terminal_size((100, 24)).columns, 20)


def summary_table(report: Mapping[str, Any], width: int | None = None) -> str:
    """The closing table of a run: one row per step; a long NOTE wraps within ``width`` instead of being cut."""

    width = terminal_width() if width is None else max(width, 20)
    rows = [("STEP", "STAGE", "STATUS", "TIME", "NOTE")]
    for step in report["steps"]:
        note = ""
        if step["errors"]:
            note = step["errors"][0]
        elif step["warnings"]:
            note = step["warnings"][0]
        took = "-" if step["duration_s"] is None else f"{step['duration_s']:.2f}s"
        rows.append((shown(step["step_id"]), shown(f"{step['stage_key']}@{step['stage_version']}"), step_status(step),
                     took, shown(note)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    indent = sum(widths) + 2 * 4
    room = width - indent
    lines = []
    for row in rows:
        head = "  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True))
        note = row[4]
        if not note or (row is rows[0] and room < NOTE_MIN_WIDTH):
            lines.append(head.rstrip())
        elif room >= NOTE_MIN_WIDTH:
            chunks = textwrap.wrap(note, room, break_long_words=True, break_on_hyphens=False) or [""]
            lines.append(f"{head}  {chunks[0]}".rstrip())
            lines.extend(" " * indent + chunk for chunk in chunks[1:])
        else:  # a narrow terminal: the note under its row, indented
            lines.append(head.rstrip())
            lines.extend(textwrap.wrap(note, width - 4, initial_indent="    ", subsequent_indent="    ",
                                       break_long_words=True, break_on_hyphens=False))
    return "\n".join(lines)
