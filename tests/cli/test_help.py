"""``--help`` that teaches: every argument described, examples for every command, the top level
grouped by task, and golden snapshots of every command's help.

The snapshots are the help a user reads at 100 columns; after a deliberate change regenerate
them with ``RFLOW_UPDATE_GOLDEN=1 pytest tests/cli/test_help.py`` and review the diff.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import build_parser
from engine.cli import walk_commands as walk
from engine.cli.examples import COMMAND_GROUPS, EXAMPLES

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("RFLOW_UPDATE_GOLDEN") == "1"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def commands(monkeypatch_module: pytest.MonkeyPatch) -> list[tuple[str, argparse.ArgumentParser]]:
    parser = build_parser()
    return [("", parser), *walk(parser)]


@pytest.fixture(scope="module")
def monkeypatch_module() -> pytest.MonkeyPatch:
    patch = pytest.MonkeyPatch()
    patch.setenv("COLUMNS", "100")
    yield patch  # type: ignore[misc]
    patch.undo()


def _golden_name(path: str) -> str:
    return ("rflow " + path).strip().replace(" ", "_") + ".txt"


def test_every_argument_is_described(commands) -> None:
    undescribed = [
        f"rflow {path}: {action.dest}" for path, parser in commands for action in parser._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction | argparse._VersionAction)
        and not (action.help or "").strip()
    ]
    assert not undescribed


def test_every_command_has_examples_that_use_it(commands) -> None:
    for path, parser in commands:
        if not path:
            continue
        assert parser.epilog and parser.epilog.startswith("examples:\n"), path
        lines = [line.strip() for line in parser.epilog.splitlines()[1:] if line.strip()]
        assert any(f"rflow {path}" in line for line in lines), (path, lines)
        assert "examples:" in parser.format_help()
    assert set(EXAMPLES) <= {path for path, _ in commands}  # no examples for a command that is gone


def test_top_level_help_is_grouped_by_task(commands) -> None:
    top = dict(commands)[""].format_help()
    titles = [title for title, names in COMMAND_GROUPS if any(n in top for n in names)]
    positions = [top.index(f"\n{title}:\n") for title in titles]
    assert positions == sorted(positions) and len(titles) >= 4
    for name in ("run", "runs", "validate", "plan", "manifest", "phi", "completion"):
        assert f"\n  {name} " in top
    assert "positional arguments" not in top and "{" not in top


def test_help_matches_the_golden_files(commands) -> None:
    expected_files = set()
    stale = []
    for path, parser in commands:
        name = _golden_name(path)
        expected_files.add(name)
        text = parser.format_help()
        golden = GOLDEN / name
        if UPDATE:
            golden.write_text(text, encoding="utf-8")
        elif not golden.exists() or golden.read_text(encoding="utf-8") != text:
            stale.append(name)
    if UPDATE:
        for extra in set(p.name for p in GOLDEN.glob("*.txt")) - expected_files:
            (GOLDEN / extra).unlink()
    assert not stale, f"help changed for {stale}: review, then RFLOW_UPDATE_GOLDEN=1 pytest {__file__}"
    assert {p.name for p in GOLDEN.glob("*.txt")} == expected_files


def test_the_real_cli_prints_the_same_help() -> None:
    env = {**os.environ, "COLUMNS": "100", "PYTHONIOENCODING": "utf-8"}
    for args, name in ((["--help"], "rflow.txt"), (["run", "--help"], "rflow_run.txt"),
                       (["manifest", "mode", "add", "-h"], "rflow_manifest_mode_add.txt")):
        proc = subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == (GOLDEN / name).read_text(encoding="utf-8")
