"""One table of exit codes: the commands and the run report take theirs from engine.core.exitcodes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from engine.core import exitcodes
from engine.reporting.run_report import RunReport

ROOT = Path(__file__).resolve().parents[2]
CLI_MODULES = [*sorted((ROOT / "engine" / "cli").glob("*.py")), ROOT / "engine" / "plugins" / "__main__.py"]
"""Every command: ``rflow``'s and the stage-card tool's (``python -m engine.plugins``)."""


@pytest.mark.parametrize("path", CLI_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_command_spells_an_exit_code_as_a_number(path: Path) -> None:
    literals = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        value = None
        if isinstance(node, ast.Return):
            value = node.value
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "SystemExit" and node.args:
            value = node.args[0]
        if isinstance(value, ast.Constant) and isinstance(value.value, int) and not isinstance(value.value, bool):
            literals.append(node.lineno)
    assert literals == [], f"{path.name}: exit codes as literals at lines {literals}; use engine.core.exitcodes"


@pytest.mark.parametrize("status", [*exitcodes.BY_RUN_STATUS, "something-new"])
def test_report_exit_code_comes_from_the_table(tmp_path: Path, status: str) -> None:
    report = RunReport({"status": status}, tmp_path / "report.json")
    assert report.exit_code == exitcodes.for_run_status(status)
    assert exitcodes.for_run_status("something-new") == exitcodes.FAILED  # unknown fails closed


def test_the_table_is_the_documented_one() -> None:
    assert (exitcodes.OK, exitcodes.FAILED, exitcodes.USAGE, exitcodes.REFUSED, exitcodes.INTERRUPTED) == (
        0, 1, 2, 3, 130)
