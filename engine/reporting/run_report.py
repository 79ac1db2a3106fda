"""The run report: a metadata-only JSON document, rewritten atomically as the run progresses.

It is written when the run starts, after every step, and at the end — so a failed, refused or
interrupted run still leaves a complete, schema-valid report behind. Its ``audit`` block anchors
the run's audit log (keying, entry count, head hash), so a cut or extended log is detectable.

Timestamps are ISO 8601 in UTC (:mod:`engine.core.timestamps`); :func:`read_report` also reads v1
reports, whose epoch-second timestamps it converts.

A run that was killed cannot finish its report; :func:`read_report` shows such a report (still
``running`` while nobody holds its run folder's lock) as ``aborted``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from engine.core.atomic import write_text_atomic
from engine.core.errors import RflowError
from engine.core.exitcodes import BY_RUN_STATUS as EXIT_CODES
from engine.core.exitcodes import for_run_status
from engine.core.timestamps import as_iso, epoch, iso
from engine.execution.recorded import recorded_errors
from engine.execution.runfolder import is_locked

if TYPE_CHECKING:
    from engine.core.contract import StageResult

REPORT_KIND = "rflow/run-report/v2"
"""v2: timestamps are ISO 8601 strings in UTC (v1 wrote epoch seconds); steps may say ``errors_recorded``."""
READABLE_KINDS = ("rflow/run-report/v1", REPORT_KIND)
"""Reports that :func:`read_report` reads; a v1 report reads with its timestamps converted."""
REPORT_NAME = "report.json"
TIMESTAMP_FIELDS = ("started_at", "finished_at")


class ReportError(RflowError):
    """A file that should be a run report is missing or is not one."""


class UnfinishedRunError(ReportError):
    """The report belongs to a run that has not finished: still running, or interrupted without
    finishing its report (it reads as ``aborted``). What it holds is the state of a step, not a run's
    outcome, so nothing is rendered from it as if it were one."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status
        """``running`` (a live run holds the folder) or ``aborted``."""


@cache
def report_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((files("engine.schemas") / "run-report.v2.schema.json").read_text("utf-8"))
    return data


@attrs.frozen
class StepEntry:
    """One step's entry in the report: what it ran, how it ended, its metadata-only output.

    Written by :meth:`from_result` and read back by :meth:`from_dict`; :meth:`to_dict` gives the
    JSON object of ``report.json``, its keys in the order the file has always had.
    """

    status: str
    output: Mapping[str, Any] = attrs.field(factory=dict)
    artifacts: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    stage_id: int = 0
    stage_key: str = ""
    stage_name: str = ""
    stage_version: str = ""
    step_id: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    """ISO 8601 in UTC, or None for a step that did not run."""
    duration_s: float | None = None
    blocked_by: str | None = None
    unusable_input: bool = False
    errors_recorded: int = 0
    """Errors a completed step counted without failing (``on_errors: report``); 0 is not written."""

    @classmethod
    def from_result(cls, result: StageResult) -> StepEntry:
        """A step's entry from its result: ISO timestamps, and the errors it recorded.

        ``errors_recorded``: a step that completed although its stage counted errors in its output
        (``errors_total``, under ``on_errors: report``) says how many, so no reader mistakes it for clean.
        """
        return cls(
            status=result.status.value, output=dict(result.output), artifacts=tuple(result.artifacts),
            errors=tuple(result.errors), warnings=tuple(result.warnings), stage_id=result.stage_id,
            stage_key=result.stage_key, stage_name=result.stage_name, stage_version=result.stage_version,
            step_id=result.step_id, started_at=iso(result.started_at), finished_at=iso(result.finished_at),
            duration_s=result.duration_s, blocked_by=result.blocked_by, unusable_input=result.unusable_input,
            errors_recorded=recorded_errors({"status": result.status.value, "output": result.output}),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepEntry:
        """The entry of a report read from disk (keys it does not know are left out)."""
        known = {f.name for f in attrs.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for name in ("artifacts", "errors", "warnings"):
            if name in values:
                values[name] = tuple(values[name])
        values["errors_recorded"] = recorded_errors(data)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``report.json`` (``errors_recorded`` only when there are some)."""
        data = {f.name: getattr(self, f.name) for f in attrs.fields(StepEntry) if f.name != "errors_recorded"}
        for name in ("artifacts", "errors", "warnings"):
            data[name] = list(data[name])
        data["output"] = dict(self.output)
        if self.errors_recorded:
            data["errors_recorded"] = self.errors_recorded
        return data


@attrs.define
class RunReport:
    """The report of one run, with where it lives."""

    data: dict[str, Any]
    path: Path
    html_problem: str | None = None
    """Why report.html could not be written at the end of the run (``rflow report`` writes it again)."""
    written_status: str | None = None
    _steps_text: dict[int, tuple[str, str]] = attrs.field(factory=dict, init=False, repr=False, eq=False)
    """Each written step entry's JSON (see :func:`report_json`), by its place in ``steps``."""
    """The status the report.json on disk says (None: never written); another than ``status`` when the
    last write failed, so nobody is pointed at a file that does not describe the run's end."""

    @property
    def run_id(self) -> str:
        return str(self.data["run_id"])

    @property
    def status(self) -> str:
        return str(self.data["status"])

    @property
    def exit_code(self) -> int:
        return for_run_status(self.status)

    @property
    def run_dir(self) -> Path:
        return self.path.parent

    @property
    def steps(self) -> list[StepEntry]:
        """The steps' entries, in the order they ran (or were refused)."""
        return [StepEntry.from_dict(step) for step in self.data["steps"]]

    def step(self, step_id: str) -> StepEntry:
        for step in self.steps:
            if step.step_id == step_id:
                return step
        raise KeyError(step_id)

    def add_step(self, entry: StepEntry) -> None:
        """Append a step's entry to the document (written by the next :meth:`write`)."""
        self.data["steps"].append(entry.to_dict())

    def write(self) -> None:
        self.data["exit_code"] = self.exit_code if self.status != "running" else None
        write_text_atomic(self.path, report_json(self.data, self._steps_text))
        self.written_status = self.status

    def finish(self, status: str) -> None:
        self.data["status"] = status
        finished = time.time()
        started = epoch(self.data["started_at"])
        self.data["finished_at"] = iso(finished)
        self.data["duration_s"] = None if started is None else round(max(finished - started, 0.0), 6)
        self.write()


_STEPS_MARK = "\x00rflow-report-steps\x00"


def report_json(data: dict[str, Any], memo: dict[int, tuple[str, str]]) -> str:
    """``data`` as ``report.json`` holds it: ``json.dumps(data, indent=2, ensure_ascii=False)`` and a newline.

    The report is rewritten after every step, and a wide input's steps report a value per column:
    each step's entry is indented once and kept in ``memo`` (by its place, with its compact JSON,
    which the fast encoder makes, to tell that it did not change), instead of every entry again
    at every write. The text is the same, byte for byte, as indenting the whole document.
    """
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    texts: list[str] = []
    for index, step in enumerate(steps):
        compact = json.dumps(step, ensure_ascii=False)
        held = memo.get(index)
        if held is None or held[0] != compact:
            # an entry is a value of the list under the document's "steps": two levels in
            held = memo[index] = (compact, json.dumps(step, indent=2, ensure_ascii=False).replace("\n", "\n    "))
        texts.append(held[1])
    outer = json.dumps({**data, "steps": _STEPS_MARK}, indent=2, ensure_ascii=False)
    mark = json.dumps(_STEPS_MARK)
    if outer.count(mark) != 1:  # the mark's text is a value somewhere else too: indent it all
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return outer.replace(mark, "[\n    " + ",\n    ".join(texts) + "\n  ]") + "\n"


def _upgraded(data: dict[str, Any]) -> dict[str, Any]:
    """An older report in today's shape (ISO timestamps); its ``schema`` still says what the file is."""
    if data.get("schema") == REPORT_KIND:
        return data
    for holder in [data, *(s for s in data.get("steps", []) if isinstance(s, dict))]:
        for name in TIMESTAMP_FIELDS:
            if name in holder:
                holder[name] = as_iso(holder[name])
    return data


def read_report(path: Path) -> RunReport:
    """The report of a run folder (or a ``report.json``) as every later command should see it.

    A report that says ``running`` while its folder's lock is free belongs to a run that died
    without finishing (killed, host lost): it reads as ``aborted``. The file is not changed.
    """
    path = Path(path)
    file = path / REPORT_NAME if path.is_dir() else path
    try:
        data = json.loads(file.read_bytes())
    except FileNotFoundError:
        raise ReportError("no report.json there") from None
    except (OSError, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ReportError(f"report.json cannot be read ({type(exc).__name__})") from None
    kind = data.get("schema") if isinstance(data, dict) else None
    if kind not in READABLE_KINDS or not isinstance(data.get("status"), str):
        raise ReportError("report.json is not an rflow run report")
    data = _upgraded(data)
    if data["status"] == "running" and not is_locked(file.parent):
        data["status"] = "aborted"
        data["exit_code"] = EXIT_CODES["aborted"]
    return RunReport(data, file)


UNFINISHED = ("running", "aborted")
"""Statuses of a report whose run did not finish (``aborted``: it still says ``running`` on disk)."""


def finished_report(path: Path) -> RunReport:
    """:func:`read_report`, refusing a run that has not finished with :class:`UnfinishedRunError`."""
    report = read_report(path)
    if report.status == "running":
        raise UnfinishedRunError(f"UnfinishedRunError: run {report.run_id} is still running (its run folder is "
                                 "locked): its report is complete when the run ends", "running")
    if report.status == "aborted":
        raise UnfinishedRunError(f"UnfinishedRunError: run {report.run_id} did not finish (its report still says "
                                 "running and no process holds its run folder): there is no outcome to render; "
                                 "run the pipeline again", "aborted")
    return report
