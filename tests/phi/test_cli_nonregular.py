"""``rflow phi scan`` refuses anything but a regular file: no hang on a FIFO, no endless device."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["fifo", "directory", "socket", "/dev/null", "/dev/zero", "/dev/urandom", "symlink-to-fifo"])
def not_a_file(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    kind = request.param
    if kind.startswith("/dev/"):
        yield Path(kind), "character device"
        return
    path = tmp_path / f"input-{kind}.csv"
    sock = None
    if kind == "fifo":
        os.mkfifo(path)
        expected = "FIFO"
    elif kind == "symlink-to-fifo":
        os.mkfifo(tmp_path / "real.fifo")
        path.symlink_to(tmp_path / "real.fifo")
        expected = "FIFO"
    elif kind == "directory":
        path.mkdir()
        expected = "directory"
    else:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(path))
        expected = "socket"
    try:
        yield path, expected
    finally:
        if sock is not None:
            sock.close()


def test_non_regular_inputs_are_refused_in_one_line(not_a_file: tuple[Path, str], tmp_path: Path) -> None:
    path, kind = not_a_file
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFLOW_PHI")}
    env.update(PYTHONPATH=str(ROOT), RFLOW_PHI_KEY="cli-test-key-0123456789")
    proc = subprocess.run([sys.executable, "-m", "engine", "phi", "scan", str(path)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=30, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert kind in line and "not a regular file" in line
    assert proc.stdout == ""
