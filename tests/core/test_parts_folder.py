"""``StageContext.parts_folder``: a step's part files go, whatever way the step ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import PARTS_DIR, StageContext


def _fill(folder: Path) -> None:
    (folder / "0000").mkdir(parents=True)
    (folder / "0000" / "part.jsonl").write_text("raw\n")


def test_the_folder_and_the_empty_parts_dir_are_removed(tmp_path: Path) -> None:
    context = StageContext(workspace=tmp_path, step_id="phi_scan")
    with context.parts_folder() as folder:
        assert folder.parent == tmp_path / PARTS_DIR
        _fill(folder)
    assert not (tmp_path / PARTS_DIR).exists()


def test_an_error_in_the_block_removes_it_too(tmp_path: Path) -> None:
    context = StageContext(workspace=tmp_path, step_id="deidentify")
    with pytest.raises(RuntimeError), context.parts_folder() as folder:
        _fill(folder)
        raise RuntimeError("step failed")
    assert not folder.exists() and not (tmp_path / PARTS_DIR).exists()


def test_another_step_s_folder_and_parts_dir_stay(tmp_path: Path) -> None:
    with StageContext(workspace=tmp_path, step_id="a").parts_folder() as a:
        _fill(a)
        with StageContext(workspace=tmp_path, step_id="b/../x y").parts_folder() as b:
            assert b != a and b.parent == a.parent and ".." not in b.name and " " not in b.name
            _fill(b)
        assert not b.exists() and (a / "0000" / "part.jsonl").is_file()
    assert not (tmp_path / PARTS_DIR).exists()
