"""Hard negatives in notes stay as written through the DEMO pipeline's de-identification.

Eponymous diseases and signs, drug names, scores, vitals, lab values, codes, doses and times look
like names, dates or numbers; hypothesis draws notes made of them (tests/phi/unseen_support.py)
and at least 95% must come out of the de-identified copy unchanged.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from unseen_support import RUNS, deidentify, hard_negatives


@RUNS
@given(st.lists(hard_negatives, min_size=8, max_size=20))
def test_hard_negatives_are_kept(notes: list[list[str]]) -> None:
    header = ["record_id", "Clinical note"]
    rows = [[f"R{i:07d}", " ".join(n[0].upper() + n[1:] + "." for n in phrases)] for i, phrases in enumerate(notes)]
    out = deidentify(header, rows)
    lost = [p for phrases, row in zip(notes, out[1:], strict=True) for p in phrases if p[1:] not in row[1]]
    total = sum(len(p) for p in notes)
    assert len(lost) <= 0.05 * total, f"{len(lost)} of {total} hard negatives changed: {lost[:8]}"
