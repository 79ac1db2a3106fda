"""Golden vectors: pseudonyms, date shifts, finding digests and key ids of the current schemes.

``golden/golden_vectors.json`` is plain data that the Rust path must reproduce too. A failure here
means every pseudonym and digest rflow writes has changed: that needs a new scheme version (and
its vectors beside these), never an edit of the file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from engine.phi.keys import PhiKey, derive_subkey
from engine.phi.registry import load_registry
from engine.phi.schemes import PURPOSES, SCHEMES, normalize, pseudonym, shift_days
from engine.phi.validators import NORMALIZERS

VECTORS = json.loads((Path(__file__).parent / "golden" / "golden_vectors.json").read_text(encoding="utf-8"))
KEYS = VECTORS["keys"]


def test_schemes_and_purposes_are_the_pinned_versions() -> None:
    assert VECTORS["schemes"] == SCHEMES
    assert VECTORS["purposes"] == {name: p.decode() for name, p in PURPOSES.items()}


def test_hkdf_is_rfc5869() -> None:
    # RFC 5869 test case 3: SHA-256, no salt (a zero salt of the hash length), no info.
    okm = derive_subkey(b"\x0b" * 22, b"", 42)
    assert okm.hex() == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"


@pytest.mark.parametrize("case", KEYS, ids=lambda c: c["key_id"])
def test_subkeys_and_key_id(case: dict) -> None:
    key = case["key"].encode()
    assert {name: derive_subkey(key, p).hex() for name, p in PURPOSES.items()} == case["subkeys"]
    assert PhiKey(key, "explicit").key_id == case["key_id"]
    assert len(set(case["subkeys"].values())) == len(PURPOSES)


@pytest.mark.parametrize("case", KEYS, ids=lambda c: c["key_id"])
def test_pseudonyms(case: dict) -> None:
    subkey = bytes.fromhex(case["subkeys"]["pseudonym"])
    for vector in case["pseudonyms"]:
        assert normalize(vector["kind"], vector["value"]) == vector["normalized"]
        assert pseudonym(subkey, vector["kind"], vector["value"]) == vector["pseudonym"], vector


@pytest.mark.parametrize("case", KEYS, ids=lambda c: c["key_id"])
def test_date_shifts(case: dict) -> None:
    subkey = bytes.fromhex(case["subkeys"]["date_shift"])
    for vector in case["date_shifts"]:
        days = shift_days(subkey, vector["subject"], vector["max_shift_days"])
        assert days == vector["days"] and days != 0 and abs(days) <= vector["max_shift_days"]


@pytest.mark.parametrize("case", KEYS, ids=lambda c: c["key_id"])
def test_finding_digests(case: dict) -> None:
    key = PhiKey(case["key"].encode(), "explicit")
    subkey = bytes.fromhex(case["subkeys"]["digest"])
    for vector in case["digests"]:
        assert key.digest(vector["category"], vector["normalized"]) == vector["digest"]
        plain = hmac.new(subkey, f"{vector['category']}\x1f{vector['normalized']}".encode(), hashlib.sha256)
        assert plain.hexdigest() == vector["digest"]


@pytest.mark.parametrize("case", KEYS, ids=lambda c: c["key_id"])
def test_matched_values_digest_through_their_canonical_form(case: dict) -> None:
    """Digest version 3: a matched value, as written, through the registry's normalizer of its category."""
    key = PhiKey(case["key"].encode(), "explicit")
    registry = load_registry()
    by_normalized: dict[tuple[str, str], set[str]] = {}
    for vector in case["matched"]:
        normalized = NORMALIZERS[registry.category(vector["category"]).normalize](vector["value"])
        assert normalized == vector["normalized"]
        assert key.digest(vector["category"], normalized) == vector["digest"]
        by_normalized.setdefault((vector["category"], normalized), set()).add(vector["value"])
    # composed and decomposed text, fullwidth and Arabic-Indic digits: one value each
    assert any(len(values) >= 3 for values in by_normalized.values())
    assert any(not value.isascii() for values in by_normalized.values() for value in values)


def test_vectors_cover_non_ascii_and_equivalent_forms() -> None:
    cases = KEYS[0]["pseudonyms"]
    assert any(not c["value"].isascii() for c in cases)
    by_norm: dict[tuple[str, str], set[str]] = {}
    for c in cases:
        by_norm.setdefault((c["kind"], c["normalized"]), set()).add(c["pseudonym"])
    assert all(len(p) == 1 for p in by_norm.values())
    assert len({p for c in cases for p in [c["pseudonym"]]}) < len(cases)  # equivalent forms share one
