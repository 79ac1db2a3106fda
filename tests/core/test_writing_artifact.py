"""``writing_artifact``: the OS's refusal to write a file becomes one named, path-relative error."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from engine import ArtifactWriteError, atomic_output, writing_artifact
from engine.execution.executors.base import TaskFailed, task_failure


def test_a_full_disk_names_the_artifact_relative_to_the_run_folder(tmp_path: Path) -> None:
    target = tmp_path / "phi" / "a.findings.jsonl"
    with pytest.raises(ArtifactWriteError) as caught, writing_artifact(target, tmp_path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert str(caught.value) == f"cannot write phi/a.findings.jsonl: {os.strerror(errno.ENOSPC)}"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_an_unwritable_folder_names_the_artifact(tmp_path: Path) -> None:
    target = tmp_path / "out" / "copy.csv"
    (tmp_path / "out").write_text("a file where the folder should be")
    with (pytest.raises(ArtifactWriteError, match=r"^cannot write out/copy\.csv: "),
          writing_artifact(target, tmp_path), atomic_output(target) as fh):
        fh.write("x")


def test_other_os_errors_pass_unchanged(tmp_path: Path) -> None:
    # Reading a missing input inside the block is not a write error of the artifact.
    with pytest.raises(FileNotFoundError), writing_artifact(tmp_path / "out.csv", tmp_path):
        (tmp_path / "missing.csv").read_bytes()


def test_a_path_outside_the_run_folder_shows_only_its_name(tmp_path: Path) -> None:
    with pytest.raises(ArtifactWriteError, match=r"^cannot write x\.csv: "), writing_artifact(
            Path("/elsewhere/x.csv"), tmp_path):
        raise OSError(errno.EFBIG, os.strerror(errno.EFBIG))


def test_executors_pass_it_through_and_wrap_the_rest() -> None:
    passed = task_failure("phi_scan-part-0000-x", ArtifactWriteError("cannot write a: File too large"))
    assert type(passed) is ArtifactWriteError and str(passed) == "cannot write a: File too large"
    wrapped = task_failure("phi_scan-part-0000-x", ValueError("boom"))
    assert isinstance(wrapped, TaskFailed) and str(wrapped) == "task phi_scan-part-0000-x failed: ValueError: boom"


def _in_child_under_fsize(limit: int, body: str) -> str:
    """Run ``body`` in a child whose files may not grow past ``limit`` bytes (EFBIG, as a full disk)."""
    import subprocess
    import sys
    import textwrap

    prologue = ("import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
                f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n")
    proc = subprocess.run([sys.executable, "-c", prologue + textwrap.dedent(body)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_a_polars_sink_refused_by_the_os_is_an_artifact_write_error(tmp_path: Path) -> None:
    """Polars raises ComputeError ('Invalid thrift: transport error', no errno) for a Parquet sink the OS
    refuses; written through atomic_binary_output, the OS's own error is what the block sees."""
    out = _in_child_under_fsize(50_000, f"""
        from pathlib import Path
        import polars as pl
        from engine import ArtifactWriteError, atomic_binary_output, writing_artifact
        root = Path({str(tmp_path)!r})
        frame = pl.DataFrame({{f"c{{i}}": [str(i)] for i in range(600)}}).lazy()
        try:
            frame.sink_parquet(root / "direct.parquet")
        except pl.exceptions.PolarsError as exc:
            print("direct:", type(exc).__name__)
        target = root / "deidentified" / "copy.parquet"
        try:
            with writing_artifact(target, root), atomic_binary_output(target) as sink:
                frame.sink_parquet(sink)
        except ArtifactWriteError as exc:
            print("through:", exc)
        print("left:", sorted(p.name for p in target.parent.iterdir()))
    """)
    assert out.splitlines() == ["direct: ComputeError", "through: cannot write deidentified/copy.parquet: "
                                f"{os.strerror(errno.EFBIG)}", "left: []"], out


def test_a_rust_writer_error_with_the_errno_only_in_its_text(tmp_path: Path) -> None:
    """Polars' eager writers put the errno in the text: '... underlying IO error: ... (os error 28)'; its
    CSV sink raises an OSError without errno. Both are the artifact's write error, with the OS's reason."""
    import polars as pl

    target = tmp_path / "copy.parquet"
    with pytest.raises(ArtifactWriteError) as caught, writing_artifact(target, tmp_path):
        raise pl.exceptions.ComputeError("parquet: File out of specification: underlying IO error: "
                                         "No space left on device (os error 28)")
    assert str(caught.value) == f"cannot write copy.parquet: {os.strerror(errno.ENOSPC)}"
    with pytest.raises(ArtifactWriteError) as caught, writing_artifact(target, tmp_path):
        raise OSError("File too large (os error 27)")
    assert str(caught.value) == f"cannot write copy.parquet: {os.strerror(errno.EFBIG)}"
    with pytest.raises(pl.exceptions.ComputeError), writing_artifact(target, tmp_path):
        raise pl.exceptions.ComputeError("could not parse 'x' as dtype i64")  # not a write: unchanged
    with pytest.raises(ValueError), writing_artifact(target, tmp_path):
        raise ValueError("No such file (os error 28)")  # only Polars' errors are read for an errno
