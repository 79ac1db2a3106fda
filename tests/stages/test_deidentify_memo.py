"""deidentify's per-task memos (spans of short cells, date shifts) change speed, never results or counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from stages import _phi
from stages.stage_06_deidentify import SPAN_MEMO_CHARS, DeidentifyConfig, Transformer, replace_word

KEY = b"k" * 32


def _tx(**config: object) -> Transformer:
    return Transformer(KEY, DeidentifyConfig(**config), None, dt.date(2026, 3, 1))  # type: ignore[arg-type]


def test_a_repeated_short_cell_is_scrubbed_and_counted_every_time() -> None:
    tx = _tx()
    cell = "SSN: 234-56-7891"
    first = tx.scrub(cell, "", False, [])
    second = tx.scrub(cell, "", False, [])
    assert first == second == _phi.replace_spans(cell, _phi.find_spans(cell))
    assert tx.counts == {"SSN": 2}


def test_long_cells_are_not_memoized(monkeypatch: pytest.MonkeyPatch) -> None:
    searched: list[str] = []
    find_spans = _phi.find_spans

    def counting(text: str, **kwargs: Any) -> list[_phi.Span]:
        searched.append(text)
        return find_spans(text, **kwargs)

    monkeypatch.setattr(_phi, "find_spans", counting)
    tx = _tx()
    note = "seen today " * (SPAN_MEMO_CHARS // 10) + "SSN: 234-56-7891"
    for _ in range(2):
        assert tx.scrub(note, "", True, []).endswith("[PHI:SSN]")
        assert tx.scrub("E11.9", "", False, []) == "E11.9"
    assert searched == [note, "E11.9", note]


def test_row_identifiers_still_replace_before_spans_with_a_memo() -> None:
    tx = _tx(identifiers="pseudonym")
    idents = [("Maria Gonzalez", "maria gonzalez", _phi.NAME_TOKEN), ("Maria", "maria", _phi.NAME_TOKEN)]
    out = [tx.scrub("call MARIA", "", False, idents) for _ in range(2)]
    assert out[0] == out[1] == "call " + tx.pseudonym("NAME", "Maria")
    assert replace_word("call MARIA", "Maria", "[X]") == ("call [X]", 1)


def test_date_shift_memo_gives_the_keyed_shift() -> None:
    tx, fresh = _tx(max_shift_days=30), _tx(max_shift_days=30)
    shifts = [tx.shift_days("S-001") for _ in range(3)]
    assert shifts == [fresh.shift_days("S-001")] * 3
    assert 1 <= abs(shifts[0]) <= 30
