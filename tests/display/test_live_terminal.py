"""``rflow run`` draws a live display on a real terminal (a pty) and plain lines everywhere else:
a pipe, ``NO_COLOR``, ``TERM=dumb``. The terminal is given back (cursor shown) however the run ends."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import demo_with_a_schema_error

ROOT = Path(__file__).resolve().parents[2]
HIDE, SHOW = "\x1b[?25l", "\x1b[?25h"


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_with_a_schema_error(tmp_path_factory.mktemp("data") / "visits.csv", 30)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM", "COLUMNS")}
    return {**env, "TERM": "xterm-256color", "COLUMNS": "100", "PYTHONIOENCODING": "utf-8", **extra}


def _on_pty(args: list[str], cwd: Path, env: dict[str, str], *, interrupt_after: str | None = None,
            timeout: float = 300) -> tuple[int, str]:
    """Run the real CLI with stdout on a pseudo-terminal; ``(exit code, all it drew)``."""
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "engine", *args], cwd=cwd, env=env, stdout=slave,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    sent = False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            if interrupt_after and not sent and interrupt_after in b"".join(chunks).decode("utf-8", "replace"):
                proc.send_signal(signal.SIGINT)
                sent = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=60)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_the_live_display(tmp_path: Path, small_csv: Path) -> None:
    code, drawn = _on_pty(["run", "--input", f"dataset={small_csv}", "--out", str(tmp_path / "run")], tmp_path,
                          _env())
    assert code == 0, drawn[-2000:]
    assert HIDE in drawn and SHOW in drawn and drawn.rindex(SHOW) > drawn.rindex(HIDE)
    assert "\x1b[2K" in drawn  # lines redrawn in place
    assert "✓ [1/7] upload ok" in drawn and "completed with" in drawn  # finished steps stay, errors said
    assert "started\r\n" not in drawn  # not the plain lines
    assert drawn.index("STEP ") > drawn.rindex(SHOW)  # the closing table comes after the display is gone


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_no_color_or_a_dumb_terminal_gets_plain_lines(tmp_path: Path, small_csv: Path, env: dict[str, str]) -> None:
    code, drawn = _on_pty(["run", "--input", f"dataset={small_csv}", "--out", str(tmp_path / "run")], tmp_path,
                          _env(**env))
    assert code == 0, drawn[-2000:]
    assert "\x1b" not in drawn
    assert "[1/7] upload (Upload and profile inputs) started" in drawn and "[1/7] upload ok in" in drawn


def test_a_pipe_gets_plain_lines(tmp_path: Path, small_csv: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "engine", "run", "--input", f"dataset={small_csv}", "--out",
                           str(tmp_path / "run")], cwd=tmp_path, env=_env(), capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x1b" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "[1/7] upload (Upload and profile inputs) started"
    assert any(line.startswith("[3/7] schema_check completed with ") for line in lines)


def test_ctrl_c_gives_the_terminal_back(tmp_path: Path) -> None:
    code, drawn = _on_pty(["run", "--out", str(tmp_path / "run")], tmp_path, _env(),
                          interrupt_after="[5/7] phi_scan (PHI scan)")
    assert code == 130, drawn[-2000:]
    assert HIDE in drawn and drawn.rindex(SHOW) > drawn.rindex(HIDE)
