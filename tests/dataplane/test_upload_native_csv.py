"""upload records whether Polars' CSV reader reads a file as the row reader does; later stages take it from there.

Why: the check is a pass over every byte. upload makes it anyway (its checksum pass reads the file
in checked blocks), so schema_check and validate, given upload's answer, read the file once
instead of twice; with the answer absent they check it again, with the same outputs.
"""

from __future__ import annotations

import builtins
import functools
from collections import Counter
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from engine import bundled_path
from stages import stage_01_upload
from stages.components import DatasetProfile
from tests.stages.conftest import run, write

KEYS = ["upload", "schema_check", "validate"]
CONFIGS = {"schema_check": {"dictionary": "bundled:demo_dictionary.yaml"},
           "validate": {"dictionary": "bundled:demo_dictionary.yaml"}}


def _run(path: Path, ws: Path, *, forget: bool = False) -> tuple[dict[str, Any], DatasetProfile, int]:
    """The stages' outputs, upload's profile, and how often the input was opened by the block reader.

    ``forget``: upload profiles with its row reader (``profile_input(engine="rows")``, the reference the
    columnar pass is tested against), which leaves the answer unknown.
    """
    opened: Counter[str] = Counter()
    real_open = builtins.open

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened[str(file)] += 1
        return real_open(file, *args, **kwargs)

    profile_input = functools.partial(stage_01_upload.profile_input, engine="rows" if forget else "columns")
    with mock.patch("stages.columnar.csvchunks.open", counting_open, create=True), \
            mock.patch.object(stage_01_upload, "profile_input", profile_input):
        r = run(KEYS, path, ws, CONFIGS)
    outputs = {k: r.result(k).output for k in KEYS}
    profile = r.component("input:dataset", DatasetProfile)
    assert profile is not None
    return outputs, profile, opened[str(path)]


@pytest.mark.parametrize("quoted", [True, False])
def test_a_file_upload_checked_is_read_once_per_stage(tmp_path: Path, quoted: bool) -> None:
    text = bundled_path("demo_study.csv").read_text(encoding="utf-8")
    if not quoted:  # the bundled notes hold quoted commas: a file without a quote at all
        import csv
        import io

        rows = list(csv.reader(io.StringIO(text, newline="")))
        text = "".join(",".join(c.replace(",", ";").replace("\n", " ") for c in row) + "\n" for row in rows)
    src = write(tmp_path / "study.csv", text)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    recorded, profile, opens = _run(src, tmp_path / "a")
    checked_again, unknown, opens_before = _run(src, tmp_path / "b", forget=True)
    assert profile.native_csv is True and unknown.native_csv is None
    assert opens == 3  # upload's checked pass, then one parse each for schema_check and validate
    # upload's row reader opens nothing here; without its answer schema_check and validate check the bytes first
    assert opens_before == 4
    for key in ("schema_check", "validate"):
        assert recorded[key] == checked_again[key]


def test_a_file_polars_cannot_read_alike_is_recorded_as_such(tmp_path: Path) -> None:
    """A malformed quote: upload says no, and the later stages go to the row reader without a check pass."""
    src = write(tmp_path / "in.csv", 'subject_id,notes\nS1,ab"c\nS2,"ok"\n')
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    recorded, profile, opens = _run(src, tmp_path / "a")
    checked_again, _, opens_before = _run(src, tmp_path / "b", forget=True)
    assert profile.native_csv is False
    assert opens == 1  # upload's pass only
    assert opens_before == 1  # upload's row reader opens nothing; without its answer a later stage checks again
    for key in ("schema_check", "validate"):
        assert recorded[key] == checked_again[key]
