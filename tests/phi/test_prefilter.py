"""Prefix conditions really are prefix conditions, and the regex setting names its two paths.

A pattern the native core cannot run exactly is sent to it as a prefix condition and every
candidate is confirmed by ``re``: that is exact only if the condition matches wherever the
pattern does, which is checked here with Python's ``re`` (no core needed).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phi_values import IN_CONTEXT

from engine.phi import load_registry, native_match
from engine.phi.errors import PhiRegistryError
from engine.phi.prefilter import Unsupported, prefix_condition

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEPARATORS = st.sampled_from([" ", ", ", "\n", "\t", ";", "/", "-", ".", "x", "(", "#", ": "])
piece = st.sampled_from(sorted(IN_CONTEXT)).flatmap(lambda c: IN_CONTEXT[c].map(lambda tv: tv[0]))
soup = st.lists(st.tuples(piece, SEPARATORS), min_size=1, max_size=25).map(
    lambda parts: "".join(text + sep for text, sep in parts)
)


@pytest.mark.parametrize("tier", ["scan", "guard"])
def test_every_registry_pattern_has_a_prefix_condition_that_python_compiles(tier: str) -> None:
    for pat in load_registry().tier(tier).patterns:  # type: ignore[arg-type]
        re.compile(prefix_condition(pat.source).encode("ascii"))


@FAST
@given(soup)
def test_prefix_condition_matches_wherever_the_pattern_matches(text: str) -> None:
    data = text.encode()
    for pat in load_registry().guard.patterns:
        condition = re.compile(prefix_condition(pat.source).encode("ascii"))
        for start in range(len(data)):
            if pat.bytes_re.match(data, start):
                m = condition.match(data, start)
                assert m is not None and m.end() > start, (pat.id, start)


def test_prefix_condition_drops_lookarounds_and_cuts_the_tail() -> None:
    ssn = prefix_condition(r"(?<![0-9])[0-9]{3}-[0-9]{2}(?![0-9])")
    assert "(?<" not in ssn and "(?!" not in ssn
    assert re.fullmatch(ssn, "123-45") and re.compile(ssn).match("a123-45", 1)  # the boundary is gone
    # a trailing lookahead is what must follow: it is kept as consumed text
    assert re.fullmatch(prefix_condition(r"[A-Z][a-z]+(?=, TX)"), "Austin, TX")
    # case-insensitive words become explicit classes
    assert re.fullmatch(prefix_condition(r"(?i:mrn)"), "mRn")
    # long bounded repeats become unbounded (a smaller automaton)
    assert prefix_condition(r"[a-z]{1,64}+@x") == r"(?:[\x61-\x7a]){1,}\x40\x78"


def test_prefix_condition_refuses_what_it_cannot_bound() -> None:
    with pytest.raises(Unsupported):
        prefix_condition(r"(?:abc)?")
    with pytest.raises(Unsupported):
        prefix_condition(r"(a)\1")


# --- the regex setting ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "setting"), [(None, "auto"), ("", "auto"), (" Auto ", "auto"), ("re", "re")])
def test_the_setting_is_auto_or_re(value: str | None, setting: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if value is None:
        monkeypatch.delenv(native_match.ENV_ENGINE, raising=False)
    else:
        monkeypatch.setenv(native_match.ENV_ENGINE, value)
    assert native_match.engine_setting() == setting


def test_the_re_setting_is_the_python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(native_match.ENV_ENGINE, "re")
    assert not native_match.use_core() and native_match.regex_engine() == "re"
    assert native_match.matcher_for(load_registry().scan) is None


@pytest.mark.parametrize("value", ["pcre", "hyperscan", "native"])  # "hyperscan": a path rflow no longer has
def test_an_unknown_setting_is_refused_by_name(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(native_match.ENV_ENGINE, value)
    with pytest.raises(PhiRegistryError, match="RFLOW_PHI_REGEX must be auto or re, not"):
        native_match.regex_engine()
