"""The de-identified copy of a CSV/TSV is the input's text with only the replaced cells rewritten.

Inputs are generated cell by cell as raw text in several dialects (quote-all, minimal, mixed;
``,`` ``;`` and tab; CRLF or LF; a BOM or not; embedded newlines, quotes and delimiters; empty
cells; a last line ended or not), so the expected copy is built from the generated raw cells, not
from the module under test: each kept cell is its raw text if its value is unchanged, else the new
value quoted as the dialect needs. The values come from a reference parse (Python's ``csv``).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import functools
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import InputDataset, StageContext, StageStatus, World, bundled_path, run_stages
from engine.execution.executors.local import LocalExecutor
from stages.components import DeidentifiedDataset
from stages.stage_06_deidentify import bytecopy, ranges

ENTITY = "input:dataset"
HEADER = ["subject_id", "email", "visit_date", "value", "notes"]
NOTES = ["fine", "call 617-555-0143 today", "a;b,c\td", 'he said "ok"', "line one\nline two", "x\r\ny", "",
         "  padded  ", "SSN 123-45-6789 on file"]
VALUES = ["007", "1.50", " 3 ", "1e3", "", "-0", "12,5"]
DATES = ["2024-02-01", "2023-12-31", "01/02/2024", ""]


def _cell(value: str, delimiter: str, style: str, coin: bool) -> str:
    must = bytecopy.needs_quotes(value, delimiter)
    if style == "all" or must or (style == "mixed" and coin):
        return '"' + value.replace('"', '""') + '"'
    return value


@st.composite
def dialect_csv(draw: st.DrawFn) -> tuple[bytes, str, list[list[str]], list[list[str]]]:
    """``(file bytes, delimiter, raw cells per record, values per record)``, the header first."""
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    style = draw(st.sampled_from(["all", "minimal", "mixed"]))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    bom = draw(st.booleans())
    values = [HEADER]
    for n in range(draw(st.integers(1, 25))):
        values.append([f"S{n % 4}", f"p{draw(st.integers(0, 999))}@example.org", draw(st.sampled_from(DATES)),
                       draw(st.sampled_from(VALUES)), draw(st.sampled_from(NOTES))])
    raws = [[_cell(v, delimiter, style, draw(st.booleans())) for v in row] for row in values]
    text = end.join(delimiter.join(r) for r in raws) + (end if draw(st.booleans()) else "")
    data = ("\ufeff" if bom else "") + text
    return data.encode("utf-8"), delimiter, raws, values


def _deidentify(path: Path, ws: Path, partition_bytes: int | None = None, **config: object) -> tuple[object, bytes,
                                                                                                      object]:
    world = World()
    world.add(ENTITY, InputDataset("dataset", str(path), "auto"))
    context = StageContext(world=world, workspace=ws, mode="DEMO", policy={"phi_policy": "warn"}, approvals=(),
                           phi_key=b"k" * 32, executor=LocalExecutor(partition_bytes=partition_bytes))
    results = asyncio.run(run_stages(["upload", "deidentify"], context, configs={"deidentify": config}))
    result = next(r for r in results if r.stage_key == "deidentify")
    deid = world.get(ENTITY, DeidentifiedDataset)
    assert result.status is StageStatus.COMPLETED, result.errors
    assert deid is not None
    return result, (ws / deid.path).read_bytes(), deid


def _expected(copy: bytes, delimiter: str, raws: list[list[str]], values: list[list[str]], source: str) -> str:
    """The copy as it must be, from the generated raw cells and the copy's values (a reference parse)."""
    text = copy.decode("utf-8")
    bom = "\ufeff" if source.startswith("\ufeff") else ""
    out = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter))
    kept = [HEADER.index(name) for name in out[0]]
    assert len(out) == len(values)
    ends = _line_ends(source, len(values))
    lines = []
    for raw, value, new, end in zip(raws, values, out, ends, strict=True):
        cells = [raw[i] if value[i] == cell else bytecopy.encode_cell(cell, delimiter, raw[i].startswith('"'))
                 for i, cell in zip(kept, new, strict=True)]
        lines.append(delimiter.join(cells) + end)
    return bom + "".join(lines)


def _line_ends(source: str, records: int) -> list[str]:
    """Every record ends as the header line does; the last one only if the file ends with a line end."""
    end = "\r\n" if source.split("\n", 1)[0].endswith("\r") else "\n"
    return [end] * (records - 1) + [end if source.endswith("\n") else ""]


@contextlib.contextmanager
def _input_and_runs(data: bytes, runs: int = 1) -> Iterator[tuple[Path, list[Path]]]:
    """``data`` written to ``in.csv`` in a fresh temporary folder, and ``runs`` empty run workspaces beside it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.csv"
        path.write_bytes(data)
        workspaces = [Path(tmp) / f"run{n}" for n in range(runs)]
        for ws in workspaces:
            ws.mkdir()
        yield path, workspaces


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=dialect_csv())
def test_the_copy_is_the_input_with_only_the_replaced_cells_changed(
        case: tuple[bytes, str, list[list[str]], list[list[str]]]) -> None:
    data, delimiter, raws, values = case
    with _input_and_runs(data, runs=2) as (path, workspaces):
        results = [_deidentify(path, ws, partition) for ws, partition in zip(workspaces, (None, 200), strict=True)]
    (_, copy, deid), (_, parted, _) = results
    assert parted == copy  # several parts merged give the bytes of one
    assert deid.delimiter == delimiter  # type: ignore[attr-defined]
    assert copy.decode("utf-8") == _expected(copy, delimiter, raws, values, data.decode("utf-8"))
    text = copy.decode("utf-8")
    for row in values[1:]:
        assert row[1] not in text  # e-mail addresses (a dropped column) are gone
    assert "617-555-0143" not in text and "123-45-6789" not in text


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=dialect_csv())
def test_the_cell_values_are_those_of_the_value_by_value_writer(
        case: tuple[bytes, str, list[list[str]], list[list[str]]]) -> None:
    """Differential: the same replacements as the writer before (``csv.writer``), only the bytes around them differ."""
    data, delimiter, _, _ = case
    with _input_and_runs(data, runs=2) as (path, (ws, plain_ws)):
        result, copy, _ = _deidentify(path, ws)
        # The value-by-value writer: every part planned with bytewise=False (the stage's own fallback).
        with mock.patch("stages.stage_06_deidentify.stage.plan_parts",
                        functools.partial(ranges.plan_parts, bytewise=False)):
            plain_result, plain, _ = _deidentify(path, plain_ws)

    def cells(raw: bytes) -> list[list[str]]:
        return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=delimiter))

    assert cells(copy) == cells(plain)
    ours, theirs = result.output["inputs"]["dataset"], plain_result.output["inputs"]["dataset"]  # type: ignore[attr-defined]
    assert ours["replacements"] == theirs["replacements"] and ours["rescan"] == theirs["rescan"]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet='ab,;"\r\n x', max_size=40), st.sampled_from([",", ";"]))
def test_records_read_what_the_csv_module_reads(text: str, delimiter: str) -> None:
    """:func:`bytecopy.records` reads what the csv module reads, malformed quoting included, and its raw
    cells and line ends give back the text."""
    lines = io.StringIO(text, newline="").readlines()
    expected = list(csv.reader(lines, delimiter=delimiter, strict=False))
    try:
        got = list(bytecopy.records(lines, delimiter))
    except bytecopy.NotBytewise:
        with pytest.raises(csv.Error):  # only a quote left open at the end, which strict mode refuses
            list(csv.reader(lines, delimiter=delimiter, strict=True))
        return
    assert [r.values for r in got] == expected
    assert "".join(delimiter.join(r.raws) + r.end for r in got) == text


def test_a_cp1252_input_is_transcoded_to_utf8_and_otherwise_kept() -> None:
    body = 'id;name;"notes"\r\n1;Jos\u00e9 N\u00fa\u00f1ez;"SSN 123-45-6789; caf\u00e9"\r\n2;Ana;"\u00a3 5,00"\r\n'
    with _input_and_runs(body.encode("cp1252")) as (path, (ws,)):
        _, copy, deid = _deidentify(path, ws)
    assert deid.delimiter == ";"  # type: ignore[attr-defined]
    assert copy.decode("utf-8") == 'id;"notes"\r\n1;"SSN [PHI:SSN]; caf\u00e9"\r\n2;"\u00a3 5,00"\r\n'


def test_the_bundled_study_copy_keeps_the_input_bytes(tmp_path: Path) -> None:
    """A real file: every kept cell whose value is unchanged is the input's bytes, line for line."""
    source = bundled_path("demo_study.csv")
    (tmp_path / "run").mkdir()
    _, copy, _ = _deidentify(source, tmp_path / "run")
    text = source.read_text(encoding="utf-8")
    raws = [r.raws for r in bytecopy.records(io.StringIO(text, newline="").readlines(), ",")]
    values = list(csv.reader(io.StringIO(text, newline="")))
    header = values[0]
    assert len(raws) == len(values) > 1000
    expected = _expected_for(copy, header, raws, values, text)
    assert copy.decode("utf-8") == expected


def _expected_for(copy: bytes, header: list[str], raws: list[list[str]], values: list[list[str]], source: str) -> str:
    out = list(csv.reader(io.StringIO(copy.decode("utf-8"), newline="")))
    kept = [header.index(name) for name in out[0]]
    ends = _line_ends(source, len(values))
    return "".join(",".join(raw[i] if value[i] == cell else bytecopy.encode_cell(cell, ",", raw[i].startswith('"'))
                            for i, cell in zip(kept, new, strict=True)) + end
                   for raw, value, new, end in zip(raws, values, out, ends, strict=True))


def test_a_record_the_byte_copy_cannot_read_gets_the_value_by_value_writer() -> None:
    """A quote left open on the last line: the row reader reads it leniently, the byte copy refuses it,
    and the input is redone value by value (same values, the plain writer's quoting)."""
    with _input_and_runs(b'id;"notes"\r\n1;"call 617-555-0143"\r\n2;"open') as (path, (ws,)):
        _, copy, deid = _deidentify(path, ws)
    assert deid.delimiter == ";"  # type: ignore[attr-defined]
    assert copy.decode("utf-8") == "id;notes\n1;call [PHI:PHONE]\n2;open\n"
