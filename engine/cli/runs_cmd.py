"""``rflow runs [DIR]``: the run history, newest first, as a table or JSON.

Each run folder's report is read as every later command sees it (:func:`engine.report.read_report`):
a run that died without finishing shows as ``aborted``, and reports written by older versions
(epoch-second timestamps) read too. A folder whose report cannot be read is listed with why.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.cli.parsing import UsageError
from engine.core import exitcodes
from engine.core.display import shown, shown_path
from engine.core.timestamps import epoch, iso
from engine.execution.recorded import recorded_errors


def add_parser(sub: Any) -> None:
    runs = sub.add_parser(
        "runs", help="the run history: id, when, pipeline, mode, status, duration (newest first)",
        description="One line per run folder under DIR, newest first: run id, start time (UTC), pipeline, "
                    "mode, status and duration. A run that died without finishing shows as aborted; a step "
                    "that completed with errors recorded makes the status 'completed with N errors'.",
    )
    runs.add_argument("folder", nargs="?", default="rflow-runs", metavar="DIR",
                      help="a folder of run folders, or one run folder (default: ./rflow-runs)")
    runs.add_argument("--json", action="store_true",
                      help="print a JSON list (newest first) instead of the table")
    runs.set_defaults(func=_runs)


def _is_run(path: Path) -> bool:
    from engine.execution.runfolder import LOCK_NAME
    from engine.reporting.run_report import REPORT_NAME

    return (path / REPORT_NAME).exists() or (path / LOCK_NAME).exists()


def run_entry(run_dir: Path) -> dict[str, Any]:
    """One run folder as a history entry (metadata only, every user-typed value through ``shown``)."""
    from engine.execution.runfolder import is_locked
    from engine.reporting.audit_verify import shown_run
    from engine.reporting.run_report import REPORT_NAME, ReportError, read_report

    entry: dict[str, Any] = {"folder": shown_path(run_dir.name)}
    if not (run_dir / REPORT_NAME).exists():
        why = "starting" if is_locked(run_dir) else "the run could not write it"
        entry["problem"] = f"no report.json ({why})"
        return entry
    try:
        report = read_report(run_dir)
    except ReportError as exc:
        entry["problem"] = shown(str(exc))
        return entry
    data = report.data
    manifest: dict[str, Any] = data["manifest"] if isinstance(data.get("manifest"), dict) else {}
    steps = [s for s in data.get("steps", []) if isinstance(s, dict)]
    duration = data.get("duration_s")
    entry.update(
        run_id=shown_run(report.run_id),
        started_at=data.get("started_at") if epoch(data.get("started_at")) is not None else None,
        finished_at=data.get("finished_at") if epoch(data.get("finished_at")) is not None else None,
        pipeline=shown(manifest.get("name", ""), 200),
        pipeline_version=shown(manifest.get("version", ""), 60),
        mode=shown(data.get("mode", ""), 60),
        status=shown(report.status, 20),
        errors_recorded=sum(recorded_errors(s) for s in steps),
        duration_s=duration if isinstance(duration, int | float) and not isinstance(duration, bool) else None,
        exit_code=report.exit_code if report.status != "running" else None,
        report_schema=shown(data.get("schema"), 60),
    )
    return entry


def history(folder: Path) -> list[dict[str, Any]]:
    """The run folders of ``folder`` (or ``folder`` itself when it is one), newest first.

    Order: start time from the report, else the folder's modification time; ties by folder name.
    """

    folders = [folder] if _is_run(folder) else [p for p in folder.iterdir() if p.is_dir() and _is_run(p)]

    def when(pair: tuple[Path, dict[str, Any]]) -> tuple[float, str]:
        path, entry = pair
        seconds = epoch(entry.get("started_at"))
        if seconds is None:
            try:
                seconds = path.stat().st_mtime
            except OSError:
                seconds = 0.0
        return seconds, path.name

    pairs = sorted(((p, run_entry(p)) for p in folders), key=when, reverse=True)
    return [entry for _, entry in pairs]


def _when(value: Any) -> str:
    seconds = epoch(value)
    text = iso(seconds) if seconds is not None else None
    return "-" if text is None else text[:19].replace("T", " ") + "Z"


def _duration(value: Any) -> str:
    if value is None:
        return "-"
    seconds = float(value)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def _status(entry: dict[str, Any]) -> str:
    recorded = entry.get("errors_recorded") or 0
    if entry.get("status") == "completed" and recorded:
        return f"completed with {recorded} error{'s' if recorded != 1 else ''}"
    return str(entry.get("status"))


def render_table(entries: list[dict[str, Any]]) -> str:
    """The history as aligned columns; a folder without a readable report says why in place of its row."""
    header = ("RUN", "STARTED (UTC)", "PIPELINE", "MODE", "STATUS", "DURATION", "FOLDER")
    rows = [header]
    problems = []
    for e in entries:
        if "problem" in e:
            problems.append(f"{e['folder']}: {e['problem']}")
            continue
        pipeline = f"{e['pipeline']} {e['pipeline_version']}".strip()
        rows.append((e["run_id"], _when(e["started_at"]), pipeline, e["mode"], _status(e), _duration(e["duration_s"]),
                     e["folder"]))
    lines = []
    if len(rows) > 1:
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "".join(line + "\n" for line in [*lines, *problems])


def _runs(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        raise UsageError(f"no folder at {shown_path(folder)} (give the folder that holds the run folders)")
    entries = history(folder)
    if args.json:
        sys.stdout.write(json.dumps(entries, indent=2) + "\n")
    elif entries:
        sys.stdout.write(render_table(entries))
    else:
        sys.stderr.write(f"rflow: no run folders in {shown_path(folder)}\n")
    return exitcodes.OK
