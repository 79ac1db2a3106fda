"""The native core's matcher finds exactly what the Python reference path finds.

Layers: every translated pattern agrees with its Python ``re`` pattern at every start of generated
text; the candidate walk gives the combined regex's matches on corpus data, identifier soup and
hostile bytes; the scanner's findings (category, location, length, digest) are identical for
several chunk sizes and worker counts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phi_values import IN_CONTEXT

from engine.phi import load_registry, matcher, native, native_dialect, native_match, scan_file
from engine.phi.prefilter import Unsupported

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from phi_corpus import COLUMNS, dense_block

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEPARATORS = st.sampled_from([" ", ", ", "\n", "\t", ";", "/", "-", ".", "x", "(", "#", ": ", '"', "\r\n", "\u00a0"])
piece = st.sampled_from(sorted(IN_CONTEXT)).flatmap(lambda c: IN_CONTEXT[c].map(lambda tv: tv[0]))
soup = st.lists(st.tuples(piece, SEPARATORS), min_size=1, max_size=25).map(
    lambda parts: "".join(text + sep for text, sep in parts).encode("utf-8")
)
HOSTILE = [b"\x00", b"\xff", b"\xef\xbb\xbf", b"\r", b"\n", b'"', b"@", b"-", b"1", b"9", b"A", b"z", b" ", b".", b"/"]
hostile = st.lists(st.sampled_from(HOSTILE) | st.binary(max_size=4), max_size=120).map(b"".join)


def _python_re(source: str) -> re.Pattern[bytes]:
    """A translated source compiled by Python's ``re`` (whose end-of-text anchor is spelled \\Z)."""
    return re.compile(source.replace("\\z", "\\Z").encode("ascii"))


def _reference(tier: object, data: bytes) -> list[tuple[str, int, int, int, int]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(native_match.ENV_ENGINE, "re")
        return [(p.id, *rest) for p, *rest in matcher.pattern_matches(tier, data)]  # type: ignore[arg-type]


def _native(tier: object, data: bytes) -> list[tuple[str, int, int, int, int]]:
    core_matcher = native_match.matcher_for(tier)  # type: ignore[arg-type]
    assert core_matcher is not None, "the native engine is not in use"
    return [(p.id, *rest) for p, *rest in native_match.native_matches(tier, core_matcher, data)]  # type: ignore[arg-type]


# --- the translation (Python only) ---------------------------------------------------------------


def test_most_patterns_are_translated_exactly_and_the_rest_have_prefix_conditions() -> None:
    tier = load_registry().guard
    specs = [native_match.pattern_spec(p) for p in tier.patterns]
    exact = [p.id for p, s in zip(tier.patterns, specs, strict=True) if s[1]]
    assert len(exact) >= len(specs) // 2
    for pat, (source, is_exact, left, first) in zip(tier.patterns, specs, strict=True):
        assert "(?<" not in source and "(?=" not in source and "(?!" not in source, pat.id
        assert set(b"0A") <= set(left), pat.id  # PHI never starts inside a word
        assert first, pat.id
        if not is_exact:
            assert pat.id.endswith("-labelled"), pat.id


def test_a_right_boundary_becomes_its_complement() -> None:
    source = native_dialect.complement([[frozenset(b"0123456789")], [frozenset(b"-"), frozenset(b"0123456789")]])
    rx = _python_re(source)
    for tail, ok in [(b"", True), (b" ", True), (b"-", True), (b"-x", True), (b"7", False), (b"-7", False)]:
        assert (rx.match(tail) is not None) is ok, tail


def test_what_cannot_be_translated_is_refused() -> None:
    pat = load_registry().scan.patterns[load_registry().scan.position["mrn-labelled"]]
    with pytest.raises(Unsupported):
        native_match.exact_source(pat)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(soup)
def test_translated_patterns_match_like_python_at_every_start(data: bytes) -> None:
    """Python's own ``re`` runs each translation: same match, same value span, at every position."""
    for pat in load_registry().guard.patterns:
        source, is_exact, left, _first = native_match.pattern_spec(pat)
        if not is_exact:
            continue
        rx = _python_re(source)
        for start in range(len(data)):
            want = pat.bytes_re.match(data, start)
            got = None if start and data[start - 1] in left else rx.match(data, start)
            assert (want is None) == (got is None), (pat.id, start)
            if want is not None and got is not None:
                span = want.span("value") if pat.has_value else want.span()
                got_span = got.span("value") if pat.has_value else got.span("rfm")
                assert (span, want.end()) == (got_span, got.end("rfm")), (pat.id, start)


# --- the core against the reference ------------------------------------------------------------


@needs_core
@pytest.mark.parametrize("tier", ["scan", "guard"])
def test_corpus_matches_are_identical(tier: str) -> None:
    t = load_registry().tier(tier)  # type: ignore[arg-type]
    data = dense_block(300, seed=5)
    expected = _reference(t, data)
    assert len(expected) > 3000
    assert _native(t, data) == expected


@needs_core
@FAST
@given(soup)
def test_generated_identifier_soup_matches_are_identical(data: bytes) -> None:
    for tier in (load_registry().scan, load_registry().guard):
        assert _native(tier, data) == _reference(tier, data)


@needs_core
@FAST
@given(soup)
def test_ascii_text_matches_are_identical(data: bytes) -> None:
    """The sanitizer and de-identification match str cells: ASCII ones go to the core too."""
    text = data.decode("utf-8").encode("ascii", "replace").decode("ascii")
    for tier in (load_registry().scan, load_registry().guard):
        assert native_match.matcher_for(tier) is not None  # built: short texts use it too
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(native_match.ENV_ENGINE, "re")
            expected = list(matcher.iter_matches(tier, text))
        assert list(matcher.iter_matches(tier, text)) == expected


@needs_core
@FAST
@given(hostile)
def test_hostile_bytes_give_the_reference_matches_and_never_a_panic(data: bytes) -> None:
    tier = load_registry().guard
    assert _native(tier, data) == _reference(tier, data)


@needs_core
def test_validator_rejections_fall_through_like_the_combined_regex() -> None:
    data = b"ssn 000-12-3456, card 4111 1111 1111 1111, dob 13/45/2020, MRN: 4857211, (212) 555-7123\n" * 20
    tier = load_registry().scan
    expected = _reference(tier, data)
    assert {e[0] for e in expected} >= {"card-grouped", "phone-nanp", "mrn-labelled"}
    assert _native(tier, data) == expected


@needs_core
def test_hostile_arguments_raise_python_errors_not_panics() -> None:
    assert native.core is not None
    with pytest.raises(ValueError, match="pattern 0 does not compile"):
        native.core.Matcher([("(", True, b"", b"a")])
    with pytest.raises(ValueError, match="needs an rfm group"):
        native.core.Matcher([("a", True, b"", b"a")])
    with pytest.raises(ValueError, match="length 4"):
        native.core.Matcher([("a", True)])
    m = native.core.Matcher([("(?P<rfm>a)", True, b"", b"a")])
    with pytest.raises(TypeError):
        m.candidates("not bytes")
    assert m.candidates(b"") == []


@needs_core
def test_the_re_setting_is_the_python_reference_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(native_match.ENV_ENGINE, "re")
    calls: list[int] = []
    monkeypatch.setattr(native_match, "native_matches", lambda *a: calls.append(1) or iter(()))
    list(matcher.pattern_matches(load_registry().scan, b"SSN 123-45-6789"))
    assert not calls

    # A process that never asked for the core: a short text stays on re, a scan-sized one builds the core,
    # after which short texts use it too.
    probe = (
        "import sys\n"
        "from engine.phi import load_registry, matcher, native_match\n"
        "calls = []\n"
        "real = native_match.native_matches\n"
        "native_match.native_matches = lambda *a: calls.append(1) or real(*a)\n"
        "scan = load_registry().scan\n"
        "list(matcher.pattern_matches(scan, b'SSN 123-45-6789'))\n"
        "print(len(calls), native_match.is_built(scan), 'engine.phi.native' in sys.modules)\n"
        "list(matcher.pattern_matches(scan, b'SSN 123-45-6789 ' * 3000))\n"
        "print(len(calls), native_match.is_built(scan))\n"
        "list(matcher.pattern_matches(scan, b'SSN 123-45-6789'))\n"
        "print(len(calls))\n")
    env = {**os.environ, native_match.ENV_ENGINE: "auto"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.splitlines() == ["0 False False", "1 True", "2"], "a short text compiled the core"


@needs_core
@pytest.mark.parametrize(("chunk_size", "workers"), [(1 << 12, 1), (1 << 16, 1), (1 << 20, 1), (1 << 14, 2)])
def test_scan_file_findings_are_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_size: int, workers: int
) -> None:
    path = tmp_path / "dense.csv"
    path.write_bytes((",".join(COLUMNS) + "\r\n").encode() + dense_block(250, seed=9).replace(b"\n", b"\r\n"))
    monkeypatch.setenv(native_match.ENV_ENGINE, "auto")
    fast = list(scan_file(path, chunk_size=chunk_size, workers=workers))
    monkeypatch.setenv(native_match.ENV_ENGINE, "re")
    slow = list(scan_file(path, chunk_size=chunk_size, workers=workers))
    assert len(slow) > 3000
    assert [(f.category, f.offset, f.length, f.digest) for f in fast] == [
        (f.category, f.offset, f.length, f.digest) for f in slow
    ]
    assert fast == slow
