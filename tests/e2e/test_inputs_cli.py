"""``rflow run`` and what it is given: unusable inputs exit 2, non-regular files are refused, wide files go through.

Real CLI subprocesses on real files of each class.
"""

from __future__ import annotations

import csv
import io
import os
import random
import socket
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import rflow, statuses
from .test_run_cli import assert_valid_run


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _binary(path: Path) -> None:
    data = bytearray(random.Random(7).randbytes(8192))
    data[100] = 0  # a binary file holds NUL bytes sooner or later
    path.write_bytes(bytes(data))


def _xlsx(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        book.writestr("xl/workbook.xml", "<workbook><sheets><sheet name='visits'/></sheets></workbook>")
        book.writestr("xl/worksheets/sheet1.xml", "<worksheet>" + "<row><c>1</c></row>" * 200 + "</worksheet>")
    path.write_bytes(buffer.getvalue())


def _one_line(path: Path) -> None:
    with path.open("w") as handle:  # one line far past the field limit, with no line break
        for _ in range(4):
            handle.write("subject_id" * 30_000)


UNUSABLE: dict[str, Callable[[Path], None]] = {
    "empty": _empty, "binary": _binary, "xlsx": _xlsx, "one_huge_line": _one_line,
}


@pytest.mark.parametrize("kind", sorted(UNUSABLE))
def test_an_unusable_input_exits_2_with_the_reason(tmp_path, kind) -> None:
    data = tmp_path / f"export.{'xlsx' if kind == 'xlsx' else 'csv'}"
    UNUSABLE[kind](data)
    out = tmp_path / "run"
    proc = rflow("run", "--input", f"dataset={data}", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    [line] = [x for x in proc.stderr.splitlines() if x.startswith("rflow:")]
    assert line.startswith("rflow: unusable input: input 'dataset'")
    assert "Traceback" not in proc.stderr
    report = assert_valid_run(out)
    assert report["status"] == "unusable_input" and report["exit_code"] == 2
    upload = report["steps"][0]
    assert upload["status"] == "failed" and upload["unusable_input"] is True


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A folder with a short path: a Unix socket's path must fit in about 100 bytes."""
    with tempfile.TemporaryDirectory(prefix="rf") as name:
        yield Path(name)


def _special(kind: str, folder: Path) -> tuple[Path, str, socket.socket | None]:
    """A non-regular file of ``kind`` and the word the refusal must name."""
    if kind == "fifo":
        path = folder / "pipe.csv"
        os.mkfifo(path)
        return path, "FIFO", None
    if kind == "device":
        return Path("/dev/null"), "character device", None
    if kind == "directory":
        path = folder / "folder.csv"
        path.mkdir()
        return path, "directory", None
    path = folder / "s.csv"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    return path, "socket", server


KINDS = ["fifo", "device", "directory", "socket"]


PLACES = ["input", "manifest", "audit_log", "approvals", "out"]


@pytest.mark.parametrize(("kind", "where"), [(k, w) for k in KINDS for w in PLACES
                                             if (k, w) != ("directory", "out")])  # --out takes a folder
def test_non_regular_files_are_refused_wherever_a_run_takes_a_path(tmp_path, short_dir, kind, where) -> None:
    path, word, server = _special(kind, short_dir)
    args = {
        "input": ["--input", f"dataset={path}"],
        "manifest": [str(path)],
        "audit_log": ["--audit-log", str(path)],
        "approvals": ["--approvals", str(path)],
        "out": ["--out", str(path)],
    }[where]
    out = [] if where == "out" else ["--out", str(tmp_path / "run")]
    try:
        proc = rflow("run", *args, *out, cwd=tmp_path, timeout=60)  # a FIFO opened for reading would hang
    finally:
        if server is not None:
            server.close()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert word in proc.stderr and "not a" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "run" / "report.json").exists()


def test_a_20000_column_export_goes_through_the_demo_pipeline(tmp_path) -> None:
    data = tmp_path / "wide.csv"
    rng = random.Random(3)
    with data.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"lab_{i:05d}" for i in range(20_000)])
        for _ in range(3):
            writer.writerow([str(rng.randint(0, 999)) for _ in range(20_000)])
    out = tmp_path / "run"
    proc = rflow("run", "--input", f"dataset={data}", "--out", str(out), cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    report = assert_valid_run(out)
    assert set(statuses(report).values()) == {"completed"}
    assert report["steps"][0]["output"]["inputs"]["dataset"]["columns"] == 20_000
    assert (out / "deidentified" / "dataset.csv").is_file()
