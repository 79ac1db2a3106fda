"""A file read as headerless: its first row's cells are also checked whole, as header cells are.

A header row that holds PHI (an SSN, an e-mail address) looks like data, so upload reads the file
as headerless and the row is de-identified as data. A person's name used as a column header then
sits at the top of a numeric column, where nothing in the column's values says it is a name. The
names here come from Faker's locales written in cased scripts and from the unseen-forms
vocabulary and syllable generator (tests/phi/unseen_support.py), never from the detector's rules
or dictionaries. Uncased scripts (Han, Arabic, Devanagari) are outside the whole-cell name rule
(it goes by capitals) and are not drawn here.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import re
import tempfile
from pathlib import Path

import pytest
from faker import Faker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import InputDataset, StageContext, StageStatus, World, run_stages
from engine.execution.executors.local import LocalExecutor
from engine.phi.labels import HEADER_CELL_TOKEN
from engine.phi.scan.findings_file import read_findings
from stages.components import DatasetProfile, DeidentifiedDataset
from tests.phi.unseen_support import family_name, given_name
from tests.stages.conftest import write

ENTITY = "input:dataset"
LOCALES = ["pl_PL", "vi_VN", "fi_FI", "tr_TR", "ru_RU", "uk_UA", "el_GR", "cs_CZ", "hu_HU", "yo_NG", "tw_GH",
           "fr_FR", "es_MX", "de_DE", "ro_RO", "lv_LV", "lt_LT", "hr_HR", "sk_SK", "da_DK", "nl_NL", "pt_BR"]


@functools.cache
def _faker(locale: str) -> Faker:
    return Faker(locale)


@st.composite
def locale_name(draw: st.DrawFn) -> tuple[str, str]:
    fake = _faker(draw(st.sampled_from(LOCALES)))
    fake.seed_instance(draw(st.integers(0, 2**32 - 1)))
    return fake.first_name(), fake.last_name()


names = st.one_of(locale_name(), st.tuples(given_name, family_name))
digits = st.text("0123456789", min_size=1, max_size=4)


@st.composite
def headerless_file(draw: st.DrawFn) -> tuple[list[list[str]], tuple[str, str]]:
    """Rows of a CSV whose first row is a header holding a name, an SSN and an e-mail address."""
    first, last = draw(names)
    ssn = f"{draw(st.integers(100, 665))}-{draw(st.integers(10, 99))}-{draw(st.integers(1000, 9999))}"
    local = draw(st.sampled_from(["kontakt", "mail", "ulo", "xq"])) + draw(digits)
    email = f"{local}@{draw(st.sampled_from(['poczta.pl', 'ya.ru', 'kk.fi']))}"
    header = ["record_id", f"{first} {last}", f"SSN {ssn}", "Result", email]
    order = draw(st.permutations(range(len(header))))
    rows = [[header[i] for i in order]]
    for n in range(draw(st.integers(3, 60))):
        values = [str(n + 1), draw(digits), draw(digits), f"{draw(digits)}.{draw(digits)}", draw(digits)]
        rows.append([values[i] for i in order])
    return rows, (first, last)


def _csv_and_workspace(folder: Path, rows: list[list[str]]) -> tuple[Path, Path]:
    """``rows`` written to ``folder/in.csv`` (LF line ends), and an empty run workspace beside it."""
    path = folder / "in.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    ws = folder / "run"
    ws.mkdir()
    return path, ws


def _run(path: Path, ws: Path, stage_keys: list[str], partition_bytes: int | None = None) -> tuple[World, object]:
    """The stages run over one input in DEMO mode; the World, and the last stage's result."""
    world = World()
    world.add(ENTITY, InputDataset("dataset", str(path), "auto"))
    context = StageContext(world=world, workspace=ws, mode="DEMO", policy={"phi_policy": "warn"}, approvals=(),
                           phi_key=b"k" * 32, executor=LocalExecutor(partition_bytes=partition_bytes))
    results = asyncio.run(run_stages(stage_keys, context, configs={"deidentify": {}}))
    return world, next(r for r in results if r.stage_key == stage_keys[-1])


def _deidentify(path: Path, ws: Path, partition_bytes: int | None) -> tuple[object, object, str]:
    world, result = _run(path, ws, ["upload", "deidentify"], partition_bytes)
    deid = world.get(ENTITY, DeidentifiedDataset)
    copy = (ws / deid.path).read_text(encoding="utf-8") if deid is not None else ""
    return result, world.get(ENTITY, DatasetProfile), copy


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"[^\W\d_]+", text)}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=headerless_file(), partition_bytes=st.sampled_from([None, 256]))
def test_a_name_in_a_headerless_first_row_is_not_in_the_copy(case: tuple[list[list[str]], tuple[str, str]],
                                                             partition_bytes: int | None) -> None:
    rows, (first, last) = case
    with tempfile.TemporaryDirectory() as tmp:
        result, profile, copy = _deidentify(*_csv_and_workspace(Path(tmp), rows), partition_bytes)
    assert result.status is StageStatus.COMPLETED, result.errors
    assert profile is not None and not profile.has_header  # the PHI in the first row reads as data
    leaked = {w for w in _words(f"{first} {last}") if len(w) > 1} & _words(copy)
    assert not leaked, f"name part(s) of the first row in the copy: {sorted(leaked)}"
    assert HEADER_CELL_TOKEN in copy.splitlines()[1]
    # Rows after the first are data, de-identified as before: their numbers stay.
    assert copy.splitlines()[2:] and all(len(line.split(",")) == 5 for line in copy.splitlines()[2:])


@pytest.mark.parametrize("partition_bytes", [None, 256])
@pytest.mark.parametrize("person", [("Curt", "Ring"), ("Nezengül", "Seven"), ("Grace", "Bell"),
                                    ("Joost", "van 't Wel"), ("Joost", "van \u2019t Wel"), ("Gerrit", "op den Brink")])
def test_a_name_of_english_words_over_a_column_of_numbers_is_replaced(tmp_path: Path, person: tuple[str, str],
                                                                      partition_bytes: int | None) -> None:
    """Names made of English words, and names joined by particles such as ``van 't`` (hypothesis found
    these), read like a header to the whole-cell rule; over a column with no letter below, a
    name-shaped first-row cell is replaced all the same."""
    first, last = person
    rows = [["record_id", f"{first} {last}", "SSN 123-45-6789", "Result", "mail7@ya.ru"]]
    rows += [[str(n), str(n * 7 % 100), str(n * 3), f"{n}.5", str(n * 11)] for n in range(1, 40)]
    result, profile, copy = _deidentify(*_csv_and_workspace(tmp_path, rows), partition_bytes)
    assert result.status is StageStatus.COMPLETED, result.errors
    assert profile is not None and not profile.has_header
    assert not _words(f"{first} {last}") & _words(copy)
    first_out = next(csv.reader([copy.splitlines()[1]]))
    assert first_out[1] == HEADER_CELL_TOKEN and first_out[3] == "Result"  # one word: no name's shape
    assert copy.splitlines()[2].split(",") == ["1", "7", "3", "1.5", "11"]


def test_a_name_of_english_words_first_in_a_headerless_name_column_is_replaced_as_its_column(tmp_path: Path) -> None:
    """The first row of a headerless file is a data row: a column classified as names from its cells
    replaces its first cell too, however English its words, and phi_scan reports it in that column."""
    people = [("Curt", "Ring"), ("Lailtes", "Ngata"), ("Mirte", "Kjeldsen"), ("Oyelaran", "Adebisi"),
              ("Zięcik", "Łukasz"), ("Bob", "Nwachukwu"), ("Tuomas", "Häkkinen"), ("Ewa", "Wiśniewska")]
    rows = [[str(n + 1), f"{a} {b}", f"{n}.5"] for n, (a, b) in enumerate(people)]
    path, ws = _csv_and_workspace(tmp_path, rows)
    result, profile, copy = _deidentify(path, ws, None)
    assert result.status is StageStatus.COMPLETED, result.errors
    assert profile is not None and not profile.has_header
    assert not {"curt", "ring"} & _words(copy)
    assert copy.splitlines()[1].split(",") == ["1", "0.5"]  # the name column dropped, first row included
    scan_ws = tmp_path / "scan"
    scan_ws.mkdir()
    _run(path, scan_ws, ["upload", "phi_scan"])
    findings = [f._asdict() for f in read_findings(scan_ws / "phi" / "dataset.findings.jsonl")]
    assert {(f["row"], f["column"], f["category"]) for f in findings} >= {(n, "col_2", "NAME") for n in (1, 2, 8)}


def test_the_first_row_of_a_file_with_a_header_is_not_checked_as_one(tmp_path: Path) -> None:
    """Only a file read as headerless has a first row that may be a header: with a header row, data
    cells are de-identified by their column alone (a numeric column's value stays)."""
    path = write(tmp_path / "in.csv", "record_id,Result\n1,7.5\n2,8.1\n")
    ws = tmp_path / "run"
    ws.mkdir()
    result, profile, copy = _deidentify(path, ws, None)
    assert result.status is StageStatus.COMPLETED, result.errors
    assert profile is not None and profile.has_header
    assert HEADER_CELL_TOKEN not in copy and copy.splitlines()[1].endswith(",7.5")


CLINICAL = ["Chest Pain", "Heart Failure", "Acute Asthma", "Sleep Apnea", "Back Pain", "Kidney Stones",
            "Migraine", "Pneumonia", "Stable", "Improved", "Normal Sinus Rhythm", "Mild Anemia"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.lists(names, min_size=12, max_size=40), seed=st.randoms(use_true_random=False))
def test_a_column_of_names_in_a_headerless_file_is_classified_by_its_cells(
        people: list[tuple[str, str]], seed: object) -> None:
    """A headerless file's columns have generated names that say nothing: a column whose cells read
    as names (names in no dictionary included) is a name column; Title Case clinical terms are not."""
    rows = [[str(n + 1), f"{first} {last}", seed.choice(CLINICAL), "7.5"]  # type: ignore[attr-defined]
            for n, (first, last) in enumerate(people)]
    with tempfile.TemporaryDirectory() as tmp:
        result, profile, copy = _deidentify(*_csv_and_workspace(Path(tmp), rows), None)
    assert result.status is StageStatus.COMPLETED, result.errors
    assert profile is not None and not profile.has_header
    out = list(csv.reader(copy.splitlines()))[1:]
    leaked = {w for first, last in people for w in _words(f"{first} {last}") if len(w) > 1} & _words(copy)
    assert not leaked, f"name part(s) in the copy: {sorted(leaked)[:5]}"
    assert [r[2] for r in rows] in [list(c) for c in zip(*out, strict=True)]  # the clinical column kept as written
