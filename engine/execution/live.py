"""The live display of a run on a terminal (rich): a spinner, the running step with its elapsed
time and partition bar, and the overall count; each finished step stays above it as one line.

Why rich: it redraws in place without flicker, sizes itself to the terminal, and erases the live
area at the end so the closing table starts on a clean screen. Imported only for a terminal
(:func:`engine.progress.observer_for`), so ``rflow validate`` and CI runs never load it.

Every text shown is :func:`engine.display.shown` output, drawn as plain ``Text`` (markup off):
a step id such as ``[bold]x`` is shown as typed, never interpreted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from engine.core.contract import PlannedStep, StageResult
from engine.core.display import shown
from engine.execution.progress import finished_line
from engine.execution.recorded import recorded_errors
from engine.execution.step_runner import RunObserver, RunOutcome

_STYLE = {"completed": "green", "failed": "bold red", "skipped": "dim", "blocked": "bold red"}
_SIGN = {"completed": "✓", "failed": "✗", "skipped": "-", "blocked": "■"}


class LiveDisplay(RunObserver):
    """A run observer that draws on a terminal; :meth:`close` (also at ``run_finished``) restores it."""

    def __init__(self, stream: TextIO) -> None:
        self.console = Console(file=stream, highlight=False, markup=False, emoji=False, soft_wrap=False)
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(bar_width=24),
            MofNCompleteColumn(), TimeElapsedColumn(),
            console=self.console, transient=True, refresh_per_second=8,
        )
        self._run: TaskID | None = None
        self._step: TaskID | None = None
        self._started = False

    def _start(self, total: int) -> None:
        if not self._started:
            self.progress.start()
            self._started = True
            self._run = self.progress.add_task("run", total=total)

    def run_started(self, steps: Sequence[PlannedStep]) -> None:
        self._start(len(steps))

    def step_started(self, index: int, total: int, step: PlannedStep) -> None:
        self._start(total)
        stage: Any = step.stage
        description = f"[{index}/{total}] {shown(step.step_id)} ({shown(stage.stage_name)})"
        if self._step is not None:
            self.progress.remove_task(self._step)
        self._step = self.progress.add_task(description, total=None)

    def step_progress(self, index: int, total: int, step: PlannedStep, done: int, tasks: int) -> None:
        if self._step is not None and tasks > 1:
            self.progress.update(self._step, completed=done, total=tasks)

    def step_finished(self, index: int, total: int, step: PlannedStep, result: StageResult) -> None:
        self._start(total)
        if self._step is not None:
            self.progress.remove_task(self._step)
            self._step = None
        status = result.status.value
        recorded = recorded_errors({"status": status, "output": result.output})
        style = "yellow" if recorded else _STYLE.get(status, "")
        sign = "!" if recorded else _SIGN.get(status, "?")
        self.progress.console.print(Text(f"{sign} {finished_line(index, total, step, result)}", style=style))
        if self._run is not None:
            self.progress.update(self._run, completed=index)

    def run_finished(self, outcome: RunOutcome) -> None:
        self.close()

    def close(self) -> None:
        """Stop drawing and show the cursor again; safe to call twice."""
        if self._started:
            self._started = False
            self.progress.stop()
