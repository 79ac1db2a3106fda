"""The Hyperscan path finds exactly what the ``re`` path finds.

Two layers are tested: every prefix condition really is one (checked with Python's ``re``, so it
runs without Hyperscan), and the accelerated matcher yields the same matches as the combined
regex on corpus data, on generated identifier soup and through the scanner.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phi_values import IN_CONTEXT

from engine.phi import accel, load_registry, matcher, scan_file
from engine.phi.errors import PhiRegistryError
from engine.phi.prefilter import Unsupported, prefix_condition

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from phi_corpus import COLUMNS, dense_block

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEPARATORS = st.sampled_from([" ", ", ", "\n", "\t", ";", "/", "-", ".", "x", "(", "#", ": "])
piece = st.sampled_from(sorted(IN_CONTEXT)).flatmap(lambda c: IN_CONTEXT[c].map(lambda tv: tv[0]))
soup = st.lists(st.tuples(piece, SEPARATORS), min_size=1, max_size=25).map(
    lambda parts: "".join(text + sep for text, sep in parts)
)


def _re_matches(tier: object, data: bytes, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int, int, int]]:
    with monkeypatch.context() as m:
        m.setenv(accel.ENV_ENGINE, "re")
        m.setattr(accel, "_BUILT", {})
        return [(p.id, *rest) for p, *rest in matcher._pattern_matches(tier, data)]  # type: ignore[arg-type]


def _accelerated(tier: object, data: bytes) -> list[tuple[str, int, int, int, int]]:
    acc = accel.accelerator_for(tier)  # type: ignore[arg-type]
    assert acc is not None
    return [(p.id, *rest) for p, *rest in matcher._accelerated(tier, acc, data)]  # type: ignore[arg-type]


# --- prefix conditions (no Hyperscan needed) ---------------------------------------------------


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
    # long bounded repeats become unbounded (start-of-match tracking)
    assert prefix_condition(r"[a-z]{1,64}+@x") == r"(?:[\x61-\x7a]){1,}\x40\x78"


def test_prefix_condition_refuses_what_it_cannot_bound() -> None:
    with pytest.raises(Unsupported):
        prefix_condition(r"(?:abc)?")
    with pytest.raises(Unsupported):
        prefix_condition(r"(a)\1")


# --- the accelerated matcher ------------------------------------------------------------------


@pytest.fixture
def hs_enabled(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("hyperscan", reason="the accelerator needs the hyperscan package")
    monkeypatch.setenv(accel.ENV_ENGINE, "hyperscan")
    monkeypatch.setattr(accel, "_BUILT", {})


@pytest.mark.usefixtures("hs_enabled")
@pytest.mark.parametrize("tier", ["scan", "guard"])
def test_corpus_matches_are_identical(tier: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = dense_block(300, seed=5)
    t = load_registry().tier(tier)  # type: ignore[arg-type]
    expected = _re_matches(t, data, monkeypatch)
    assert len(expected) > 3000
    assert _accelerated(t, data) == expected


@pytest.mark.usefixtures("hs_enabled")
@FAST
@given(soup)
def test_generated_identifier_soup_matches_are_identical(text: str) -> None:
    data = text.encode()
    for tier in (load_registry().scan, load_registry().guard):
        with pytest.MonkeyPatch.context() as mp:
            expected = _re_matches(tier, data, mp)
        assert _accelerated(tier, data) == expected


@pytest.mark.usefixtures("hs_enabled")
def test_validator_rejections_fall_through_like_the_combined_regex(monkeypatch: pytest.MonkeyPatch) -> None:
    # 000-12-3456 fails the SSN rules; 4111 1111 1111 1111 passes Luhn; an invalid date is skipped
    data = b"ssn 000-12-3456, card 4111 1111 1111 1111, dob 13/45/2020, or (212) 555-7123\n" * 50
    tier = load_registry().scan
    expected = _re_matches(tier, data, monkeypatch)
    assert {e[0] for e in expected} >= {"card-grouped", "phone-nanp"}
    assert _accelerated(tier, data) == expected


@pytest.mark.usefixtures("hs_enabled")
def test_scan_file_findings_are_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "dense.csv"
    path.write_bytes((",".join(COLUMNS) + "\n").encode() + dense_block(400, seed=9))
    fast = list(scan_file(path, chunk_size=1 << 16))
    monkeypatch.setenv(accel.ENV_ENGINE, "re")
    monkeypatch.setattr(accel, "_BUILT", {})
    slow = list(scan_file(path, chunk_size=1 << 16))
    assert len(slow) > 5000
    assert fast == slow


def test_the_re_setting_turns_the_accelerator_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(accel.ENV_ENGINE, "re")
    assert accel.build_accelerator(load_registry().scan) is None


def test_asking_for_hyperscan_without_it_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(accel.ENV_ENGINE, "hyperscan")
    monkeypatch.setattr(accel, "_hyperscan", lambda: None)
    with pytest.raises(PhiRegistryError, match="hyperscan package is not installed"):
        accel.build_accelerator(load_registry().scan)
    monkeypatch.setattr(accel, "_hyperscan", lambda: None)
    monkeypatch.setenv(accel.ENV_ENGINE, "auto")
    assert accel.build_accelerator(load_registry().scan) is None


def test_an_unknown_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(accel.ENV_ENGINE, "pcre")
    with pytest.raises(PhiRegistryError, match="auto, re or hyperscan"):
        accel.build_accelerator(load_registry().scan)


@pytest.mark.usefixtures("hs_enabled")
def test_threads_scan_at_the_same_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local executor runs tasks in threads: each needs its own Hyperscan scratch space."""
    import threading

    tier = load_registry().scan
    blocks = [dense_block(1200, seed=s) for s in (1, 2, 3)]
    expected = [_re_matches(tier, b, monkeypatch) for b in blocks]
    results: dict[int, list[tuple[str, int, int, int, int]]] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for _ in range(3):
                results[i] = _accelerated(tier, blocks[i])
        except BaseException as exc:  # collected and re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [results[i] for i in range(3)] == expected
