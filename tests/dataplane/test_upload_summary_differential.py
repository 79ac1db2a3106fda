"""The columnar upload and summary give the outputs of the row-by-row reference, and quoted CSVs read alike.

Generated files (hypothesis) hold what could part the readers: quoted fields with delimiters,
embedded ``\\n`` and ``\\r\\n``, doubled quotes, malformed quotes, a BOM, CRLF line ends, blank
lines, ragged rows, lone carriage returns, non-UTF-8 bytes; cells hold numbers in every spelling,
codes with leading zeros, Python-only whitespace. The bundled study and a generated study with
more numbers than the quantile sample are checked too.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import InputDataset, bundled_path
from stages.columnar.source import native_csv_ok
from stages.components import DatasetProfile
from stages.stage_01_upload import UploadConfig, profile_input
from stages.stage_20_summary import RESERVOIR, SummaryConfig, column_statistics
from tests.dataplane.test_columnar_differential import PIECES

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NUMBERS = ["0", "1", "7", "42", "-3", "+5", ".5", "5.", "1e3", "1E999", "0042", "0.5", "12.25", "99", "100"]
cell = st.one_of(st.sampled_from([*PIECES, *NUMBERS, '"', 'q"r', "\r\n", "x\ry", " 7 "]),
                 st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=2).map("".join))
table = st.lists(st.lists(cell, min_size=3, max_size=3), min_size=0, max_size=50)
# Raw line pieces that make a file the row reader must read: malformed quotes, blank lines, ragged rows...
DAMAGE = [b'a"b,1,2', b'"ab"c,1,2', b'"x" ,1,2', b"", b"1,2", b"1,2,3,4", b"1,2\r3,4,5", b'"open,1,2', b"\xe9,1,2",
          b"1,\x00,2"]


def _csv_bytes(header: list[str], rows: list[list[str]], crlf: bool, bom: bool, quote_all: bool) -> bytes:
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def _upload_both(path: Path, **config: Any) -> tuple[Any, Any]:
    """Both engines' upload results; the columnar profile's ``native_csv`` (which only it records) must be
    what the check it spares later stages says, and is then left out of the comparison."""
    import attrs

    from stages.columnar.csvchunks import faithful

    dataset = InputDataset(name="t", path=str(path))
    cfg = UploadConfig(**config)
    old, new = profile_input("t", dataset, cfg, engine="rows"), profile_input("t", dataset, cfg, engine="columns")
    if new[0] is not None:
        assert old[0].native_csv is None
        if new[0].format in ("csv", "tsv"):
            assert new[0].native_csv == faithful(path, new[0])
        new = (attrs.evolve(new[0], native_csv=None), *new[1:])
    return old, new


@given(rows=table, crlf=st.booleans(), bom=st.booleans(), quote_all=st.booleans(),
       damage=st.lists(st.tuples(st.integers(0, 50), st.sampled_from(DAMAGE)), max_size=2))
@SETTINGS
def test_upload_columns_equal_rows(tmp_path: Path, rows: list[list[str]], crlf: bool, bom: bool, quote_all: bool,
                                   damage: list[tuple[int, bytes]]) -> None:
    data = _csv_bytes(["a", "b", "c"], rows, crlf, bom, quote_all)
    lines = data.split(b"\n")
    for at, piece in damage:
        lines.insert(min(1 + at, len(lines)), piece)
    path = tmp_path / "t.csv"
    path.write_bytes(b"\n".join(lines))
    old, new = _upload_both(path)
    assert new == old


@given(rows=st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=30),
       crlf=st.booleans(), bom=st.booleans(), quote_all=st.booleans())
@SETTINGS
def test_quoted_csvs_are_read_by_polars_as_the_row_reader_reads_them(
        tmp_path: Path, rows: list[list[str]], crlf: bool, bom: bool, quote_all: bool) -> None:
    from stages.columnar.source import text_batches
    from stages.tabular import open_table

    rows = [[re.sub(r"\r(?!\n)", "", c) for c in r] for r in rows]  # a lone CR: the row reader's
    path = tmp_path / "t.csv"
    path.write_bytes(_csv_bytes(["a", "b", "c"], rows, crlf, bom, quote_all))
    profile = DatasetProfile(name="t", format="csv", encoding="utf-8-sig" if bom else "utf-8", delimiter=",",
                             sha256="", size_bytes=path.stat().st_size, rows=len(rows), columns=("a", "b", "c"),
                             has_bom=bom)
    assert native_csv_ok(path, profile)
    with open_table(path, profile) as reader:
        expected = list(reader)
    got = [list(r) for _, f in text_batches(path, profile, max_field_chars=1000) for r in f.iter_rows()]
    assert got == expected


def _write_copy(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _close(a: Any, b: Any) -> bool:
    """Equal, except mean and sd, which may differ in the last rounded digit (see stages/columnar/summary.py)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(
            math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1.01e-4) if k in ("mean", "sd") else _close(a[k], b[k])
            for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _summary_both(path: Path, config: SummaryConfig, phi: tuple[str, ...] = ()) -> tuple[Any, Any]:
    return (column_statistics(path, config, phi_columns=phi, engine="rows"),
            column_statistics(path, config, phi_columns=phi, engine="columns"))


@given(rows=st.lists(st.lists(cell, min_size=3, max_size=3), min_size=0, max_size=80),
       k=st.integers(1, 12), categories=st.integers(1, 8), top=st.integers(0, 6), numeric_rows=st.integers(0, 60))
@SETTINGS
def test_summary_columns_equal_rows(tmp_path: Path, rows: list[list[str]], k: int, categories: int, top: int,
                                    numeric_rows: int) -> None:
    rows = rows + [[str(i % 17), f"{i * 1.5}", "0" * (i % 3) + str(i)] for i in range(numeric_rows)]
    path = tmp_path / "copy.csv"
    _write_copy(path, ["a", "b", "patient_name"], rows)
    config = SummaryConfig(min_cell_count=k, max_categories=categories, top_values=top)
    old, new = _summary_both(path, config, phi=("a",) if k % 2 else ())
    assert old[0] == new[0] and _close(old[1], new[1]), (old, new)


def test_summary_of_the_bundled_study_is_the_same_both_ways() -> None:
    path = bundled_path("demo_study.csv")
    old, new = _summary_both(path, SummaryConfig(max_field_chars=1 << 20), phi=("subject_id",))
    assert old[0] == new[0] == 3000 and _close(old[1], new[1])
    assert any(s.get("kind") == "numeric" and "median" in s for s in new[1].values())


def test_more_numbers_than_the_sample_keep_every_other_statistic_exact(tmp_path: Path) -> None:
    n = RESERVOIR * 3 + 7
    rows = [[str((i * 7919) % 1000), f"{(i * 31) % 97}.5", "A" if i % 3 else "B"] for i in range(n)]
    path = tmp_path / "copy.csv"
    _write_copy(path, ["x", "y", "g"], rows)
    old, new = _summary_both(path, SummaryConfig())
    assert old[0] == new[0] == n
    for name in ("x", "y"):
        o, c = old[1][name], new[1][name]
        assert {k: v for k, v in o.items() if k not in ("p25", "median", "p75")} .keys() == {
            k for k in c if k not in ("p25", "median", "p75")}
        assert o["low"] == c["low"] and o["high"] == c["high"] and _close(
            {"mean": o["mean"], "sd": o["sd"]}, {"mean": c["mean"], "sd": c["sd"]})
        for q, p in (("p25", 0.25), ("median", 0.5), ("p75", 0.75)):
            exact = sorted(float(r[0 if name == "x" else 1]) for r in rows)[int(p * (n - 1) + 0.5)]
            assert abs(c[q] - exact) <= 0.05 * (exact + 1) + 20, (name, q, c[q], exact)  # a sample's quantile
    assert old[1]["g"] == new[1]["g"]


def test_the_bundled_study_uploads_the_same_both_ways() -> None:
    old, new = _upload_both(bundled_path("demo_study.csv"))
    assert new == old and old[0] is not None and old[0].rows == 3000


def test_quoted_files_take_the_columnar_path_and_damaged_ones_do_not(tmp_path: Path) -> None:
    from engine.dataplane.sniff import sniff
    from stages.columnar.upload import checksum_and_rows

    good = tmp_path / "good.csv"
    good.write_bytes(b'\xef\xbb\xbf"a","b"\r\n"x,\r\ny","q""r"\r\n1,2\r\n')
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b'a,b\n"ab"c,d\n')
    fmt = sniff(good)
    assert checksum_and_rows(good, fmt, ["a", "b"], 100) is not None
    assert checksum_and_rows(bad, sniff(bad), ["a", "b"], 100) is None
    assert checksum_and_rows(good, fmt, ["a", "b"], 3) is None  # a field over the cap: the row reader says where
