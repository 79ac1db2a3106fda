"""Sanitize, then truncate: an identifier straddling the cut never shows, not even in part."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.errors import safe_excerpt
from tests.e2e.conftest import rflow

# Filler holds no digit, '@' or '.', so any of those in an excerpt would come from the identifier.
_FILLER = st.text(alphabet="qwxz ", min_size=0, max_size=60)


@st.composite
def _ssn(draw: st.DrawFn) -> str:
    area = draw(st.integers(min_value=101, max_value=665))
    group = draw(st.integers(min_value=10, max_value=99))
    serial = draw(st.integers(min_value=1000, max_value=9999))
    return f"{area}-{group}-{serial}"


@st.composite
def _phone(draw: st.DrawFn) -> str:
    # Assigned area codes and ordinary exchanges: which phone forms the scanner knows is not what
    # this test is about (sanitize-then-cut is).
    area = draw(st.sampled_from(["212", "312", "415", "617", "713", "202", "305", "404", "503", "614"]))
    exchange = draw(st.integers(min_value=200, max_value=989).filter(lambda n: n % 100 != 11 and n != 555))
    line = draw(st.integers(min_value=1000, max_value=9999))
    form = draw(st.sampled_from(["({a}) {e}-{l}", "{a}-{e}-{l}", "{a}.{e}.{l}"]))
    return form.format(a=area, e=exchange, l=line)


@st.composite
def _email(draw: st.DrawFn) -> str:
    local = draw(st.text(alphabet="abcdefghijklmnop", min_size=3, max_size=12))
    host = draw(st.text(alphabet="abcdefghijklmnop", min_size=3, max_size=10))
    tld = draw(st.sampled_from(["org", "com", "net", "edu"]))
    return f"{local}@{host}.{tld}"


@settings(max_examples=300, deadline=None)
@given(prefix=_FILLER, value=st.one_of(_ssn(), _phone()), suffix=_FILLER, cut=st.integers(min_value=1, max_value=90))
def test_no_digit_of_a_numeric_identifier_survives_any_cut(prefix: str, value: str, suffix: str, cut: int) -> None:
    text = f"{prefix} {value} {suffix}"
    out = safe_excerpt(text, cut)
    assert len(out) <= cut
    assert not any(c.isdigit() for c in out), (text, cut, out)


@settings(max_examples=300, deadline=None)
@given(prefix=_FILLER, value=_email(), suffix=_FILLER, cut=st.integers(min_value=1, max_value=90))
def test_no_part_of_an_email_survives_any_cut(prefix: str, value: str, suffix: str, cut: int) -> None:
    out = safe_excerpt(f"{prefix} {value} {suffix}", cut)
    assert "@" not in out and value.split("@")[0] not in out, out


def test_the_cut_is_marked_and_short_texts_are_unchanged() -> None:
    assert safe_excerpt("abc", 10) == "abc"
    assert safe_excerpt("abcdefghij", 5) == "abcd…"
    assert safe_excerpt(12345, 10) == "12345"


def test_unknown_only_step_does_not_show_a_cut_ssn(tmp_path: Path) -> None:
    # 30 characters, then an SSN: a cut at 40 characters used to leave "512-73-489" on stderr.
    step = "q" * 30 + " 512-73-4891"
    proc = rflow("run", "--only", step, "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "--only" in proc.stderr and "Traceback" not in proc.stderr
    assert "512-73" not in proc.stderr + proc.stdout, proc.stderr


def test_unknown_approvals_file_key_does_not_show_a_cut_ssn(tmp_path: Path) -> None:
    key = "qqqqqqqqqqqqqqqqqqqq 512-73-4891"
    approvals = tmp_path / "approvals.json"
    approvals.write_text(json.dumps({"approvals": [{
        "kind": "irb_approval", "reference": "IRB-2026-0142", "expires": "2099-01-01", key: 1}]}))
    proc = rflow("run", "--approvals", str(approvals), "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert proc.returncode in (2, 3), proc.stderr
    assert "512-73" not in proc.stderr + proc.stdout, proc.stderr
    assert "Traceback" not in proc.stderr
