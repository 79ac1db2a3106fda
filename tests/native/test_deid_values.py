"""deidentify's per-value answers (date shifts, pseudonyms, spans of new text) agree on every path.

The core's row loop computes a new ASCII cell's keyed pseudonym, shifted ISO date and year itself
(native/src/deid_values.rs; value by value in tests/native/test_deid_keyed.py) and hands Python
the rest (dates in a dictionary's format, impossible days, shifts past year 1 or 9999, spans of
text cells not seen before, text outside ASCII); this requires the same copies either way on
awkward inputs. Generated tables hold dates in many written forms (ISO dates of any year from
0000 to 9999 with times, zones and any tail the date pattern takes or does not, impossible days,
leap days, slashes, day-month-year words, digits of other
scripts, padded and quoted cells), identifier values outside ASCII (accents in both normal forms,
CJK, quotes, delimiters, line breaks, edge spaces) and free text repeating them. Each table is
de-identified by ``deidentify_part`` with the core's row loop against ``RFLOW_PHI_CORE_DEID_ROWS=0``
for several partition and block sizes, and by the whole stage for several partition sizes and worker
counts against the Python row loop and against the all-Python path: identical copies, counts and
rescans, or the same refusal.
"""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi import native_deid
from stages.dictionary import load_dictionary
from stages.stage_06_deidentify.config import DeidentifyConfig
from tests.native.stage_runs import deidentified
from tests.native.test_deid_keyed import iso_date
from tests.native.test_deid_rows import core_and_reference, needs_core

HEADER = ["patient_id", "patient_name", "visit_date", "dob", "email", "notes"]
DATES = ["2023-04-05", "2023-04-05T10:11:12", "2023-04-05T10:11:12Z", "2023-04-05 10:11", "2023-04-05T10:11+01:00",
         "2023-04-05T10,5", "2023-04-05 AB", "2023-04-05T", " 2023-04-05 ", "2023-04-05\t", "2024-02-29", "2023-02-29",
         "2023-13-01", "2023-00-10", "0001-01-03", "9999-12-30", "1900-01-01", "2023-4-5", "20230405", "04/05/2023",
         "4/5/23", "5 Apr 2023", "April 5, 2023", "05.04.2023", "2023/04/05", "\uff12\uff10\uff12\uff13-04-05",
         "\u0662\u0660\u0662\u0663-04-05", "2023-04-05\u00a0", "2023\u201004\u201005", "", "unknown", "1937",
         "seen 2023-04-05", "2023-04-05, 2023-05-06"]
NAMES = ["Ann Lee", "Zo\u00eb \u00c5gren", unicodedata.normalize("NFD", "Zo\u00eb \u00c5gren"), "\u674e\u5c0f\u9f99",
         "O'Brien", 'Ann "Bo" Lee', "Lee, Ann", " Ann Lee ", "ANN LEE", "Ann\nLee", "\u0130lker \u015eahin", "\u00df",
         "Stra\u00dfe", "x", ""]
SUBJECTS = ["S1", "s1", "S\u00e91", "S 1", "", "\u00c5", "0001"]
EMAILS = ["ann@x.org", "m\u00fcller@klinik.de", "a.b+c@ex-ample.co.uk", "not an email", ""]


def _date(data: st.DataObject) -> str:
    """A written date of the list above, or a generated ISO date (any year 0000-9999, impossible days, any tail)."""
    return data.draw(st.one_of(st.sampled_from(DATES), st.builds(iso_date, st.just(data))))


def _table(data: st.DataObject) -> bytes:
    rows: list[list[str]] = []
    for _ in range(data.draw(st.integers(0, 10))):
        name = data.draw(st.sampled_from(NAMES))
        email = data.draw(st.sampled_from(EMAILS))
        date = _date(data)
        words = [name, name.upper(), name.split(" ")[-1], email, date, _date(data), "seen", "\u00e9"]
        note = " ".join(data.draw(st.lists(st.sampled_from(words), max_size=5)))
        rows.append([data.draw(st.sampled_from(SUBJECTS)), name, date, _date(data), email, note])
    buf = io.StringIO()
    quoting = data.draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    csv.writer(buf, quoting=quoting, lineterminator=data.draw(st.sampled_from(["\n", "\r\n"]))).writerows(
        [HEADER, *rows])
    return buf.getvalue().encode("utf-8")


CONFIGS = [
    DeidentifyConfig(identifiers="pseudonym", dates="shift", subject_column="patient_id"),
    DeidentifyConfig(identifiers="pseudonym", dates="shift", subject_column="patient_id", max_shift_days=3),
    DeidentifyConfig(identifiers="pseudonym", dates="shift", subject_column="patient_id", max_shift_days=3650),
    DeidentifyConfig(identifiers="pseudonym", dates="year"),
    DeidentifyConfig(dates="shift"),
    DeidentifyConfig(dates="shift", max_shift_days=3650, as_of="1990"),
]


@needs_core
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data(), config=st.sampled_from(CONFIGS), partition=st.sampled_from([1 << 30, 150, 500]),
       block=st.sampled_from([1, 5, 64, 1 << 20]))
def test_shifted_dates_and_pseudonyms_agree_with_the_reference(tmp_path_factory: pytest.TempPathFactory,
                                                               data: st.DataObject, config: DeidentifyConfig,
                                                               partition: int, block: int) -> None:
    tmp = tmp_path_factory.mktemp("values")
    path = tmp / "in.csv"
    path.write_bytes(_table(data))
    core_and_reference(path, tmp, config, None, partition, block)


@needs_core
@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data(), run=st.sampled_from([(1 << 30, 1), (256, 1), (256, 2), (1024, 2)]))
def test_the_stage_writes_the_same_shifted_and_pseudonymised_copy(tmp_path_factory: pytest.TempPathFactory,
                                                                  data: st.DataObject, run: tuple[int, int]) -> None:
    tmp = tmp_path_factory.mktemp("stage")
    path = tmp / "in.csv"
    table = _table(data)
    path.write_bytes(table if table.count(b"\n") > 1 else table + b"S1,Ann Lee,2023-04-05,1950-02-03,ann@x.org,Lee\n")
    configs = {"deidentify": {"identifiers": "pseudonym", "dates": "shift", "subject_column": "patient_id"}}
    partition_bytes, workers = run
    core = deidentified(path, tmp / "core", {native_deid.ENV: "1"}, partition_bytes, workers, configs)
    rows = deidentified(path, tmp / "rows", {native_deid.ROWS_ENV: "0"}, partition_bytes, workers, configs)
    ref = deidentified(path, tmp / "ref", {native_deid.ENV: "0"}, partition_bytes, workers, configs)
    assert core == rows == ref


DICTIONARY = """name: values
version: "1"
columns:
  patient_id: {type: string, phi: SUBJECT_ID}
  patient_name: {type: string, phi: NAME}
  visit_date: {type: date, date_format: "%m/%d/%Y", phi: DATE}
  dob: {type: date, date_format: "%d.%m.%Y", phi: DATE}
  email: {type: string, phi: EMAIL}
  notes: {type: string}
"""


@needs_core
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data(), dates=st.sampled_from(["shift", "year"]), partition=st.sampled_from([1 << 30, 200]),
       block=st.sampled_from([1, 64, 1 << 20]))
def test_dates_in_the_dictionary_format_agree_with_the_reference(tmp_path_factory: pytest.TempPathFactory,
                                                                 data: st.DataObject, dates: str, partition: int,
                                                                 block: int) -> None:
    """Columns whose dictionary gives a strptime format (shifted and written back in that format; 31.12.9999
    shifted forward is read as unparsed)."""
    tmp = tmp_path_factory.mktemp("dictionary")
    (tmp / "dictionary.yaml").write_text(DICTIONARY, encoding="utf-8")
    dictionary = load_dictionary(str(tmp / "dictionary.yaml"), allowed_roots=[tmp])
    config = DeidentifyConfig(dictionary=str(tmp / "dictionary.yaml"), identifiers="pseudonym", dates=dates,
                              subject_column="patient_id")
    path = tmp / "in.csv"
    table = _table(data).decode("utf-8")
    for day in ("04/05/2023", "02/29/2024", "02/30/2023", "05.04.2023", "31.12.9999", "1/2/2023", "2023-04-05"):
        table += f"S1,Ann Lee,{day},{day},ann@x.org,seen {day}\n"
    path.write_bytes(table.encode("utf-8"))
    core_and_reference(path, tmp, config, dictionary, partition, block)
