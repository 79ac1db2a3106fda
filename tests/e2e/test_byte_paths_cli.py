"""Non-UTF-8 paths end to end: ``rflow run --input`` / ``--out`` / ``--audit-log`` / the manifest.

On Linux a file name is bytes; Python hands a byte that is not UTF-8 over as a lone surrogate
(``os.fsdecode``), which ``print`` and ``json`` refuse. Whatever the bytes, a run either works or
ends in a named error with exit 2; nothing shows a traceback, the raw bytes or a terminal escape,
and every file rflow writes is valid UTF-8.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from engine.core.display import printable, shown_path
from engine.phi.labels import safe_file_name

from .conftest import DEMO_DATA, ROOT

BYTE_NAMES = st.binary(min_size=1, max_size=16).filter(
    lambda b: b"/" not in b and b"\x00" not in b and b not in (b".", b".."))


def _not_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _run(args: list[bytes], cwd: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "RFLOW_PHI_KEY": "byte-paths-test-key-0123456789abcdefXYZ"}
    return subprocess.run([os.fsencode(sys.executable), b"-m", b"engine", b"run", *args], cwd=cwd, env=env,
                          capture_output=True, timeout=300, stdin=subprocess.DEVNULL)


def _assert_clean(stream: bytes) -> None:
    text = stream.decode("utf-8")  # raises on a raw byte of a non-UTF-8 name
    assert "Traceback" not in text and "internal error" not in text, text
    assert all(ch.isprintable() or ch == "\n" for ch in text), text  # no escape sequence, no raw control


def _small_input(folder: bytes, name: bytes) -> bytes:
    path = folder + b"/" + name
    with open(DEMO_DATA, "rb") as src, open(path, "wb") as dst:
        dst.writelines(src.readlines()[:25])
    return path


@settings(max_examples=200, deadline=None)
@given(BYTE_NAMES)
def test_any_file_name_is_recorded_and_shown_as_utf8_text(raw: bytes) -> None:
    name = os.fsdecode(raw)
    for text in (safe_file_name(name), shown_path("/data/" + name), printable(name)):
        text.encode("utf-8")
        assert text.isprintable()
    if _not_utf8(raw):
        assert "\\x" in safe_file_name(name) or safe_file_name(name).startswith("[PHI")


CLI = {"deadline": None, "suppress_health_check": list(HealthCheck),
       "phases": [Phase.explicit, Phase.reuse, Phase.generate]}  # each case is a real run: no shrinking


@settings(max_examples=3, **CLI)
@given(data_name=BYTE_NAMES, out_name=BYTE_NAMES)
def test_a_run_with_byte_named_input_out_and_audit_log_works(tmp_path: Path, data_name: bytes,
                                                             out_name: bytes) -> None:
    assume(_not_utf8(data_name) or _not_utf8(out_name))
    base = os.fsencode(tempfile.mkdtemp(dir=tmp_path))
    data = _small_input(base, data_name + b".csv")
    out = base + b"/" + out_name
    log = base + b"/" + out_name + b".audit.jsonl"
    proc = _run([b"--input", b"dataset=" + data, b"--out", out, b"--audit-log", log], base)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "backslashreplace")
    _assert_clean(proc.stdout)
    _assert_clean(proc.stderr)
    for path in Path(os.fsdecode(out)).rglob("*"):
        if path.is_file():
            path.read_bytes().decode("utf-8")  # every file the run wrote is UTF-8 text
    report = json.loads(Path(os.fsdecode(out), "report.json").read_bytes())
    assert report["status"] == "completed"
    assert Path(os.fsdecode(log)).read_bytes().decode("utf-8").count("run_finished") == 1


def test_the_whole_demo_pipeline_under_byte_named_paths(tmp_path: Path) -> None:
    """The manifest, the input and the run folder all non-UTF-8, with an escape sequence too."""
    base = os.fsencode(tmp_path)
    manifest = base + b"/pipe\xff\xfe.yaml"
    shutil.copy(ROOT / "manifests" / "demo.yaml", manifest)
    data = _small_input(base, b"in\xe9\x1b[2J put.csv")
    out = base + b"/out\xc3\x28"
    proc = _run([manifest, b"--input", b"dataset=" + data, b"--out", out], base)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "backslashreplace")
    _assert_clean(proc.stdout)
    assert b"out\\xc3(" in proc.stdout  # the run folder is named, escaped
    report = json.loads(Path(os.fsdecode(out), "report.json").read_bytes())
    assert report["inputs"][0]["file"] == "in\\xe9\\x1b[2J put.csv"
    assert "\\xff\\xfe" in report["manifest"]["path"]


@settings(max_examples=4, **CLI)
@given(BYTE_NAMES)
def test_a_byte_named_path_that_cannot_be_used_is_a_named_error_with_exit_2(tmp_path: Path, raw: bytes) -> None:
    assume(_not_utf8(raw))
    base = os.fsencode(tempfile.mkdtemp(dir=tmp_path))
    with open(base + b"/file" + raw, "wb") as fh:
        fh.write(b"x")
    for args in ([b"--input", b"dataset=" + base + b"/missing" + raw, b"--out", base + b"/o"],
                 [b"--out", base + b"/file" + raw],
                 [base + b"/manifest" + raw + b".yaml", b"--out", base + b"/o"]):
        proc = _run(args, base)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.decode("utf-8").splitlines()
        assert len(lines) == 1 and lines[0].startswith("rflow: error: "), lines
        _assert_clean(proc.stderr)
        assert not os.path.exists(base + b"/o")
