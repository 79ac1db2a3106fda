"""deidentify's row loop on the core writes the copy, the counts and the rescan of the Python reference.

Differential at the task and at the stage: generated tables (identifier columns whose values
reappear in free text in any case, names with parts, dates, ages, ZIPs, addresses, codes, text
outside ASCII, quoted cells with quotes, delimiters and line breaks, CRLF, blank lines, ragged
rows, quotes left open), under several settings (pseudonyms or drops, shifted or generalised
dates, kept geography), de-identified by ``deidentify_part`` with the core's row loop against
``RFLOW_PHI_CORE_DEID_ROWS=0`` for several partition and block sizes; and the whole stage on the
dense corpus and the bundled study for several partition sizes and worker counts, against the
Python row loop and against the all-Python path. The binding takes hostile text and answers
without a panic crossing into Python.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phi_corpus import COLUMNS, dense_block

from engine import InputDataset, bundled_path
from engine.phi import native, native_deid
from stages.dictionary import load_dictionary
from stages.stage_01_upload import UploadConfig, profile_input
from stages.stage_06_deidentify import core_rows, ranges
from stages.stage_06_deidentify.config import DeidentifyConfig
from tests.native.stage_runs import deidentified

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)
HEADER = ["patient_id", "patient_name", "mrn", "visit_date", "dob", "age", "zip", "address", "code", "notes"]
NAMES = ["Ann Lee", "Bo Dia", "Maria Gonzalez", "JOSE  Ruiz", "Zoë Ågren", "li"]
CELL = st.sampled_from(["", " ", "x", "none", "12", "93", "45 Yrs Old", "90+ y/o M", "2023-04-05", "03/04/21",
                        "1950-02-30", "4 Mar 1937", "02139", "02139-1234", "12 Main St, Boston MA 02139", "unknown",
                        "call 617-555-0100", 'say "hi"', "a,b", "l1\nl2", "c\r\nd", "caf\u00e9", "MRN 1234567",
                        "ann lee seen", "Gonzalez, Maria", "seen by LEE today", "ANN", "Dr. Ruiz notes"])


def _table(data: st.DataObject) -> bytes:
    n = data.draw(st.integers(0, 12))
    rows: list[list[str]] = []
    for k in range(n):
        name = data.draw(st.sampled_from(NAMES))
        row = [f"S{data.draw(st.integers(0, 3))}", name, data.draw(st.sampled_from(["1234567", "ab", "99887766"])),
               *(data.draw(CELL) for _ in HEADER[3:-1])]
        note = " ".join(data.draw(st.lists(st.sampled_from([name, name.lower(), name.split()[-1].upper(), "MRN",
                                                            row[2], "seen", "2023-04-05", "\u00e9", "x"]),
                                           max_size=5)))
        row.append(note)
        if data.draw(st.integers(0, 9)) == 0:
            row = row[: data.draw(st.integers(1, len(row)))]  # a ragged row
        rows.append(row)
        if data.draw(st.integers(0, 15)) == 0 and k:
            rows.append([])  # a blank line
    buf = io.StringIO()
    csv.writer(buf, lineterminator=data.draw(st.sampled_from(["\n", "\r\n"]))).writerows([HEADER, *rows])
    text = buf.getvalue().replace(",,\n", ",,\n\n", 1)
    if data.draw(st.integers(0, 20)) == 0:
        text += '"an open quote,\n'
    return text.encode("utf-8")


CONFIGS = [
    DeidentifyConfig(),
    DeidentifyConfig(identifiers="pseudonym", dates="shift", subject_column="patient_id"),
    DeidentifyConfig(identifiers="pseudonym", dates="keep", geography="keep"),
]


def _task_run(path: Path, work: Path, config: DeidentifyConfig, dictionary: Any, partition: int,
              rows_on_core: bool) -> tuple[list[Any], bytes, list[bool]]:
    profile, _, _ = profile_input("dataset", InputDataset(name="dataset", path=str(path)),
                                  UploadConfig(max_bytes="4GiB"))
    prep = ranges.prepare_input(path, profile, config, dictionary, b"k" * 32, partition)
    work.mkdir(parents=True, exist_ok=True)
    results, copy, took = [], b"", []
    original = core_rows.transform_on_core

    def recorded(*args: Any, **kwargs: Any) -> int | None:
        done = original(*args, **kwargs)
        took.append(done is not None)
        return done

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(native_deid.ROWS_ENV, "1" if rows_on_core else "0")
        mp.setattr(ranges, "transform_on_core", recorded)
        for part in ranges.plan_parts(path, profile, config, prep, b"k" * 32, work):
            results.append(ranges.deidentify_part(part))
            copy += Path(part.out).read_bytes() if Path(part.out).exists() else b"<none>"
    return results, copy, took


def core_and_reference(path: Path, tmp: Path, config: DeidentifyConfig, dictionary: Any, partition: int,
                       block: int) -> tuple[Any, Any] | None:
    """The core row loop's and the Python row loop's runs of ``path``, after asserting the same results and copy.

    None when the reference refuses the table, after asserting the core path refuses it the same way.
    ``block`` is the core's block size in characters.
    """
    try:
        ref = _task_run(path, tmp / "ref", config, dictionary, partition, False)
    except Exception as exc:  # the reference refuses the table: the core path must refuse it the same way
        with pytest.raises(type(exc)):
            _task_run(path, tmp / "core", config, dictionary, partition, True)
        return None
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(core_rows, "BLOCK_CHARS", block)
        got = _task_run(path, tmp / "core", config, dictionary, partition, True)
    assert got[0] == ref[0]
    assert got[1] == ref[1]
    return got, ref


@needs_core
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data(), config=st.sampled_from(CONFIGS), partition=st.sampled_from([1 << 30, 120, 400]),
       block=st.sampled_from([1, 7, 64, 1 << 20]))
def test_the_core_row_loop_writes_what_the_reference_writes(tmp_path_factory: pytest.TempPathFactory,
                                                            data: st.DataObject, config: DeidentifyConfig,
                                                            partition: int, block: int) -> None:
    tmp = tmp_path_factory.mktemp("rows")
    path = tmp / "in.csv"
    path.write_bytes(_table(data))
    runs = core_and_reference(path, tmp, config, None, partition, block)
    if runs is not None:
        got, ref = runs
        assert not ref[2] and len(got[2]) <= len(got[0])


@needs_core
@pytest.mark.parametrize("partition", [1 << 30, 1 << 15])
@pytest.mark.parametrize("corpus", ["dense", "study"])
def test_the_core_takes_clean_tables_and_agrees(tmp_path: Path, corpus: str, partition: int) -> None:
    """The core is really used on well-formed tables (not a silent fallback), with identical results."""
    if corpus == "dense":
        path = tmp_path / "dense.csv"
        path.write_bytes(",".join(COLUMNS).encode() + b"\n" + dense_block(400, 7).replace(b"\n", b"\r\n", 50))
    else:
        path = bundled_path("demo_study.csv")
    dictionary = load_dictionary("bundled:demo_dictionary.yaml")
    for config in (DeidentifyConfig(dictionary="bundled:demo_dictionary.yaml"), CONFIGS[0], CONFIGS[2],
                   DeidentifyConfig(dictionary="bundled:demo_dictionary.yaml", identifiers="pseudonym", dates="shift")):
        dic = dictionary if config.dictionary else None
        ref = _task_run(path, tmp_path / "ref", config, dic, partition, False)
        got = _task_run(path, tmp_path / "core", config, dic, partition, True)
        assert got[2] and all(got[2]), "the core's row loop did not take a clean table"
        assert got[0] == ref[0] and got[1] == ref[1]
        assert sum(r["rows"] for r in got[0]) > 0 and any(r["replacements"] for r in got[0])


@needs_core
@pytest.mark.parametrize(("partition_bytes", "workers"), [(1 << 30, 1), (1 << 14, 1), (1 << 14, 2), (1 << 16, 2)])
@pytest.mark.parametrize("corpus", ["dense", "study"])
def test_the_stage_writes_the_same_copy_with_the_core_row_loop(tmp_path: Path, corpus: str, partition_bytes: int,
                                                               workers: int) -> None:
    if corpus == "dense":
        path = tmp_path / "dense.csv"
        path.write_bytes(",".join(COLUMNS).encode() + b"\n" + dense_block(300, 5).replace(b"\n", b"\r\n", 40))
        configs: dict[str, Any] = {"deidentify": {"identifiers": "pseudonym"}}
    else:
        path = bundled_path("demo_study.csv")
        configs = {"deidentify": {"dictionary": "bundled:demo_dictionary.yaml", "dates": "shift"}}
    core = deidentified(path, tmp_path / "core", {native_deid.ENV: "1"}, partition_bytes, workers, configs)
    rows = deidentified(path, tmp_path / "rows", {native_deid.ROWS_ENV: "0"}, partition_bytes, workers, configs)
    ref = deidentified(path, tmp_path / "ref", {native_deid.ENV: "0"}, partition_bytes, workers, configs)
    assert core == rows == ref


SPEC = st.tuples(st.integers(0, 6), st.integers(0, 3), st.booleans())
IDENT = st.tuples(st.integers(0, 6), st.booleans(), st.sampled_from(["[PHI:NAME]", "[X]"]), st.sampled_from(["A", "B"]),
                  st.booleans())


RULE = st.tuples(st.integers(0, 4), st.sampled_from(["SSN", "NAME", "90+", ""]), st.sampled_from(["SSN", "X", ""]),
                 st.booleans(), st.booleans(), st.integers(0, 3000))


@needs_core
@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=120), specs=st.lists(SPEC, max_size=5), idents=st.lists(IDENT, max_size=3),
       subject=st.none() | st.integers(0, 8), skip_first=st.booleans(), data=st.data())
def test_hostile_input_through_the_binding_never_panics(text: str, specs: list[Any], idents: list[Any],
                                                        subject: int | None, skip_first: bool,
                                                        data: st.DataObject) -> None:
    core = native.core.DeidRows(",", specs, idents, subject, skip_first, 40)  # type: ignore[union-attr]
    if data.draw(st.booleans()):  # the core's own keyed values (pseudonyms, shifted dates, years) on hostile text
        core.values(b"k" * 32, b"s" * 32, data.draw(st.integers(0, 3650)), data.draw(st.integers(-3650, 3650)),
                    ["a", "b", "c", "d"], [data.draw(RULE) for _ in specs], ("NAME", "NAME", False))
    cut = data.draw(st.integers(0, len(text)))
    for block in (text[:cut], text[cut:], ""):
        core.feed(block)
        status, misses, names, python_rows = core.scan()
        assert status in (native_deid.OK, native_deid.BAIL)
        if status != native_deid.OK:
            return
        answer = st.tuples(st.integers(0, 12), st.text(max_size=8), st.lists(st.sampled_from(["a", "b"]), max_size=2),
                           st.booleans())
        answers = [data.draw(answer) for _ in misses]
        try:
            python_rows += core.resolve(answers, [data.draw(st.text(max_size=6)) for _ in names])
        except ValueError:  # an answer of no known kind, or a pseudonym outside ASCII: refused, not a panic
            return
        outs = [(k, [data.draw(st.text(max_size=4)) for _ in specs]) for k, _, _ in python_rows]
        residues = core.write(outs)
        assert all(0 <= n < len(specs) for _, n in residues)
        assert isinstance(core.take(), str)
    assert core.rows >= 0 and all(n > 0 for _, n in core.counts())
    with pytest.raises(ValueError):
        native.core.DeidRows('"', [], [], None, False, 1)  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        native.core.DeidRows(",", [(0, 9, False)], [], None, False, 1)  # type: ignore[union-attr]
    with pytest.raises(ValueError):  # one value rule a kept column, of a known kind
        core.values(b"k", b"s", 1, 1, ["a", "b", "c", "d"], [(0, "", "", False, False, 0)] * (len(specs) + 1),
                    ("NAME", "NAME", False))
    with pytest.raises(ValueError):
        core.values(b"k", b"s", 1, 1, ["a", "b", "c", "d"], [(7, "", "", False, False, 0)] * max(len(specs), 1),
                    ("NAME", "NAME", False))
