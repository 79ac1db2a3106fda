"""A table chunk's findings from one call into the native core (the structured tier's hot loop).

Why: after the core found the candidates, a dense scan spent most of its time in Python per
finding - validators, the candidate walk, the row and column of each match, its digest. Here
the core does all of that for a chunk in one call (``Matcher.scan_table``, the GIL released),
and Python only builds the :class:`Finding` tuples. The cue rules (names, places) stay in
Python: their spans are passed in and merged by the core exactly as
:func:`engine.phi.matcher.iter_matches` merges them; what the core cannot decide (a prefix
candidate, a validator it lacks, a non-ASCII value or digest) it asks Python. The labelled
columns' cells (:func:`core_labelled`) are checked in the core as well. The reference is
the Python loop in :mod:`engine.phi.scan.table`; the findings are identical (tests/native).
"""

from __future__ import annotations

from typing import Any

from engine.phi import cue_matches, native_match
from engine.phi.normalize import normalize_bytes_with_map
from engine.phi.prefilter import Unsupported
from engine.phi.registry import ColumnMatcher
from engine.phi.scan.context import ScanContext
from engine.phi.scan.findings import Finding
from engine.phi.scan.labelled import cell_finding


def core_findings(
    data: bytes, base: int, first_row: int, ctx: ScanContext
) -> tuple[list[Finding], list[int], set[tuple[int, int]]] | None:
    """``(findings, value starts, cells a pattern found)`` of a chunk, or None: the Python path.

    None where the core is not in use or ``RFLOW_PHI_CORE_WALK=0``. A chunk that Unicode
    normalization changes (a no-break space, a fullwidth digit) is matched normalized, its
    offsets mapped back by the core as :class:`engine.phi.normalize.OffsetMap` does; non-ASCII
    values are decided by Python.
    """
    if not native_match.core_walks():
        return None
    tier = ctx.patterns
    core_matcher: Any = native_match.matcher_for(tier)
    if core_matcher is None:
        return None
    norm, omap = normalize_bytes_with_map(data)
    mapping = None if omap.identity else (omap.norm_starts, omap.norm_lens, omap.orig_starts, omap.orig_lens)
    extras = cue_matches.matches(norm)
    patterns = tier.patterns
    rows = core_matcher.scan_table(
        norm, ctx.delim[0], [(e[1], e[4]) for e in extras], native_match.asker(patterns, norm), ctx.digest_fn,
        None if mapping is None else data, mapping,
    )  # fmt: skip
    header = ctx.header
    ncols = len(header)
    only = ctx.only
    digest_of = ctx.digest_of
    out: list[Finding] = []
    starts: list[int] = []
    taken: set[tuple[int, int]] = set()
    for kind, vs, ve, r, col, in_cell, digest, nvs, nve in rows:
        name = header[col] if col < ncols else None
        if only is not None and name not in only:
            continue
        pat = patterns[kind] if kind >= 0 else extras[-1 - kind][0]
        if digest is None:
            digest = digest_of(pat, norm[nvs:nve])
        out.append(Finding(pat.category.name, first_row + r, name, base + vs, ve - vs, digest))
        starts.append(vs)
        if in_cell:
            taken.add((r, col))
    return out, starts, taken


def core_labelled(
    data: bytes, base: int, first_row: int, ctx: ScanContext, taken: set[tuple[int, int]]
) -> list[tuple[int, int, Finding]] | None:
    """The labelled columns' findings of a chunk as ``(value start, 1, finding)``, or None when a
    column's rule does not compile in the core (then the Python loop checks every cell)."""
    from engine.phi.native import core

    rules = [(col, column_rule(matcher)) for col, matcher in ctx.labelled]
    if core is None or any(rule is None for _, rule in rules):
        return None
    header = ctx.header
    out: list[tuple[int, int, Finding]] = []
    for r, k, vs, ve, decided, digest in core.labelled_cells(data, ctx.delim[0], rules, taken, ctx.digest_fn):
        col, matcher = ctx.labelled[k]
        if not decided:
            found = cell_finding(data, base, first_row + r, header[col], matcher, vs, ve, ctx)
            if found is not None:
                out.append((vs, 1, found))
            continue
        cat = matcher.category
        if digest is None:
            raw = data[vs:ve]
            digest = ctx.digest_value(cat.name, raw, matcher.normalizer(raw.decode("ascii")))
        out.append((vs, 1, Finding(cat.name, first_row + r, header[col], base + vs, ve - vs, digest)))
    return out


_COLUMNS: dict[int, tuple[ColumnMatcher, Any]] = {}


def column_rule(matcher: ColumnMatcher) -> Any:
    """The core's rule for a labelled column (compiled once per process), or None if it has none."""
    hit = _COLUMNS.get(id(matcher))
    if hit is not None and hit[0] is matcher:
        return hit[1]
    from engine.phi.native import core

    assert core is not None
    names = [native_match.validator_name(check) for check in matcher.validators]
    try:
        rule = core.Column((native_match.translate(matcher.str_re.pattern), names, matcher.category.name,
                            matcher.category.normalize))  # fmt: skip
    except (Unsupported, ValueError):
        rule = None
    _COLUMNS[id(matcher)] = (matcher, rule)
    return rule
