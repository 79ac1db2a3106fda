"""Hex digests and UUIDs are never PHI: numeric patterns stop at letters on both sides.

Dates are PHI, so ISO timestamps are deliberately not part of this property.
"""

from __future__ import annotations

import hashlib
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi import contains_phi, sanitize, scan_text

FAST = settings(max_examples=300, deadline=None)


@FAST
@given(st.binary(min_size=1, max_size=64))
def test_sha256_hex_digests_are_not_phi(data: bytes) -> None:
    for digest in (
        hashlib.sha256(data).hexdigest(),
        hashlib.sha256(data).hexdigest().upper(),
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
    ):
        assert not contains_phi(digest)
        assert not contains_phi(f"sha256 {digest} written")
        assert sanitize(digest) == digest
        assert list(scan_text(digest)) == []


@FAST
@given(st.uuids())
def test_uuids_are_not_phi(value: uuid.UUID) -> None:
    for text in (str(value), value.hex, str(value).upper(), f"run {value} done"):
        assert not contains_phi(text)
        assert list(scan_text(text)) == []


def test_known_false_positives_are_gone() -> None:
    # Digits followed by hex letters used to read as a bare phone number; a UUID segment
    # after "dea" used to read as a DEA licence.
    assert not contains_phi("2277844858a879f1")
    assert not contains_phi("5f0c2a1e-dea0-4b1c-9d2e-123456789abc")
    assert not contains_phi("dea01234-5678-4abc-8def-0123456789ab")
    # The real forms are still caught.
    assert contains_phi("call 2025550143 now")
    assert contains_phi("DEA: AB1234563")
