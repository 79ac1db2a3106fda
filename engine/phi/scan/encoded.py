"""A table chunk's findings written straight into the findings file by the native core.

Why: with the matches, rows, columns and digests in the core (:mod:`engine.phi.scan.core_table`),
most of phi_scan's remaining time was Python per finding: a :class:`Finding` tuple each, the merge
with the labelled cells, then the encoder reading each tuple back. Here one call per chunk
(``engine._native.encode_table_chunk``) does the walk, the cue spans, the column filter, the
labelled cells, their merge (the same integer key :func:`engine.phi.scan.table.scan_table_chunk`
sorts on) and the encoding, and counts each finding in the encoder. Python answers, in one batch
per chunk, only what the core cannot decide: a digest of a non-ASCII value or one whose normalizer
only Python has, and a labelled cell the core cannot judge (as :func:`cell_finding` does).

The reference stays the Python path (``scan_table_chunk`` + the encoder): the bytes written are
identical (tests/native). ``RFLOW_PHI_CORE_ENCODE=0`` selects the reference in the same process.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, NamedTuple

from engine.phi import cue_matches, native_cues, native_match
from engine.phi.normalize import normalize_bytes_with_map
from engine.phi.scan.context import ScanContext
from engine.phi.scan.core_table import column_rule
from engine.phi.scan.labelled import cell_finding

ENV = "RFLOW_PHI_CORE_ENCODE"
"""``0``: chunks go through :class:`Finding` tuples and the encoder (the reference, for tests and benchmarks)."""
_CUE_KINDS = ("NAME", "CITY")


def core_encodes() -> bool:
    """True unless ``RFLOW_PHI_CORE_ENCODE=0`` (or ``RFLOW_PHI_CORE_WALK=0``, the older path)."""
    return os.environ.get(ENV, "1") != "0" and native_match.core_walks()


def encode_table_chunk(
    data: bytes, base: int, first_row: int, ctx: ScanContext, encoder: Any
) -> tuple[bytes, int] | None:
    """``(findings lines, rows in the chunk)`` of a chunk of whole rows written into ``encoder``
    (the core's), or None where the core does not run it (the caller takes the reference path)."""
    if not core_encodes():
        return None
    from engine.phi.native import core

    if core is None or not isinstance(encoder, core.FindingsEncoder):
        return None
    got = core_chunk_inputs(data, ctx)
    if got is None:
        return None
    lines, nrows = core.encode_table_chunk(
        got.matcher, encoder, got.norm, ctx.delim[0], got.spans, got.plans, list(ctx.header), got.only, got.rules,
        first_row, base, got.asker, _answers(data, got.norm, base, first_row, ctx, got.spans), ctx.digest_fn,
        got.original, got.mapping,
    )  # fmt: skip
    return bytes(lines), nrows


class ChunkInputs(NamedTuple):
    """What a chunk call into the core takes, the same for every chunk pass (:func:`core_chunk_inputs`)."""

    matcher: Any
    """The tier's core matcher."""
    norm: bytes
    """The chunk normalized (:func:`engine.phi.normalize.normalize_bytes_with_map`)."""
    spans: list[tuple[int, int, int]]
    """The cue rules' spans in ``norm`` (:func:`_cue_spans`)."""
    plans: list[tuple[str, str]]
    """Each cue kind's category and digest normalizer (:func:`_cue_plans`)."""
    only: list[bool] | None
    """Per header column, whether its findings are kept (None: every column's)."""
    rules: list[tuple[int, Any]]
    """The labelled columns' core rules, ``(column, rule)``."""
    asker: Callable[..., Any]
    """The core's question for a candidate it cannot decide (:func:`engine.phi.native_match.asker`)."""
    original: bytes | None
    """The chunk as read where normalization changed it, else None."""
    mapping: tuple[Any, Any, Any, Any] | None
    """The offset map from ``norm`` back to ``original`` (None where normalization changed nothing)."""


def core_chunk_inputs(data: bytes, ctx: ScanContext) -> ChunkInputs | None:
    """The core call's inputs for a chunk of whole rows, or None where the core cannot run it (the tier
    has no core matcher, or a labelled column's rule does not compile in the core). The core must be
    built (``engine.phi.native.core`` is not None)."""
    tier = ctx.patterns
    core_matcher = native_match.matcher_for(tier)
    if core_matcher is None:
        return None
    rules = [(col, column_rule(matcher)) for col, matcher in ctx.labelled]
    if any(rule is None for _, rule in rules):
        return None
    norm, omap = normalize_bytes_with_map(data)
    mapping = None if omap.identity else (omap.norm_starts, omap.norm_lens, omap.orig_starts, omap.orig_lens)
    spans = _cue_spans(norm)
    only = None if ctx.only is None else [name in ctx.only for name in ctx.header]
    return ChunkInputs(
        core_matcher, norm, spans, _cue_plans(), only, rules, native_match.asker(tier.patterns, norm),
        None if mapping is None else data, mapping,
    )


def _cue_spans(norm: bytes) -> list[tuple[int, int, int]]:
    """The cue rules' spans ``(start, end, kind)`` of a chunk, as :func:`engine.phi.cue_matches.matches` finds them."""
    found = native_cues.find(norm, True) if native_cues.enabled(len(norm)) else None
    if found is None:
        found = cue_matches.find(norm.decode("latin-1"), bytes_mode=True)
    kinds = {kind: i for i, kind in enumerate(_CUE_KINDS)}
    return [(s, e, kinds[cat]) for s, e, cat in found]


def _cue_plans() -> list[tuple[str, str]]:
    """Each cue kind's category and digest normalizer, in :data:`_CUE_KINDS` order."""
    pats = cue_matches.patterns()
    return [(kind, pats[kind].category.normalize) for kind in _CUE_KINDS]


def _answers(
    data: bytes, norm: bytes, base: int, first_row: int, ctx: ScanContext, spans: list[tuple[int, int, int]]
) -> Callable[[list[tuple[int, int, int]], list[tuple[int, int, int, int, bool]]], tuple[list[str], list[str | None]]]:
    """The batch answer to what the core left to Python: digests and undecided labelled cells."""
    def answer(
        digests: list[tuple[int, int, int]], cells: list[tuple[int, int, int, int, bool]]
    ) -> tuple[list[str], list[str | None]]:
        patterns = ctx.patterns.patterns
        pats = cue_matches.patterns()
        out = [
            ctx.digest_of(patterns[kind] if kind >= 0 else pats[_CUE_KINDS[spans[-1 - kind][2]]], norm[vs:ve])
            for kind, vs, ve in digests
        ]
        decided: list[str | None] = []
        for k, r, vs, ve, known in cells:
            col, matcher = ctx.labelled[k]
            if known:  # accepted by the core, its normalizer Python's
                raw = data[vs:ve]
                decided.append(ctx.digest_value(matcher.category.name, raw, matcher.normalizer(raw.decode("ascii"))))
                continue
            found = cell_finding(data, base, first_row + r, ctx.header[col], matcher, vs, ve, ctx)
            decided.append(None if found is None else found.digest)
        return out, decided

    return answer
