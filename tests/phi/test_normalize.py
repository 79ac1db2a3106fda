"""Unicode disguises of PHI: found by the scanner, the sanitizer and the span finder, on the original bytes.

Values are built from random digits; the disguises come from Unicode's own classes (format
characters, space separators, dash punctuation, fullwidth and mathematical digits), not from
what the patterns accept.
"""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi import contains_phi, find_spans, sanitize, scan_text
from engine.phi.normalize import normalize, normalize_bytes_with_map, normalize_with_map

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INVISIBLE = [c for c in map(chr, range(0x80, 0x3000)) if unicodedata.category(c) == "Cf"] + ["\ufeff"]
ODD_SPACES = [c for c in map(chr, range(0x80, 0x3100)) if unicodedata.category(c) == "Zs"]
DASHES = [c for c in map(chr, range(0x80, 0xFF10)) if unicodedata.category(c) == "Pd"] + ["\u2212"]
FULLWIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
MATH_BOLD = {str(d): chr(0x1D7CE + d) for d in range(10)}


@st.composite
def disguised(draw: st.DrawFn, plain: str) -> str:
    """``plain`` with digits, spaces and dashes swapped for look-alikes and invisible characters inserted."""
    digits = draw(st.sampled_from([{}, FULLWIDTH, MATH_BOLD]))
    out: list[str] = []
    for ch in plain:
        if ch.isdigit() and digits and draw(st.booleans()):
            ch = digits[ch]
        elif ch == " ":
            ch = draw(st.sampled_from([" ", *ODD_SPACES]))
        elif ch == "-":
            ch = draw(st.sampled_from(["-", *DASHES]))
        out.append(ch)
        if draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(INVISIBLE)))
    return "".join(out).rstrip("".join(INVISIBLE))


def _ssn(a: int, g: int, s: int) -> str:
    return f"{a:03d}-{g:02d}-{s:04d}"


ssn_plain = st.builds(_ssn, st.integers(1, 665), st.integers(1, 99), st.integers(1, 9999))
phone_plain = st.builds(
    lambda a, b, c: f"({a}) {b}-{c:04d}", st.integers(201, 989), st.integers(201, 989), st.integers(0, 9999)
).filter(lambda p: "11)" not in p and p[2] != "9")
email_plain = st.builds(
    lambda u, h: f"{u}@{h}.org",
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10),
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10),
)
cases = st.one_of(
    ssn_plain.map(lambda v: ("SSN", "social security number ", v)),
    phone_plain.map(lambda v: ("PHONE", "call me at ", v)),
    email_plain.map(lambda v: ("EMAIL", "write to ", v)),
).flatmap(lambda c: disguised(c[2]).map(lambda d: (c[0], c[1], d)))


@FAST
@given(cases)
def test_disguised_values_are_found_on_their_original_span(case: tuple[str, str, str]) -> None:
    category, prefix, value = case
    text = f"{prefix}{value} thanks"
    spans = [s for s in find_spans(text) if s.category == category]
    assert spans, "not found"
    span = spans[0]
    assert span.start == len(prefix)
    assert span.end == len(prefix) + len(value.rstrip())
    clean = sanitize(text)
    assert f"[PHI:{category}]" in clean and not contains_phi(clean)
    assert not any(ch.isdigit() for ch in clean) or category == "EMAIL"
    found = [f for f in scan_text(text) if f.category == category]
    raw = text.encode()
    assert found and found[0].offset == len(prefix.encode())
    assert raw[found[0].offset : found[0].offset + found[0].length].decode() == value.rstrip()


@FAST
@given(ssn_plain, st.data())
def test_digest_of_a_disguised_value_equals_the_plain_one(plain: str, data: st.DataObject) -> None:
    disguise = data.draw(disguised(plain))
    (a,) = list(scan_text(f"ssn {plain}"))
    (b,) = list(scan_text(f"ssn {disguise}"))
    assert a.digest == b.digest


@FAST
@given(st.text(max_size=80))
def test_the_map_points_every_normalized_piece_at_the_original_text(text: str) -> None:
    normalized, omap = normalize_with_map(text)
    assert normalized == normalize(text)
    assert normalized.isascii() or any(not c.isascii() for c in normalized)
    for i in range(len(normalized) + 1):
        start, end = omap.start(i), omap.end(i)
        assert 0 <= end <= len(text) and 0 <= start <= len(text)
    # the whole normalized text maps to the whole original one, minus invisible edges
    if normalized:
        s, e = omap.span(0, len(normalized))
        assert normalize(text[s:e]) == normalized


@FAST
@given(st.text(max_size=80))
def test_bytes_and_str_normalize_alike(text: str) -> None:
    raw = text.encode("utf-8", "surrogatepass")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return
    normalized, omap = normalize_bytes_with_map(raw)
    assert normalized == normalize(text).encode("utf-8")
    if normalized:
        s, e = omap.span(0, len(normalized))
        assert normalize(raw[s:e].decode("utf-8")).encode() == normalized


def test_ascii_is_returned_untouched() -> None:
    text = "MRN 123, SSN 536-22-8714"
    normalized, omap = normalize_with_map(text)
    assert normalized is text and omap.identity


def test_guard_refuses_a_disguised_ssn_in_a_stage_output() -> None:
    from engine.execution.guard import check_output

    value = "5\u200b3\u00ad6\u201122\u20118714"
    problems = check_output({"note": f"ssn {value}"})
    assert problems
