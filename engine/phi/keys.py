"""The secret key of finding digests.

A bare SHA-256 of an SSN or a phone number is reversible by enumerating the (small) value space,
so digests are HMAC-SHA-256 under a per-deployment key: ``RFLOW_PHI_KEY`` (the key itself),
else ``RFLOW_PHI_KEY_FILE`` (a file holding it), else a random key for this process only, which
makes digests comparable within one run but not across runs - reports say so.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any, Literal

import attrs

from engine.phi.errors import PhiKeyError

ENV_KEY = "RFLOW_PHI_KEY"
ENV_KEY_FILE = "RFLOW_PHI_KEY_FILE"
MIN_KEY_BYTES = 16
KeySource = Literal["env", "file", "explicit", "random"]

_RUN_KEY = secrets.token_bytes(32)  # one per process: "per-run" for a CLI invocation


@attrs.frozen
class PhiKey:
    """An HMAC key and where it came from; the key never appears in repr."""

    key: bytes = attrs.field(repr=False)
    source: KeySource

    @property
    def is_random(self) -> bool:
        """True when digests are only comparable within this run."""
        return self.source == "random"

    def digest(self, category: str, normalized: str) -> str:
        """Hex HMAC-SHA-256 of ``category`` + normalized value (category separates domains)."""
        return self.digest_bytes(f"{category}\x1f".encode(), normalized.encode())

    def digest_bytes(self, prefix: bytes, normalized: bytes) -> str:
        """Hex HMAC-SHA-256 of ``prefix + normalized``; ``prefix`` is ``b"<CATEGORY>\\x1f"``."""
        inner, outer = _pads(self.key)
        h = inner.copy()
        h.update(prefix)
        h.update(normalized)
        o = outer.copy()
        o.update(h.digest())
        return o.hexdigest()


def derive_subkey(key: bytes | PhiKey, purpose: bytes, length: int = 32) -> bytes:
    """HKDF-SHA-256 (RFC 5869) of the deployment key for one ``purpose`` (the HKDF ``info``).

    Why: each use of the deployment key (finding digests, the audit log's MAC, ...) gets its own
    key, so a component that holds one subkey (an audit verifier) cannot compute the others.
    """
    ikm = key.key if isinstance(key, PhiKey) else bytes(key)
    if not 1 <= length <= 255 * 32:
        raise ValueError("HKDF-SHA-256 derives 1 to 8160 bytes")
    prk = hmac.digest(b"\0" * 32, ikm, "sha256")
    out, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.digest(prk, block + purpose + bytes([counter]), "sha256")
        out += block
    return out[:length]


@functools.lru_cache(maxsize=8)
def _pads(key: bytes) -> tuple[Any, Any]:
    """SHA-256 states primed with the HMAC inner and outer pads (RFC 2104).

    Same result as ``hmac.digest(key, msg, "sha256")``, several times faster per call because
    OpenSSL 3 looks the digest up again on every one-shot call.
    """
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    return inner, outer


def _checked(key: bytes, where: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise PhiKeyError(f"the PHI digest key from {where} is shorter than {MIN_KEY_BYTES} bytes")
    return key


def resolve_key(explicit: bytes | PhiKey | None = None) -> PhiKey:
    """The key to use: explicit, else env ``RFLOW_PHI_KEY``, else ``RFLOW_PHI_KEY_FILE``, else random."""
    if isinstance(explicit, PhiKey):
        return explicit
    if explicit is not None:
        return PhiKey(_checked(bytes(explicit), "the caller"), "explicit")
    env = os.environ.get(ENV_KEY)
    if env:
        return PhiKey(_checked(env.encode("utf-8"), ENV_KEY), "env")
    path = os.environ.get(ENV_KEY_FILE)
    if path:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise PhiKeyError(f"cannot read the key file named by {ENV_KEY_FILE}: {type(exc).__name__}") from None
        return PhiKey(_checked(data.rstrip(b"\r\n"), ENV_KEY_FILE), "file")
    return PhiKey(_RUN_KEY, "random")
