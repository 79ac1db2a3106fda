"""A large buffer's candidates come from the core's skip search and match the reference.

From 4 KiB on, the core does not try every position: one unanchored search of all patterns
(behind a byte that not every left boundary refuses) finds the next start worth trying, where
the per-position walk would have found the same candidates (a Rust unit test compares the two
walks). Here the whole path is compared with the Python reference on large generated buffers:
identifier soup, labelled values, hostile bytes, and the dense corpus.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phi_corpus import dense_block
from phi_values import IN_CONTEXT
from test_core_labels import hostile, labelled_text

from engine.phi import load_registry, matcher, native, native_match

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)
SKIP_MIN = 4096
piece = st.sampled_from(sorted(IN_CONTEXT)).flatmap(lambda c: IN_CONTEXT[c].map(lambda tv: tv[0].encode("utf-8")))
SEPS = st.sampled_from([b" ", b", ", b"\n", b"\t", b";", b"-", b"x", b"(", b": ", b'"', b"\r\n", b"abc", b"9"])
chunk = st.lists(st.tuples(piece | labelled_text() | hostile, SEPS), min_size=1, max_size=12).map(
    lambda parts: b"".join(text + sep for text, sep in parts)
)


def _large(parts: list[bytes]) -> bytes:
    data = b"".join(parts)
    while len(data) < SKIP_MIN + 100:
        data += b" " + b"".join(parts)
    return data


def _reference(tier: Any, data: bytes) -> list[tuple[str, int, int, int, int]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(native_match.ENV_ENGINE, "re")
        return [(p.id, *rest) for p, *rest in matcher.pattern_matches(tier, data)]


def _native(tier: Any, data: bytes) -> list[tuple[str, int, int, int, int]]:
    core = native_match.matcher_for(tier)
    assert core is not None, "the native engine is not in use"
    return [(p.id, *rest) for p, *rest in native_match.native_matches(tier, core, data)]


@needs_core
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(chunk, min_size=1, max_size=6))
def test_large_generated_buffers_give_the_reference_matches(parts: list[bytes]) -> None:
    data = _large(parts)
    tier = load_registry().scan
    assert _native(tier, data) == _reference(tier, data)


@needs_core
@pytest.mark.parametrize("cut", [0, 1, 7])
def test_the_dense_corpus_gives_the_reference_matches(cut: int) -> None:
    data = dense_block(60, seed=5)[cut:]
    assert len(data) > SKIP_MIN
    for tier in (load_registry().scan, load_registry().guard):
        assert _native(tier, data) == _reference(tier, data)
