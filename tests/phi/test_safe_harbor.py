"""Safe Harbor, item by item: a corpus case for every identifier A-R, and the table in docs/phi.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.phi import find_spans, load_registry, sanitize

ROOT = Path(__file__).resolve().parents[2]
LETTERS = "ABCDEFGHIJKLMNOPQR"

# One case per letter: text holding that identifier, and the value that must not survive.
CASES = {
    "A": ("Seen by Dr. Adaeze Okonkwo-Berg today", "Okonkwo"),
    "B": ("Lives at 41 Larkspur Lane, Fairhaven, MA 02719", "Larkspur"),
    "C": ("admitted on the fourth of March, discharged 2021-03-09", "fourth of March"),
    "D": ("call her on (555) 010-4477 after six", "010-4477"),
    "E": ("Fax: 212.555.0190 attn records", "555.0190"),
    "F": ("wrote from k.mbeki [at] mailhost [dot] org", "mailhost"),
    "G": ("SSN 536-22-8714 on file", "536-22-8714"),
    "H": ("chart no. on file: M7730012", "M7730012"),
    "I": ("Health plan beneficiary number KTW-55-10293", "KTW-55-10293"),
    "J": ("acct #: 0049-7731-2207 billed", "0049-7731-2207"),
    "K": ("Driver's licence number is D4471-88231", "D4471-88231"),
    "L": ("car VIN 1HGCM82633A004352 in the lot", "1HGCM82633A004352"),
    "M": ("pacemaker serial: PM-88121-Q", "PM-88121-Q"),
    "N": ("portal https://mychart.example.org/p/8812 opened", "mychart.example.org"),
    "O": ("login from 203.0.113.77 flagged", "203.0.113.77"),
    "P": ("fingerprint template FPT-00912-X enrolled", "FPT-00912-X"),
    "Q": ("wound photo: okonkwo_leg_0412.jpg attached", "okonkwo_leg_0412.jpg"),
    "R": ("passport no. X12345678 copied", "X12345678"),
}


def _letters(category: str) -> set[str]:
    return set(load_registry().category(category).letter.split(","))


def test_every_letter_has_a_category_and_a_case() -> None:
    covered = set().union(*(_letters(c.name) for c in load_registry().categories))
    assert covered == set(LETTERS)
    assert set(CASES) == set(LETTERS)


@pytest.mark.parametrize("letter", list(LETTERS))
def test_safe_harbor_identifier_is_found_and_removed(letter: str) -> None:
    text, value = CASES[letter]
    found = [s for s in find_spans(text, tier="guard") if letter in _letters(s.category)]
    assert found, f"{letter}: no span of a category for this identifier"
    assert value not in sanitize(text)


def test_docs_table_has_a_row_per_letter() -> None:
    doc = (ROOT / "docs" / "phi.md").read_text(encoding="utf-8")
    table = doc[doc.index("## Safe Harbor identifiers") :]
    rows = re.findall(r"^\| ([A-R]) \|", table, flags=re.MULTILINE)
    assert rows == list(LETTERS)
