"""Finding digests from the native core: HMAC-SHA-256 under the finding-digest subkey.

Why: a dense scan computes one digest per distinct value, and Python's per-call cost of the
primed-pad HMAC (:meth:`engine.phi.keys.PhiKey.digest_bytes`, the reference) is several times
the core's. The scheme is the same (``rflow-digest/v3``): the core reproduces the golden vectors
(a Rust unit test and tests/phi/test_native_digest.py) and the Python digests on any input.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.phi.keys import PhiKey
from engine.phi.native_match import use_core
from engine.phi.schemes import PURPOSE_DIGEST

DigestFn = Callable[[bytes, bytes], str]


def digester(key: PhiKey) -> DigestFn | None:
    """``(prefix, normalized) -> hex digest`` on the core, or None on the Python path."""
    if not use_core():
        return None
    from engine.phi import native

    assert native.core is not None
    fn: DigestFn = native.core.Digester(key.subkey(PURPOSE_DIGEST))
    return fn
