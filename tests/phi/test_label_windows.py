"""Labelled identifiers a few words after their label, by class: any words between, any id shape.

The words between a label and its value are random lower-case letters (never the registry's
filler list), the values random letters and digits in shapes real exports use (a letter prefix,
dashes, slashes, a capital prefix and a space), the punctuation one of the marks clerks type. A
label is introduced in one of its usual wordings, written here independently of the registry.
Hard negatives keep the label words in clinical sentences whose numbers are measurements.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi.normalize import normalize
from engine.phi.spans import find_spans, replace_spans

FAST = settings(max_examples=150, deadline=None)

# How people introduce each identifier (written for this test, not copied from the registry).
WORDINGS = {
    "HEALTH_PLAN": ["Member ID", "insurance number", "Medicaid no", "policy #", "subscriber id"],
    "ACCOUNT": ["account number", "acct no.", "billing account", "registration", "enrolment number"],
    "LICENSE": ["driver's licence", "license no", "DEA #", "certificate number", "permit no"],
    "DEVICE": ["serial number", "implant serial", "device ID", "transmitter id", "S/N"],
    "MRN": ["MRN", "medical record number", "chart no", "patient ID", "hospital number"],
}
gap_word = st.text(alphabet=string.ascii_lowercase, min_size=2, max_size=9)
punct = st.sampled_from(["", ",", " (", ":", " -"])
letters = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=1, max_size=3)
digit_run = st.text(alphabet=string.digits, min_size=4, max_size=9)
ident = st.one_of(
    st.builds(str.__add__, letters, digit_run),
    st.builds(lambda a, b, c: f"{a}-{b}-{c}", letters, digit_run, digit_run),
    st.builds(lambda a, b: f"{a}/{b}", letters, digit_run),
    st.builds(lambda a, b: f"{a}{b}", digit_run, letters),
    st.builds(lambda a, b: f"{a.ljust(2, 'X')} {b}", letters, digit_run),
)


@st.composite
def labelled(draw: st.DrawFn) -> tuple[str, str]:
    wording = draw(st.sampled_from(WORDINGS[draw(st.sampled_from(sorted(WORDINGS)))]))
    words = draw(st.lists(gap_word, max_size=4))
    mark = draw(punct)
    gap = " ".join(words)
    if mark == " (" and gap:
        gap = f"({gap})"
    elif gap:
        gap = f"{mark} {gap}" if mark else gap
    value = draw(ident)
    sep = draw(st.sampled_from([" ", ": ", " # ", ", "]))
    return f"Noted today. {wording} {gap}{sep}{value}. Plan unchanged.".replace("  ", " "), value


@FAST
@given(labelled())
def test_a_labelled_value_a_few_random_words_after_its_label_is_found(case: tuple[str, str]) -> None:
    text, value = case
    out = normalize(replace_spans(text, find_spans(text)))
    assert value not in out, out


measure = st.builds(lambda n, d: f"{n}.{d}" if d else str(n), st.integers(1, 400), st.sampled_from(["", "5", "25"]))
unit = st.sampled_from(["mg", "mL", "mmHg", "units", "kg", "%", "mm"])
CLINICAL = [
    "serial troponins every {n} hours, last {m} {u}",
    "serial blood pressures {r} and {r2}",
    "account was taken of the {m} {u} dose",
    "iris and pupils reactive, {m}{u}",
    "chart review of admissions from {y}",
    "contact precautions since {y}",
    "policy updated in {y} for the {m} {u} vials",
    "registration desk opens at {m} {u}",
]


@FAST
@given(st.sampled_from(CLINICAL), st.integers(1, 12), measure, unit,
       st.builds(lambda a, b: f"{a}/{b}", st.integers(60, 220), st.integers(30, 130)),
       st.builds(lambda a, b: f"{a}/{b}", st.integers(60, 220), st.integers(30, 130)),
       st.integers(1950, 2030))  # fmt: skip
def test_label_words_in_clinical_sentences_keep_their_measurements(
    template: str, n: int, m: str, u: str, r: str, r2: str, y: int
) -> None:
    text = template.format(n=n, m=m, u=u, r=r, r2=r2, y=y)
    assert find_spans(text) == [], text
