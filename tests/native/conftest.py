"""Test setup for the native core's differential tests: the PHI suite's helpers and fixed key."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from tests.fixed_key import ROOT, _phi_key, add_import_paths

__all__ = ["ChunkCall", "_phi_key", "chunk_call"]

add_import_paths(ROOT / "tests" / "phi", ROOT / "bench")


class ChunkCall(NamedTuple):
    """What a core chunk call (``encode_table_chunk``, ``kept_table_chunk``) takes, for one small chunk."""

    core: Any
    """The built core (``engine.phi.native.core``)."""
    ctx: Any
    """The scan context of a two-column CSV (``mrn``, ``zip``)."""
    matcher: Any
    """The scan tier's core matcher."""
    data: bytes
    """One row: an MRN and a non-ASCII name with a ZIP code."""
    cues: list[tuple[str, str]]
    """The cue kinds' categories and normalizers."""
    asker: Any
    """The core's question for a candidate it cannot decide, on ``data``."""


@pytest.fixture
def chunk_call() -> ChunkCall:
    """The arguments of the bad-argument tests of the core's chunk calls (the core must be built)."""
    from engine.phi import load_registry, native, native_match
    from engine.phi.keys import resolve_key
    from engine.phi.scan.context import make_context

    core = native.core
    assert core is not None
    ctx = make_context(load_registry(), resolve_key(None), ("mrn", "zip"), b",")
    data = b"MRN 4857211,Jos\xc3\xa9 02134\n"
    return ChunkCall(core, ctx, native_match.matcher_for(ctx.patterns), data, [("NAME", "text"), ("CITY", "text")],
                     native_match.asker(ctx.patterns.patterns, data))
