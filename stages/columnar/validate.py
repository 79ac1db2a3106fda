"""``validate``'s rules over frames: each rule a column operation per batch, counting into its check.

The checks (``stages.stage_05_validate._Check``) keep their counters and their ``finish``; only how
they are fed changes: a batch at a time instead of a row at a time. ``unique`` keeps one keyed
16-byte digest per distinct key, as the row path does, and stops at ``max_unique_keys``; the
native core keeps them when it is built (:func:`engine.native_unique_keys`), a batch per call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from engine import native_unique_keys
from stages.columnar import cells


def _hits(check: Any, mask: Any, offset: int) -> None:
    """Count the rows where ``mask`` is true as violations; note the first row numbers."""
    n = int(mask.sum())
    if not n:
        return
    room = check.sample - len(check.first_rows)
    if room > 0:
        check.first_rows.extend(offset + 1 + int(i) for i in mask.arg_true().head(room).to_list())
    check.violations += n


def _unique(check: Any, values: list[Any], present: Any, offset: int, core: Any) -> None:
    """Count repeated keys; ``core`` is the native core's key set for this rule, or None (the loop below)."""
    import polars as pl

    if check.overflow:
        return
    keys = pl.DataFrame({f"k{i}": cells.strip(v) for i, v in enumerate(values)}).select(
        pl.concat_str(pl.all(), separator="\x1f")).to_series()
    if core is not None:
        rows = present.arg_true()
        repeated = core.feed(keys.gather(rows).to_list())
        check.violations += len(repeated)
        room = check.sample - len(check.first_rows)
        check.first_rows.extend(offset + 1 + int(rows[i]) for i in repeated[:max(room, 0)])
        check.overflow = core.overflow
        return
    seen, salt, limit = check.seen, check.salt, check.max_keys
    for i in present.arg_true().to_list():
        key = hashlib.blake2b(keys[i].encode(), digest_size=16, key=salt).digest()
        if key in seen:
            check.violations += 1
            if len(check.first_rows) < check.sample:
                check.first_rows.append(offset + 1 + i)
        elif len(seen) >= limit:
            check.overflow = True
            return
        else:
            seen.add(key)


def feed(checks: Iterable[Any], batches: Iterable[tuple[int, Any]], missing_values: frozenset[str]) -> int:
    """Feed every batch ``(rows before it, frame of c0..cN)`` to every check; the rows read."""
    checks = list(checks)
    cores = [native_unique_keys(c.max_keys) if c.rule.kind == "unique" else None for c in checks]
    rows = 0
    for offset, frame in batches:
        rows = offset + frame.height
        missing_cache: dict[int, Any] = {}

        def column(p: int, frame: Any = frame) -> Any:
            return frame.get_column(f"c{p}")

        def missing(p: int, frame: Any = frame, cache: dict[int, Any] = missing_cache) -> Any:
            if p not in cache:
                cache[p] = cells.is_missing(frame.get_column(f"c{p}"), missing_values)
            return cache[p]

        for check, core in zip(checks, cores, strict=True):
            _feed_one(check, [column(p) for p in check.pos], [missing(p) for p in check.pos], frame.height, offset,
                      core)
    return rows


def _feed_one(check: Any, values: list[Any], missing: list[Any], height: int, offset: int, core: Any) -> None:
    rule = check.rule
    kind = rule.kind
    if kind == "missing":
        check.checked += height
        check.missing += int(missing[0].sum())
        return
    any_missing = missing[0]
    for m in missing[1:]:
        any_missing = any_missing | m
    present = ~any_missing
    n_missing = int(any_missing.sum())
    check.missing += n_missing
    check.checked += height - n_missing
    if kind == "range":
        number = cells.parse_number(values[0])
        parsed = present & number.is_not_null()
        check.skipped += int((present & number.is_null()).sum())
        out = parsed & False
        if rule.min is not None:
            out = out | (number < rule.min).fill_null(False)
        if rule.max is not None:
            out = out | (number > rule.max).fill_null(False)
        _hits(check, parsed & out, offset)
    elif kind == "allowed":
        _hits(check, present & ~cells.strip(values[0]).is_in(list(rule.values)), offset)
    elif kind == "pattern":
        matched = cells.full_match_expr(rule.pattern, cells.strip(values[0]))
        _hits(check, present & ~(cells.full_match(rule.pattern, values[0]) if matched is None else matched), offset)
    elif kind == "code":
        _hits(check, present & ~cells.codes_ok(rule.system or "", values[0]), offset)
    elif kind == "date_order":
        earlier = cells.parse_dates(values[0], check.date_formats[0])
        later = cells.parse_dates(values[1], check.date_formats[1])
        both = present & earlier.is_not_null() & later.is_not_null()
        check.skipped += int((present & ~both).sum())
        bad = (later < earlier) if rule.allow_equal else (later <= earlier)
        _hits(check, both & bad.fill_null(False), offset)
    elif kind == "unique":
        _unique(check, values, present, offset, core)
