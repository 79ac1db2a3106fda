"""Finding digests on the core: the golden vectors, and the Python key's digests on any input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi import native, native_match
from engine.phi.keys import PhiKey, derive_subkey
from engine.phi.native_digest import digester
from engine.phi.schemes import PURPOSE_DIGEST

needs_core = pytest.mark.skipif(native.core is None, reason="NATIVE CORE NOT BUILT: CI sets RFLOW_REQUIRE_NATIVE=1")
VECTORS = json.loads((Path(__file__).parent / "golden" / "golden_vectors.json").read_text())


@needs_core
@pytest.mark.parametrize("case", VECTORS["keys"], ids=lambda c: c["key_id"])
def test_the_core_reproduces_the_golden_digests(case: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    assert native.core is not None
    key = str(case["key"]).encode()
    purpose = VECTORS["purposes"]["digest"].encode()
    subkeys = case["subkeys"]
    assert isinstance(subkeys, dict)
    assert native.core.derive_subkey(key, purpose, 32).hex() == subkeys["digest"]
    monkeypatch.setenv(native_match.ENV_ENGINE, "auto")
    fn = digester(PhiKey(key, "explicit"))
    assert fn is not None
    digests = case["digests"]
    assert isinstance(digests, list) and digests
    for d in digests:
        assert fn(f"{d['category']}\x1f".encode(), d["normalized"].encode()) == d["digest"]


def test_the_re_setting_keeps_the_python_digests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(native_match.ENV_ENGINE, "re")
    assert digester(PhiKey(b"k" * 32, "explicit")) is None


@needs_core
@settings(max_examples=300, deadline=None)
@given(
    key=st.binary(min_size=1, max_size=200),
    purpose=st.binary(max_size=40),
    length=st.integers(1, 200),
    prefix=st.binary(max_size=20),
    value=st.binary(max_size=120),
)
def test_subkeys_and_digests_match_the_python_reference(
    key: bytes, purpose: bytes, length: int, prefix: bytes, value: bytes
) -> None:
    assert native.core is not None
    assert native.core.derive_subkey(key, purpose, length) == derive_subkey(key, purpose, length)
    python = PhiKey(key, "explicit")
    fn = native.core.Digester(python.subkey(PURPOSE_DIGEST))
    assert fn(prefix, value) == python.digest_bytes(prefix, value)


@needs_core
def test_bad_lengths_and_types_raise_errors_not_panics() -> None:
    assert native.core is not None
    for bad in (0, 255 * 32 + 1):
        with pytest.raises(ValueError, match="8160"):
            native.core.derive_subkey(b"k", b"p", bad)
    with pytest.raises(TypeError):
        native.core.Digester("not bytes")
    with pytest.raises(TypeError):
        native.core.Digester(b"k")(b"", 3)
