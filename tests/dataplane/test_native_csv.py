"""Polars' CSV reader is used only where it reads a file as the row reader does, and then gives the same outputs.

Also: memory stays bounded on a large generated file (a subprocess, its peak RSS measured).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stages.columnar.source import native_csv_ok
from stages.components import DatasetProfile
from stages.dictionary import build_rule
from stages.stage_02_schema_check import SchemaCheckConfig, check_input
from stages.stage_05_validate import ValidateConfig, validate_input
from tests.dataplane.test_columnar_differential import DICTIONARY, PIECES, RULES

PLAIN = [p for p in PIECES if not set(p) & set(',"\n\r')]
plain_cell = st.lists(st.sampled_from(PLAIN), min_size=1, max_size=3).map("".join)


def _profile(path: Path, columns: list[str], rows: int, **kw: object) -> DatasetProfile:
    values = {"name": "t", "format": "csv", "encoding": "utf-8", "delimiter": ",", "sha256": "",
              "size_bytes": path.stat().st_size, "rows": rows, "columns": tuple(columns), **kw}
    return DatasetProfile(**values)  # type: ignore[arg-type]


@given(rows=st.lists(st.lists(plain_cell, min_size=6, max_size=6), min_size=1, max_size=40),
       crlf=st.booleans(), tab=st.booleans(), final_newline=st.booleans())
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_native_reading_gives_the_row_readers_outputs(tmp_path: Path, rows: list[list[str]], crlf: bool, tab: bool,
                                                       final_newline: bool) -> None:
    rows = [r for r in rows if any(c.strip("\t") for c in r)] or [["1"] * 6]  # a blank line is not native
    sep, end = ("\t" if tab else ","), ("\r\n" if crlf else "\n")
    header = ["a", "b", "c", "d", "e", "f"]
    text = end.join(sep.join(r) for r in [header, *rows]) + (end if final_newline else "")
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    profile = _profile(path, header, len(rows), delimiter=sep, format="tsv" if tab else "csv")
    assert native_csv_ok(path, profile)
    rules = [build_rule(r, f"rules[{i}]") for i, r in enumerate(RULES)]
    config = ValidateConfig(sample_rows=3, max_missing_default=0.2)
    assert (validate_input(path, profile, None, rules, config, engine="columns")
            == validate_input(path, profile, None, rules, config, engine="rows"))
    schema = SchemaCheckConfig(sample_rows=4)
    assert (check_input(path, profile, DICTIONARY, schema, engine="columns")
            == check_input(path, profile, DICTIONARY, schema, engine="rows"))


@pytest.mark.parametrize(("data", "kw"), [
    (b'a,b\n1,"2"x\n', {}), (b'a,b\n1,a"b\n', {}), (b'a,b\n1,"open\n', {}), (b'a,b\n1,"x" \n', {}),
    (b'"a\nb",c\n1,2\n', {}), (b"a,b\n1,\x00\n", {}),
    (b"a,b\n1,2\n\n3,4\n", {}), (b"\na,b\n1,2\n", {}), (b"a,b\r\n1,2\r\n\r\n", {}),
    (b"a,b\n1,2\r3,4\n", {}), (b"a,b\n1,2\r", {}), (b"a,b\n1,2\n", {"encoding": "cp1252"}),
    (b"a,b\n1,2\n3\n", {"ragged_rows": 1}), (b"a\tb\n1\t2\n", {"format": "jsonl"}),
])
def test_files_the_readers_could_read_differently_go_through_the_row_reader(tmp_path: Path, data: bytes,
                                                                             kw: dict[str, object]) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    assert not native_csv_ok(path, _profile(path, ["a", "b"], 2, **kw))


MEMORY_CHILD = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    import polars
    from stages.components import DatasetProfile
    from stages.dictionary import build_rule
    from stages.stage_05_validate import ValidateConfig, validate_input
    from stages.columnar.source import native_csv_ok
    path = Path(sys.argv[1])
    rows = int(sys.argv[2])
    profile = DatasetProfile(name="b", format="csv", encoding="utf-8", delimiter=",", sha256="",
                             size_bytes=path.stat().st_size, rows=rows, columns=("id", "age", "site", "visit", "note"))
    assert native_csv_ok(path, profile)
    rules = [build_rule({"kind": "range", "column": "age", "min": 18, "max": 120}, "r0"),
             build_rule({"kind": "allowed", "column": "site", "values": ["A", "B"]}, "r1"),
             build_rule({"kind": "missing", "column": "note", "max_fraction": 0.5}, "r2")]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = validate_input(path, profile, None, rules, ValidateConfig())
    assert result["rows_checked"] == rows, result["rows_checked"]
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
""")


def test_memory_stays_bounded_on_a_file_far_larger_than_the_bound(tmp_path: Path) -> None:
    block = "".join(f"{i},{i % 131},{'ABCD'[i % 4]},2024-0{i % 9 + 1}-1{i % 10},{'x' * (i % 40)}\n"
                    for i in range(10_000))
    path = tmp_path / "big.csv"
    copies = 300  # 3,000,000 rows, about 125 MB
    with path.open("w") as fh:
        fh.write("id,age,site,visit,note\n")
        for _ in range(copies):
            fh.write(block)
    size_mb = path.stat().st_size / 1e6
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(path), str(copies * 10_000)], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    growth_mb = int(proc.stdout.strip())
    assert size_mb > 100 and growth_mb < 80, (size_mb, growth_mb)
