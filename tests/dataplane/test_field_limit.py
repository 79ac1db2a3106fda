"""A field over ``max_field_chars`` fails a columnar pass over a CSV as the row reader fails on it.

The core's block check bounds every field's length by its bytes, so most blocks skip the length
check; a field over the limit in bytes but not in characters (multi-byte UTF-8) must still pass,
and one over it in characters must fail naming its row, quoted or not, in any block.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import TabularError
from stages.columnar.source import text_batches
from stages.components import DatasetProfile


def _profile(path: Path, rows: int) -> DatasetProfile:
    return DatasetProfile(name="t", format="csv", encoding="utf-8", delimiter=",", sha256="",
                          size_bytes=path.stat().st_size, rows=rows, columns=("id", "note"), native_csv=True)


@pytest.mark.parametrize("quoted", [False, True])
def test_a_field_over_the_limit_in_characters_fails_naming_its_row(tmp_path: Path, quoted: bool) -> None:
    long = "x" * 21
    cell = f'"{long}"' if quoted else long
    path = tmp_path / "t.csv"
    path.write_text("id,note\n1,short\n2," + cell + "\n3,ok\n", encoding="utf-8")
    with pytest.raises(TabularError, match=r"data row 2 is longer than 20 characters"):
        list(text_batches(path, _profile(path, 3), max_field_chars=20))


def test_a_field_over_the_limit_in_bytes_only_passes(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,note\n1," + "é" * 20 + "\n", encoding="utf-8")  # 40 bytes, 20 characters
    frames = [frame for _, frame in text_batches(path, _profile(path, 1), max_field_chars=20)]
    assert frames[0].get_column("c1").to_list() == ["é" * 20]
