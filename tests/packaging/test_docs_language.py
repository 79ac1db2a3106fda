"""The user documentation speaks to users: no tracker numbers, no notes about who built what where."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_FOR_USERS = re.compile(r"\bissue[- ]?#?\d+|\bissues? #\d+|\bsessions?\b|\bbuild machines?\b|\bDESIGN\.md\b",
                           re.IGNORECASE)


def test_docs_have_no_tracker_or_build_notes() -> None:
    found = [f"{page.relative_to(ROOT)}:{number}: {line.strip()}"
             for page in PAGES
             for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1)
             if NOT_FOR_USERS.search(line)]
    assert not found, "\n".join(found)


def test_the_check_sees_what_it_looks_for() -> None:
    for text in ("see issue 10", "the second session", "on the build machine", "Issue-4 corpus", "DESIGN.md"):
        assert NOT_FOR_USERS.search(text), text
    assert not NOT_FOR_USERS.search("issuer prefix and Luhn")
