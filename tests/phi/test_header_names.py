"""A column header that is a person's name, in a file that has a header row, is shown as a token.

Names come from many languages (bench/phi_unseen_vocab.py, written apart from the rules) or are
built from random syllables, and are written as exports write them: ``Given Family``,
``Given_Family``, ``FAMILY, Given``, ``Family, Given``, and with the comma all in capitals or all in
lower case. Read
whole, such a header is a name (:func:`engine.phi.labels.label_category`); through a real
``rflow run`` of the DEMO pipeline no part of it appears in any output: report.json, the findings,
the summary, the de-identified copy's header, the HTML report, stdout and stderr.
"""

from __future__ import annotations

import csv
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from engine.phi.cues import english
from engine.phi.labels import label_category, safe_column_names
from engine.phi.names import dictionaries

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from phi_unseen import Outputs, run_demo  # noqa: E402
from phi_unseen_vocab import CODAS, FAMILY, GIVEN, NUCLEI, ONSETS  # noqa: E402


@st.composite
def invented(draw: st.DrawFn) -> str:
    """A capitalised word of two or three random syllables, one no dictionary knows."""
    parts = [draw(st.sampled_from(ONSETS)) + draw(st.sampled_from(NUCLEI)) + draw(st.sampled_from(CODAS))
             for _ in range(draw(st.integers(2, 3)))]
    word = "".join(parts).capitalize()
    assume(not english(word))
    return word


given_names = st.one_of(st.sampled_from(GIVEN), invented())
family_names = st.one_of(st.sampled_from([f for f in FAMILY if len(f) >= 3 and not english(f)]), invented())
FORMS = {
    "Given Family": lambda g, f: f"{g} {f}",
    "FAMILY, Given": lambda g, f: f"{f.upper()}, {g}",
    "Family, Given": lambda g, f: f"{f}, {g}",
    "FAMILY, GIVEN": lambda g, f: f"{f.upper()}, {g.upper()}",
    "family, given": lambda g, f: f"{f.lower()}, {g.lower()}",
    "Given_Family": lambda g, f: f"{g}_{f}",
}


@settings(max_examples=300, deadline=None)
@given(g=given_names, f=family_names, form=st.sampled_from(sorted(FORMS)))
def test_a_name_written_as_a_header_reads_as_a_name(g: str, f: str, form: str) -> None:
    assume(form != "family, given" or _readable_lower(g, f))
    header = FORMS[form](g, f)
    assert label_category(header) == "NAME", header
    assert safe_column_names(["record_id", header]) == ["record_id", "column_2"]


@pytest.mark.parametrize("header", [
    "heart_rate", "beta_blocker", "glasgow_coma_scale", "max_dose", "grace_period", "dose_mg", "anti_xa",
    "ldl_chol", "crp_level", "visit_date", "patient_id", "Heart Rate", "SYSTOLIC_BP", "med_rec", "alt_ast",
])  # fmt: skip
def test_clinical_headers_in_lower_case_or_capitals_stay(header: str) -> None:
    # One case without the registry's comma is a header ("aaaa_bbbb" as much as "heart_rate"); a
    # word without a vowel is an abbreviation.
    assert label_category(header) is None, header


def _readable_lower(g: str, f: str) -> bool:
    """In lower case a surname of three letters or more with a vowel, and a given name no dictionary
    knows (the known limit: "xu, ximena" and "park, grace" are not read as names)."""
    common = dictionaries().common
    return len(f) >= 3 and " " not in f and not english(g) and g.upper() not in common


CANARY = settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                  suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


@CANARY
@given(name=st.tuples(given_names, family_names, st.sampled_from(sorted(FORMS))))
def test_no_part_of_a_name_header_reaches_any_output(name: tuple[str, str, str]) -> None:
    # One name among ordinary headers: the file is read as having a header row (several PHI
    # cells in the first row make it read as headerless, a case test_canary_headers covers).
    assume(name[2] != "family, given" or _readable_lower(name[0], name[1]))
    names = [name]
    headers = ["record_id", "visit_date", *(FORMS[form](g, f) for g, f, form in names), "age"]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "export.csv"
        with src.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(headers)
            for i in range(30):
                values = [f"{(i * 7 + n) % 13}.{n}" for n in range(len(names))]
                w.writerow([f"R{i:04d}", f"2024-03-{i % 28 + 1:02d}", *values, 20 + i])
        run = run_demo(src, Path(tmp) / "run")
        assert run["exit_code"] == 0, run["stderr"][-2000:]
        out = Outputs(run, with_copy=True)
        with (Path(tmp) / "run" / "deidentified" / "dataset.csv").open(encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh))
    assert header[0] == "record_id" and header[-1] == "age", header
    left = [f"{g} {f}" for g, f, _ in names for part in (g, f) if part.casefold() in out.tokens]
    assert not left, f"name header parts in the run's outputs: {left}"
