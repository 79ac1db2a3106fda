"""IBANs written without a label: found by their structure (the country's length and the mod-97
check digits), not by the word before them; codes of the same shape that fail the check are left.

Checked where a user meets it: ``rflow phi scan`` on both regex paths (identical findings) and the
output guard (:func:`engine.phi.sanitize`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phi_values import iban, iban_number
from test_unseen_forms import cells, scan_both, spans_of

from engine.phi import sanitize
from engine.phi.validators import iban as iban_valid

UNLABELLED = [
    "Überweisung auf DE89 3704 0044 0532 0130 00 erfolgt",
    "paid to GB82WEST12345698765432 today",
    "virement FR14 2004 1010 0505 0001 3M02 606 reçu",
    "NO9386011117947",
]


@pytest.mark.parametrize("text", UNLABELLED)
def test_an_unlabelled_iban_is_one_account(text: str) -> None:
    (found,) = spans_of(text, "ACCOUNT")
    assert iban_valid(found)
    assert sanitize(text) == text.replace(found, "[PHI:ACCOUNT]")


@settings(max_examples=150, deadline=None)
@given(value=iban, before=st.sampled_from(["", "to ", "an ", "(", "; "]))
def test_any_valid_iban_is_found_whole(value: str, before: str) -> None:
    assert spans_of(f"{before}{value} ok", "ACCOUNT") == [value]


@settings(max_examples=100, deadline=None)
@given(value=iban, label=st.sampled_from(["IBAN: ", "Konto ", "account "]))
def test_a_labelled_iban_is_still_one_account(value: str, label: str) -> None:
    (found,) = spans_of(f"{label}{value} ok", "ACCOUNT")
    # a Norwegian one after a label reads as 'Konto no.' and its number (docs/phi.md, limits)
    assert found == value or (value.startswith("NO") and value.endswith(found))


@settings(max_examples=150, deadline=None)
@given(value=iban, where=st.integers(4, 30), digit=st.integers(1, 9))
def test_a_code_failing_mod_97_is_not_an_account(value: str, where: int, digit: int) -> None:
    # one character changed: mod 97 detects every single substitution
    i = min(where, len(value) - 1)
    if not value[i].isdigit():
        return
    bad = value[:i] + str((int(value[i]) + digit) % 10) + value[i + 1 :]
    assert not iban_valid(bad)
    assert spans_of(f"ref {bad} ok", "ACCOUNT") == []


def test_ibans_through_the_cli(tmp_path: Path) -> None:
    good = iban_number("DE", "unseen", grouped=False)
    notes = [*UNLABELLED, f"IBAN: {good}", "ref DE89 3704 0044 0532 0130 01 and AB12CDEF34567890123",
             "batch XK0512345678901234567 done"]  # fmt: skip
    found = scan_both(cells(tmp_path, notes))
    assert [(f["row"], f["category"]) for f in found] == [(1, "ACCOUNT"), (2, "ACCOUNT"), (3, "ACCOUNT"),
                                                         (4, "ACCOUNT"), (5, "ACCOUNT")]  # fmt: skip
    # written compact or in groups, one IBAN has one digest
    spaced = scan_both(cells(tmp_path, ["DE89 3704 0044 0532 0130 00", "IBAN DE89370400440532013000"]))
    assert len({f["digest"] for f in spaced}) == 1 and len(spaced) == 2
