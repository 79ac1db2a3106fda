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
