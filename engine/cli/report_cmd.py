"""``rflow report RUN_DIR [--open]``: (re)write a run folder's report.html from its report.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from engine.cli.parsing import UsageError
from engine.core import exitcodes
from engine.core.display import shown, shown_path


def add_parser(sub: Any) -> None:
    rep = sub.add_parser(
        "report", help="write a run's report.html again from its report.json (and open it)",
        description="Render RUN_DIR/report.html: the run header, pipeline graph, step timeline with every "
                    "governance decision and its manifest line, PHI findings (counts only), data quality, "
                    "de-identification and warnings. One self-contained file (no network), so it can be "
                    "opened from disk or kept as a CI artifact. Reads reports of older rflow versions too. "
                    "Exit: 0 written, 1 the run has not finished (still running, or interrupted: UnfinishedRunError), "
                    "2 no run report there or it cannot be written.",
        epilog="examples:\n  rflow report rflow-runs/20261201T130710Z-cdc67b\n"
               "  rflow report rflow-runs/20261201T130710Z-cdc67b --open",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (holding report.json and audit.jsonl)")
    rep.add_argument("--open", action="store_true", help="open the page in the default web browser afterwards")
    rep.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from engine.reporting.html import ReportRenderError, write_html
    from engine.reporting.run_report import ReportError, UnfinishedRunError, finished_report

    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"no run folder at {shown_path(run_dir)}")
    try:
        report = finished_report(run_dir)
        path = write_html(report.data, run_dir)
    except UnfinishedRunError as exc:  # the exit code of a run in that state, from the one table
        sys.stderr.write(f"rflow: error: {shown_path(run_dir)}: {shown(str(exc))}\n")
        return exitcodes.for_run_status(exc.status)
    except (ReportError, ReportRenderError) as exc:
        raise UsageError(f"{shown_path(run_dir)}: {shown(str(exc))}") from None
    print(f"html report: {shown_path(path)}")
    if args.open:
        import webbrowser

        if not webbrowser.open(path.resolve().as_uri()):
            sys.stderr.write("rflow: warning: no web browser found to open it\n")
    return exitcodes.OK
