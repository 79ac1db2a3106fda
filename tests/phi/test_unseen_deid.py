"""PHI in forms the rules were not written from is gone from the DEMO pipeline's de-identified copy.

Per case (phones the NANP plan rejects, foreign numbers, Unicode tricks, alphanumeric labelled
identifiers, glued labels, written dates, short 90+ ages, names after cues, places, obfuscated
e-mails, photo file names and biometric template ids), hypothesis draws values and cue phrases
(tests/phi/unseen_strategies.py), writes them into a free-text column and, where the case has
one, into an identifier column under a usual header; the real DEMO pipeline runs on the file, and
no part of any value may be readable in the de-identified copy.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from unseen_support import CASES, RUNS, Item, deidentify

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from phi_corpus_unseen import Label  # noqa: E402
from phi_unseen import survives  # noqa: E402


def _label(item: Item) -> Label:
    return Label("", 0, 0, "", "note", item.category, "", "", item.value, list(item.parts))


def _left(items: list[Item], rows: list[list[str]], out: list[list[str]], col: int, where: str) -> list[str]:
    """Planted values still readable in column ``col`` of the copy (the whole row if columns moved)."""
    assert len(out) == len(rows) + 1, "the de-identified copy has a different number of rows"
    left = []
    for item, before, after in zip(items, rows, out[1:], strict=True):
        cell = after[col] if len(after) == len(before) else " | ".join(after)
        if survives(_label(item), cell, before[col]):
            left.append(f"{where}: {item.category} {item.value!r} -> {cell[:120]!r}")
    return left


@pytest.mark.parametrize("case", sorted(CASES))
@RUNS
@given(data=st.data())
def test_planted_values_leave_no_trace(case: str, data: st.DataObject) -> None:
    items = data.draw(st.lists(CASES[case], min_size=8, max_size=20), label="notes")
    headers = sorted({h for item in items for h in item.headers})
    column = data.draw(st.sampled_from(headers), label="header") if headers else None
    # The column's values are drawn apart from the notes': a note value that is also in its row's
    # identifier column would be removed as that row's identifier, not found as what it is.
    cells = data.draw(st.lists(CASES[case], min_size=len(items), max_size=len(items)), label="column") if column else []
    header = ["record_id", *([column] if column else []), "Clinical note"]
    rows = [[f"R{i:07d}", *([cells[i].value if column in cells[i].headers else "n/a"] if column else []),
             f"Seen in clinic. {item.sentence} Vitals stable."] for i, item in enumerate(items)]  # fmt: skip
    out = deidentify(header, rows)
    left = _left(items, rows, out, len(header) - 1, "note")
    if column:
        keep = [i for i, it in enumerate(cells) if column in it.headers]
        left += _left([cells[i] for i in keep], [rows[i] for i in keep], [out[0], *(out[i + 1] for i in keep)],
                      1, f"column {column!r}")  # fmt: skip
    assert not left, f"{len(left)} planted {case} value(s) of {len(items)} rows left:\n" + "\n".join(left[:8])
