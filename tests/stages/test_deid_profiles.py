"""De-identification profiles: settings that break them (validate, with positions), k-anonymity counts."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.governance.approvals import Approval, approval_problem
from engine.governance.deid_profiles import action_problem, config_violations
from engine.manifest.api import validate_manifest
from stages.stage_06_deidentify.kanon import k_anonymity

ROOT = Path(__file__).resolve().parents[2]
LIVE = (ROOT / "manifests" / "study-live.yaml").read_text()
TODAY = dt.date.today()


def _live_with(settings_text: str) -> str:
    return LIVE.replace("      profile: safe_harbor", settings_text)


def _rf321(text: str) -> list:
    return [d for d in validate_manifest(text, name="live.yaml") if d.code == "RF321"]


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_live_manifest_as_shipped_keeps_its_profile() -> None:
    assert "profile: safe_harbor" in LIVE and not _rf321(LIVE)


def test_breaking_setting_is_reported_at_its_position() -> None:
    text = LIVE.replace("identifiers: drop ", "identifiers: pseudonym ")
    [diag] = _rf321(text)
    assert diag.line == _line_of(text, "identifiers: pseudonym") and diag.col == len("      identifiers: ") + 1
    assert diag.is_error and "breaks profile safe_harbor" in diag.message


def test_dates_shift_under_safe_harbor_but_not_limited_data_set() -> None:
    text = LIVE.replace("dates: year ", "dates: shift ")
    [diag] = _rf321(text)
    assert diag.line == _line_of(text, "dates: shift") and "dates: shift" in diag.message
    assert not _rf321(text.replace("profile: safe_harbor", "profile: limited_data_set"))


def test_keeping_dates_or_zips_is_reported_at_the_setting() -> None:
    text = LIVE.replace("dates: year ", "dates: keep ").replace(
        "      profile: safe_harbor", "      profile: safe_harbor\n      geography: keep")
    found = {d.line: d for d in _rf321(text)}
    assert set(found) == {_line_of(text, "dates: keep"), _line_of(text, "geography: keep")}
    assert "Limited Data Set" in found[_line_of(text, "geography: keep")].hint
    assert not _rf321(text.replace("profile: safe_harbor", "profile: limited_data_set"))
    unprofiled = text.replace("      profile: safe_harbor\n", "")
    assert {d.line for d in _rf321(unprofiled)} == {_line_of(unprofiled, "dates: keep"),
                                                    _line_of(unprofiled, "geography: keep")}


def test_expert_determination_needs_quasi_identifiers_at_the_profile() -> None:
    text = _live_with("      profile: expert_determination")
    [diag] = _rf321(text)
    assert diag.line == _line_of(text, "profile: expert_determination")


def test_column_override_is_reported_at_the_column() -> None:
    text = _live_with("      profile: safe_harbor\n      columns: {site: keep, zip: zip3}")
    [diag] = _rf321(text)
    line = _line_of(text, "columns: {site: keep")
    assert diag.line == line and diag.col == text.splitlines()[line - 1].index("keep") + 1


ACTIONS = st.sampled_from(["drop", "pseudonym", "subject", "year", "shift", "dob", "zip3", "address", "age",
                           "scrub", "keep"])


@given(dates=st.sampled_from(["year", "shift", "keep"]), identifiers=st.sampled_from(["drop", "pseudonym"]),
       geography=st.sampled_from(["zip3", "keep"]),
       columns=st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), ACTIONS, max_size=4))
def test_safe_harbor_refuses_every_shift_pseudonym_and_keep(dates: str, identifiers: str, geography: str,
                                                            columns: dict) -> None:
    found = {v.path for v in config_violations(
        {"profile": "safe_harbor", "dates": dates, "identifiers": identifiers, "geography": geography,
         "columns": columns})}
    expected = {("dates",)} if dates in ("shift", "keep") else set()
    expected |= {("geography",)} if geography == "keep" else set()
    expected |= {("identifiers",)} if identifiers == "pseudonym" else set()
    expected |= {("columns", c) for c, a in columns.items() if a in ("shift", "pseudonym", "keep")}
    assert found == expected


@given(action=ACTIONS, kind=st.sampled_from(["DATE", "ZIP", "NAME", "SSN", "AGE", "SUBJECT_ID", "FREE_TEXT"]),
       allowed=st.sets(ACTIONS))
def test_expert_determination_allows_exactly_its_transforms(action: str, kind: str, allowed: set) -> None:
    problem = action_problem("expert_determination", action, kind, allowed)
    assert (problem is None) == (action in allowed or action == "drop")


@given(days=st.integers(-400, 400), kind=st.sampled_from(["irb_approval", "data_use_agreement"]),
       recipient=st.sampled_from([None, "Example University"]))
def test_one_validity_rule(days: int, kind: str, recipient: str | None) -> None:
    approval = Approval(kind, "REF-1", TODAY + dt.timedelta(days=days), recipient=recipient)
    problem = approval_problem(approval, today=TODAY)
    if kind == "data_use_agreement" and recipient is None:
        assert problem is not None and problem[0] == "invalid" and "recipient" in problem[1]
    elif days < 0:
        assert problem == ("expired", f"the '{kind}' approval expired {-days} day(s) ago")
    else:
        assert problem is None
    assert approval.is_expired(TODAY) == (days < 0)
    assert approval_problem(Approval(kind, "REF-1", None), require_expiry=True) is not None


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(1, 9), min_size=1, max_size=25), k=st.integers(2, 6), seed=st.integers(0, 99))
def test_k_anonymity_counts_generated_classes(tmp_path_factory, sizes: list[int], k: int, seed: int) -> None:
    path = tmp_path_factory.mktemp("kanon") / "copy.csv"
    rows = [[f"{40 + n % 50}", "FM"[n % 2], f"{1000 + n}", str(i)] for n, size in enumerate(sizes) for i in range(size)]
    random.Random(seed).shuffle(rows)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["age", "sex", "zip", "visit"])
        writer.writerows(rows)
    result = k_anonymity(path, ["age", "sex", "zip", "gone"], k, 1000)
    assert result["classes"] == len(sizes) and result["rows"] == sum(sizes)
    assert result["classes_below_k"] == sum(1 for s in sizes if s < k)
    assert result["rows_in_classes_below_k"] == sum(s for s in sizes if s < k)
    assert result["smallest_class"] == min(sizes) and result["dropped"] == ["gone"]
    assert result["satisfied"] == all(s >= k for s in sizes)
    assert not any(str(v) in {r[2] for r in rows} for v in result.values() if isinstance(v, int) and v > 99)
