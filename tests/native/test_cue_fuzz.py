"""Hostile input through the core's cue rules binding: an error, never a panic or a crash.

Any bytes in either mode give spans inside the text, sorted and non-overlapping; a failing or
lying word callback is a Python exception; malformed rule data is a ValueError at construction.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi import native, native_cues

needs_core = pytest.mark.skipif(
    native.core is None and os.environ.get(native.REQUIRE_ENV) != "1",
    reason="NATIVE CORE NOT BUILT (no cargo at install time); CI sets RFLOW_REQUIRE_NATIVE=1",
)
pytestmark = needs_core

_hostile = st.one_of(
    st.binary(max_size=2000),
    st.lists(st.sampled_from([b"Dr. ", b"seen by ", b", OK ", b" County", b"\xc3", b"\xff", b"'s", b"-", b"A",
                              b"lives in ", b"\n", b"\x00", b"\xe2\x80\x99", b"Van ", b", ", b"\"", b"("]),
             max_size=200).map(b"".join),
)  # fmt: skip


def rules() -> Any:
    built = native_cues.built()
    assert built is not None
    return built


@settings(max_examples=300, deadline=None)
@given(_hostile, st.booleans())
def test_any_bytes_give_spans_inside_the_text(data: bytes, bytes_mode: bool) -> None:
    spans = rules().find(data, bytes_mode, native_cues.word_info)
    last = 0
    for s, e, kind in spans:
        assert last <= s < e <= len(data)
        assert kind in (0, 1)
        last = e


def test_a_failing_word_callback_is_a_python_error() -> None:
    def boom(raw: bytes) -> Any:
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError):
        rules().find("Dr. Søren Kierkegaard".encode(), True, boom)
    with pytest.raises(ValueError, match="length 4"):
        rules().find("Dr. Søren Kierkegaard".encode(), True, lambda raw: ("x", 1))
    with pytest.raises(TypeError):
        rules().find("Dr. Søren Kierkegaard".encode(), True, lambda raw: (1, 2, 3, 4))
    # ASCII words never ask
    assert rules().find(b"Dr. Soren Kierkegaard", True, boom)


def test_malformed_rule_data_is_a_value_error() -> None:
    from engine._native import Cues  # type: ignore[import-not-found]

    sets: dict[str, list[str]] = {}
    with pytest.raises(ValueError, match="word set"):
        Cues(sets, {}, ({}, {}, []), ("a", "b", "c"), [b"\0" * 256] * 6, (2, 4, 100), "", [], [""] * 256)
    names = ["titles", "particles", "fillers", "credentials", "stop", "negatives", "eponyms", "abbreviations",
             "suffixes", "english", "place_words", "county_words", "ambiguous_states", "state_codes", "surnames",
             "common", "needs_context", "never", "any_city", "state_names", "countries"]  # fmt: skip
    full = {n: [] for n in names}
    with pytest.raises(ValueError, match="256"):
        Cues(dict(full), {}, ({}, {}, []), ("a", "b", "c"), [b"\0" * 255] * 6, (2, 4, 100), "", [], [""] * 256)
    with pytest.raises(ValueError, match="compile"):
        Cues(dict(full), {}, ({}, {}, []), ("(", "b", "c"), [b"\0" * 256] * 6, (2, 4, 100), "", [], [""] * 256)
    with pytest.raises(ValueError, match="256 character keys"):
        Cues(dict(full), {}, ({}, {}, []), ("a", "b", "c"), [b"\0" * 256] * 6, (2, 4, 100), "", [], [""])
    ok = Cues(dict(full), {}, ({}, {}, []), ("a", "b", "c"), [b"\1" * 256] * 6, (2, 4, 100), "", ["x"], [""] * 256)
    assert ok.find(bytes(range(256)) * 4, True, native_cues.word_info) == []
