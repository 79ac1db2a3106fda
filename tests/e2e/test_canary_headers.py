"""Canary: PHI in a CSV with no header row, in a column header or in the file name shows nowhere.

A headerless file's first row must not become column names (in report.json, the findings, the
summary or the de-identified header); a name, SSN or e-mail address used as a column header, or
an export named ``Family_Given_SSN.csv``, must not appear in any output, the de-identified copy
included. Same corpus, CLI runs and reading of every output as test_canary_unseen.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.test_canary_unseen import CANARY, check


@pytest.mark.parametrize("kind", ["headerless", "header", "file_name"])
@CANARY
@given(seed=st.integers(0, 2**32 - 1))
def test_no_planted_header_or_file_name_in_any_output(kind: str, seed: int) -> None:
    check(kind, seed)
