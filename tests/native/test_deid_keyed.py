"""The core's keyed values (native/src/deid_values.rs) against the Python reference, value by value.

The core's row loop computes a new ASCII cell's keyed pseudonym, a subject's date shift and an ISO
date shifted or reduced to its year itself, and hands every other value back to Python. Here each
of those functions is compared with the reference on generated values: ISO dates of every year
from 0000 to 9999, impossible days, every tail the date pattern takes (times, zones, odd
characters of its class) and tails it does not, edge spaces, shifts up to the largest setting and
past year 1 and 9999; pseudonyms and shifts of any ASCII text under any key length, and the golden
vectors. Where the core answers it must answer as Python does; where Python has no date to write,
the core must leave the cell to Python. The row loop with the core's values is then required to
write the reference's copy (tests/native/test_deid_values.py, test_deid_rows.py).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi import native, native_deid, schemes
from stages.stage_06_deidentify.classify import ISO_DATETIME
from stages.stage_06_deidentify.config import DeidentifyConfig
from stages.stage_06_deidentify.transform import Transformer
from tests.native.test_deid_rows import needs_core

core = native.core
SPACES = " \t\n\r\x0b\x0c\x1c\x1f"
TAIL = "T :.+-Z0123456789,/;<=>?@AW_az\u00e9"
KINDS = ["NAME", "SUBJECT_ID", "SSN", "PHONE", "MRN", "EMAIL", "IDENTIFIER", "x9"]
GOLDEN = json.loads((Path(__file__).resolve().parents[1] / "phi" / "golden" / "golden_vectors.json").read_text())


def _tx(max_shift_days: int = 180) -> Transformer:
    return Transformer(b"k" * 32, DeidentifyConfig(max_shift_days=max_shift_days), None, 2026)


def iso_date(data: st.DataObject) -> str:
    """An ISO date of any year, month and day written with four and two digits, any tail, edge spaces."""
    year = data.draw(st.one_of(st.integers(0, 9999), st.sampled_from([0, 1, 2, 999, 1000, 9998, 9999])))
    month = data.draw(st.one_of(st.integers(1, 12), st.integers(0, 99)))
    day = data.draw(st.one_of(st.integers(1, 31), st.integers(0, 99)))
    tail = data.draw(st.one_of(st.just(""), st.sampled_from(["T10:11:12", "T10:11:12Z", " 10:11", "T10:11+01:00",
                                                              "T10,5", " AB", "T", " ", "T10:11:12.123-05:00"]),
                               st.text(TAIL, max_size=8)))
    lead = data.draw(st.text(SPACES, max_size=2))
    trail = data.draw(st.text(SPACES, max_size=2))
    return f"{lead}{year:04d}-{month:02d}-{day:02d}{tail}{trail}"


def _shift(data: st.DataObject) -> int:
    return data.draw(st.one_of(st.integers(-3650, 3650), st.sampled_from([-3650, -1, 1, 3650]),
                               st.integers(-(1 << 20), 1 << 20)))


@needs_core
@settings(max_examples=2000, deadline=None)
@given(data=st.data())
def test_an_iso_date_shifted_as_the_reference_shifts_it(data: st.DataObject) -> None:
    text = data.draw(st.one_of(st.builds(iso_date, st.just(data)), st.text(max_size=14)))
    days = _shift(data)
    got = core.deid_date(text, days)  # type: ignore[union-attr]
    want = _tx().date(text, "shift", None, days)
    if got is not None:
        assert got == want
    else:  # the core leaves it to Python: a date Python does not write, or text outside ASCII
        assert want is None or not text.isascii()


@needs_core
@settings(max_examples=1000, deadline=None)
@given(data=st.data())
def test_an_iso_date_reduced_to_its_year_as_the_reference_reduces_it(data: st.DataObject) -> None:
    text = data.draw(st.one_of(st.builds(iso_date, st.just(data)), st.text(max_size=14)))
    got = core.deid_date(text)  # type: ignore[union-attr]
    if got is not None:
        assert got == _tx().date(text, "year", None, 0)
    else:
        m = ISO_DATETIME.match(text)
        if m and text.isascii():
            with pytest.raises(ValueError):
                dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def test_a_shift_past_the_calendar_is_left_to_python() -> None:
    if core is None:
        pytest.skip("no core")
    assert core.deid_date("0001-01-03", -3) is None and core.deid_date("9999-12-30T10:00", 2) is None
    assert core.deid_date("0001-01-03", -2) == "0001-01-01" and core.deid_date("9999-12-30T1", 1) == "9999-12-31T1"
    assert _tx().date("9999-12-30", "shift", None, 2) is None


@needs_core
@settings(max_examples=1000, deadline=None)
@given(key=st.binary(min_size=0, max_size=150), kind=st.sampled_from(KINDS),
       value=st.one_of(st.text(max_size=20), st.text(SPACES + "aZ09-@. ", max_size=20)))
def test_a_pseudonym_is_the_reference_pseudonym(key: bytes, kind: str, value: str) -> None:
    got = core.deid_pseudonym(key, kind, schemes.prefix(kind), kind in schemes.DIGIT_KINDS,  # type: ignore[union-attr]
                              value)
    if value.isascii():
        assert got == schemes.pseudonym(key, kind, value)
    else:
        assert got is None


@needs_core
@settings(max_examples=1000, deadline=None)
@given(key=st.binary(min_size=0, max_size=150),
       subject=st.one_of(st.text(SPACES + "Ss0129-_ ", max_size=12), st.text(max_size=12)),
       max_days=st.one_of(st.integers(1, 3650), st.sampled_from([0, 1, 2, 3650])))
def test_a_subjects_shift_is_the_reference_shift(key: bytes, subject: str, max_days: int) -> None:
    got = core.deid_shift_days(key, subject, max_days)  # type: ignore[union-attr]
    assert got == (schemes.shift_days(key, subject, max_days) if subject.isascii() else None)


@needs_core
@pytest.mark.parametrize("case", GOLDEN["keys"], ids=lambda c: c["key_id"])
def test_the_golden_vectors(case: dict) -> None:  # type: ignore[type-arg]
    pkey = bytes.fromhex(case["subkeys"]["pseudonym"])
    for v in case["pseudonyms"]:
        got = core.deid_pseudonym(pkey, v["kind"], schemes.prefix(v["kind"]),  # type: ignore[union-attr]
                                  v["kind"] in schemes.DIGIT_KINDS, v["value"])
        assert got == (v["pseudonym"] if v["value"].isascii() else None)
    skey = bytes.fromhex(case["subkeys"]["date_shift"])
    for v in case["date_shifts"]:
        got_days = core.deid_shift_days(skey, v["subject"], v["max_shift_days"])  # type: ignore[union-attr]
        assert got_days == (v["days"] if v["subject"].isascii() else None)


@needs_core
def test_the_row_loop_answers_keyed_values_without_python() -> None:
    """Not a silent fallback: ISO dates, pseudonyms and names of an ASCII row are no misses."""
    tx = _tx()
    rows = native.core.DeidRows(",", [(0, 1, True), (1, 2, True), (2, 1, True), (3, 3, False)],  # type: ignore[union-attr]
                                [(4, True, "[PHI:NAME]", "NAME", True)], 0, True, 100)
    rules = [(1, "SUBJECT_ID", "SUBJ", False, False, 0), (2, "", "", False, False, 0),
             (4, "90+", "", False, False, 1937), (0, "", "", False, False, 0)]
    counts = ["pseudonyms", "dates_shifted", "dates_generalized", "birth_years_suppressed"]
    rows.values(tx.pseudonym_key, tx.shift_key, 180, 7, counts, rules, ("NAME", "NAME", False))
    rows.feed("id,visit,dob,note,name\nS1,2023-04-05T10:00Z,1950-02-03,x,Ann Lee\nS2,2023-13-01,1900-01-01,y,Bo Dia\n")
    rows.feed("")
    status, misses, names, python_rows = rows.scan()
    assert status == native_deid.OK and names == [] and python_rows == []
    assert [(n, text) for n, text, _ in misses] == [(3, "x"), (1, "2023-13-01"), (3, "y")]
    moved = (dt.date(2023, 4, 5) + dt.timedelta(days=tx.shift_days("S1"))).isoformat()
    assert [k for k, _, _ in rows.resolve([(2, "x", [], False), (3, "", [], False), (2, "y", [], False)], [])] == [1]
    rows.write([(1, ["P", "Q", "R", "S"])])
    assert rows.take() == f"{tx.pseudonym('SUBJECT_ID', 'S1')},{moved}T10:00Z,1950,x\nP,Q,R,S\n"
    assert dict(rows.counts()) == {"pseudonyms": 1, "dates_shifted": 1, "dates_generalized": 1}
