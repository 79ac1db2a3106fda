"""The columnar validate and schema_check give exactly the outputs of the row-by-row reference.

Generated tables (hypothesis) hold the cells where the two could part: Python-only whitespace
(\\x1c-\\x1f, \\x85), numbers in every spelling, dates that are not calendar dates (year 0, 30
February), codes, non-ASCII digits, duplicates; and the bundled study with its dictionary.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import bundled_path
from stages.components import DatasetProfile
from stages.dictionary import build_rule, load_dictionary, parse_dictionary
from stages.stage_02_schema_check import SchemaCheckConfig, check_input
from stages.stage_05_validate import ValidateConfig, collect_rules, validate_input

PIECES = ["", " ", "\x1c", "\x85", "\xa0", "NA", "null", "0", "7", "42", "-3", "+5", ".5", "5.", "1e3", "1E999",
          "0042", "١٢", "2024-01-12", "2024-02-30", "0000-01-01", "2023-12-31", "01/12/2024", "2024-01-12T10:00",
          "2024-01-12 10:00:00", "I10", "A01.1", "U07", "8462-4", "8462-5", "true", "No", "Y", "x", "S00001",
          "S0001", "é", "a,b", "\n"]
cell = st.one_of(st.sampled_from(PIECES), st.lists(st.sampled_from(PIECES), min_size=2, max_size=3).map("".join))
COLUMNS = ["a", "b", "c", "d"]
RULES: list[dict[str, Any]] = [
    {"kind": "range", "column": "a", "min": 0, "max": 100},
    {"kind": "range", "column": "b", "max": 10, "severity": "warning"},
    {"kind": "missing", "column": "a", "max_fraction": 0.1},
    {"kind": "unique", "columns": ["a"]},
    {"kind": "unique", "columns": ["a", "b"], "name": "ab.unique"},
    {"kind": "date_order", "columns": ["c", "d"]},
    {"kind": "date_order", "columns": ["d", "c"], "allow_equal": False, "name": "dc.order"},
    {"kind": "allowed", "column": "b", "values": ["7", "42", "x"]},
    {"kind": "pattern", "column": "b", "pattern": r"\d+|S\d{5}"},
    {"kind": "code", "column": "c", "system": "icd10"},
    {"kind": "code", "column": "d", "system": "loinc"},
]
DICTIONARY = parse_dictionary({
    "columns": {"a": {"type": "integer", "required": True}, "b": {"type": "number", "allowed": ["7", "42", "1e3"]},
                "c": {"type": "date", "pattern": r"2024-.*"}, "d": {"type": "date", "date_format": "%m/%d/%Y"},
                "e": {"type": "boolean"}, "f": {"type": "datetime", "required": True}},
    "missing_values": ["", "NA"],
}, source="generated", sha256="")


def _write(path: Path, header: list[str], rows: list[list[str]]) -> DatasetProfile:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return DatasetProfile(name="t", format="csv", encoding="utf-8", delimiter=",", sha256="",
                          size_bytes=path.stat().st_size, rows=len(rows), columns=tuple(header))


def _both(fn: Any, *args: Any) -> tuple[Any, Any]:
    return fn(*args, engine="rows"), fn(*args, engine="columns")


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@given(rows=st.lists(st.lists(cell, min_size=4, max_size=4), min_size=1, max_size=40),
       keys=st.integers(1, 6))
@SETTINGS
def test_validate_columns_equal_rows(tmp_path: Path, rows: list[list[str]], keys: int) -> None:
    profile = _write(tmp_path / "t.csv", COLUMNS, rows)
    config = ValidateConfig(max_unique_keys=keys, sample_rows=3, max_missing_default=0.2)
    rules = [build_rule(r, f"rules[{i}]") for i, r in enumerate(RULES)]
    old, new = _both(validate_input, tmp_path / "t.csv", profile, None, rules, config)
    assert new == old
    with pytest.MonkeyPatch.context() as mp:  # the columnar path's Python loops, not the core's
        mp.setenv("RFLOW_DATAPLANE_CORE", "0")
        assert validate_input(tmp_path / "t.csv", profile, None, rules, config, engine="columns") == old


@given(rows=st.lists(st.lists(cell, min_size=6, max_size=6), min_size=1, max_size=40))
@SETTINGS
def test_schema_check_columns_equal_rows(tmp_path: Path, rows: list[list[str]]) -> None:
    profile = _write(tmp_path / "t.csv", ["a", "b", "c", "d", "e", "f"], rows)
    for dictionary in (DICTIONARY, None):
        old, new = _both(check_input, tmp_path / "t.csv", profile, dictionary, SchemaCheckConfig(sample_rows=4))
        assert new == old


def test_the_bundled_study_gives_the_same_outputs_both_ways(tmp_path: Path) -> None:
    path = bundled_path("demo_study.csv")
    dictionary = load_dictionary("bundled:demo_dictionary.yaml")
    with path.open(encoding="utf-8", newline="") as fh:
        header, *body = list(csv.reader(fh))
    profile = DatasetProfile(name="demo", format="csv", encoding="utf-8", delimiter=",", sha256="",
                             size_bytes=path.stat().st_size, rows=len(body), columns=tuple(header))
    config = ValidateConfig(max_missing_default=0.01)
    old, new = _both(validate_input, path, profile, dictionary, collect_rules(dictionary, config), config)
    assert new == old and old["errors_total"] + old["warnings_total"] > 0
    old, new = _both(check_input, path, profile, dictionary, SchemaCheckConfig())
    assert new == old


def test_the_whitespace_stripped_is_pythons() -> None:
    from stages.columnar.cells import PY_WHITESPACE

    assert set(PY_WHITESPACE) == {chr(i) for i in range(0x110000) if chr(i).isspace()}
