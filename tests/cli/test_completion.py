"""Shell completion: ``rflow completion SHELL`` prints code a shell loads, and the real bash
completes commands, sub-commands, options and choices through it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def _rflow(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_shell_code_for_rflow(shell: str) -> None:
    proc = _rflow("completion", shell)
    assert proc.returncode == 0, proc.stderr
    assert "rflow" in proc.stdout and "_ARGCOMPLETE" in proc.stdout


def test_an_unknown_shell_is_a_usage_error() -> None:
    proc = _rflow("completion", "powershell")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("line", "expected"), [
    ("rflow ru", {"run", "runs"}),
    ("rflow manifest mo", {"move-step", "mode"}),
    ("rflow run --dask-w", {"--dask-workers"}),
    ("rflow run --executor ", {"local", "processes", "dask"}),
    ("rflow completion ", {"bash", "zsh", "fish"}),
])
def test_completion_answers_from_the_full_parser(tmp_path: Path, line: str, expected: set[str]) -> None:
    out = tmp_path / "completions"
    proc = _rflow(env={"_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": line,
                       "COMP_POINT": str(len(line)), "_ARGCOMPLETE_STDOUT_FILENAME": str(out)})
    assert proc.returncode == 0, proc.stderr
    assert expected <= {word.strip() for word in out.read_text().splitlines()}


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash on this machine")
def test_bash_completes_through_the_printed_code(tmp_path: Path) -> None:
    script = ('source <(rflow completion bash)\n'
              'COMP_LINE="rflow manifest mode a"; COMP_POINT=${#COMP_LINE}\n'
              'COMP_WORDS=(rflow manifest mode a); COMP_CWORD=3\n'
              '_python_argcomplete rflow a mode\n'
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    # the installed console script, as a user's shell would call it
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [w.strip() for w in proc.stdout.splitlines()] == ["add"]
