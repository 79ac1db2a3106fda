"""The core's validators (native/src/validators.rs) agree with the Python reference on every value.

Python (engine/phi/validators.py) is the reference: for every validator name the core
implements, generated values of every PHI form, near-misses and hostile text must get the same
answer, or the core must decline to answer (None: a non-ASCII value), and then Python decides.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from phi_values import card, date, iban, ipv4, phone, ssn, vin

from engine.phi import load_registry, native, native_match, validators

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)
MANY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WORDS = [
    "Jan", "feb", "MARCH", "Sept", "sept.", "May", "december", "the", "of", "st", "nd", "th",
    "first", "fourth", "twenty", "thirty", "first", "twentieth", "ninth", "mg", "units", "mmHg",
    "IU", "%", "bpm", "wks", "h", "x", "ext", "ext.", "Ext.", "extension", "EXT",
]  # fmt: skip
ALPHABET = "0123456789-/.: ,+()#xXaAfF\t\n\r\x0b\x0c\x1c\x1f%\u00e9\u2010\u0663"
pieces = st.sampled_from(WORDS) | st.text(ALPHABET, max_size=6) | st.integers(0, 99999).map(str)
soup = st.lists(pieces, max_size=8).map(lambda ps: "".join(ps)) | st.lists(pieces, max_size=6).map(" ".join)
hexy = st.lists(st.text("0123456789abcdefABCDEF", max_size=5), min_size=1, max_size=10).map(":".join)
ip6 = st.builds(lambda h, tail: h + tail, hexy, st.sampled_from(["", ":", "::", ":1.2.3.4", "::ffff:10.0.0.1"]))
dates = st.builds(
    lambda a, s1, b, s2, c: f"{a}{s1}{b}{s2}{c}",
    st.integers(0, 2200), st.sampled_from("/.- "), st.integers(0, 40), st.sampled_from("/.- "),
    st.integers(0, 3000),
)  # fmt: skip
VALUES = (
    soup | dates | ip6 | ssn | phone | date | ipv4 | card | vin | iban
    | st.text(max_size=12) | st.from_regex(r"[0-9]{8}", fullmatch=True)
    | st.from_regex(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", fullmatch=True)
    | st.from_regex(r"[0-9]{4}[ /-](?:Jan|Feb|March|Sept|Foo)\.?[ /-][0-9]{1,3}", fullmatch=True)
    | st.from_regex(r"[A-Za-z]{1,2}[0-9][0-9A-Za-z]?[ \t-]?[0-9][A-Za-z]{2}", fullmatch=True)
    | st.from_regex(r"[A-Za-z][0-9][A-Za-z][ \t-]?[0-9][A-Za-z][0-9]", fullmatch=True)
    | st.from_regex(r"[TtEeGg][0-9][NnVvPp][0-9][MmAaLl][0-9]", fullmatch=True)
)  # fmt: skip
CORE_NAMES = sorted(native.core.validator_names()) if native.core is not None else []


def _registry_validator_names() -> set[str]:
    """Every validator a registry pattern (either tier) names."""
    reg = load_registry()
    named = {check: name for name, check in validators.VALIDATORS.items()}
    return {named[c] for tier in (reg.scan, reg.guard) for p in tier.patterns for c in p.validators}


@needs_core
def test_the_core_implements_every_validator_the_registry_patterns_name() -> None:
    missing = _registry_validator_names() - set(CORE_NAMES)
    assert not missing, f"validators the native core does not implement: {sorted(missing)}"
    assert set(CORE_NAMES) <= set(validators.VALIDATORS)  # no name Python does not know


@needs_core
@pytest.mark.parametrize("name", CORE_NAMES)
@MANY
@given(value=VALUES)
def test_core_and_python_validators_agree(name: str, value: str) -> None:
    assert native.core is not None
    want = validators.VALIDATORS[name](value)
    got = native.core.validate(name, value.encode("utf-8", "surrogatepass"))
    if value.isascii() and not (name == "ipv6" and "%" in value):
        assert got is not None, (name, value)
    if got is not None:
        assert got is want, (name, value)


@needs_core
@given(raw=st.binary(max_size=40))
@example(raw=b"LI(")  # a country code and less than four bytes: the IBAN check panicked on it
@example(raw=b"")
@settings(max_examples=300, deadline=None)
def test_hostile_bytes_never_raise_and_agree_where_decided(raw: bytes) -> None:
    assert native.core is not None
    text = raw.decode("utf-8", "replace")
    for name in CORE_NAMES:
        got = native.core.validate(name, raw)
        if got is not None:
            assert got is validators.VALIDATORS[name](text), (name, raw)


@needs_core
def test_an_unknown_validator_is_left_to_python_never_skipped() -> None:
    assert native.core is not None
    assert native.core.validate("name_pair", b"Ann Lee") is None
    # a pattern whose validator the core lacks: the walk asks Python about every candidate
    spec = ("(?P<rfm>[0-9]+)", True, b"0123456789", b"0123456789")
    plan = ([native_match.PYTHON_ONLY], False, None, "MRN", "digits")
    core_matcher = native.core.Matcher([spec], [plan])
    asked: list[tuple[int, int, object]] = []

    def ask(index: int, start: int, spans: object) -> None:
        asked.append((index, start, spans))
        return None

    assert core_matcher.walk(b"12 345", ask) == []
    assert asked == [(0, 0, (0, 2, 2)), (0, 3, (3, 6, 6))]


@needs_core
def test_exclusion_words_translate_and_refuse_like_python() -> None:
    reg = load_registry()
    with_words = [p for p in reg.scan.patterns if p.reject_after is not None]
    assert with_words
    for pat in with_words:
        _names, has, source, _cat, _norm = native_match.pattern_plan(pat)
        assert has and source is not None, pat.id  # decided in the core, not asked
