"""``validate``'s rules over frames: every rule's counts of a batch in one Polars query.

The checks (``stages.stage_05_validate._Check``) keep their counters and their ``finish``; only how
they are fed changes: a batch at a time instead of a row at a time. Each batch's columns are stripped
once (only those where a cell may start or end with whitespace), read as numbers and dates once
however many rules read them, and every count and first row of every rule is one ``select``.
``unique`` keeps one keyed 16-byte digest per distinct key, as the row path does, and stops at
``max_unique_keys``; the native core keeps them when it is built (:func:`engine.native_unique_keys`),
a batch per call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from engine import native_unique_keys
from stages.columnar import cells
from stages.dictionary import DATE_RE, NUM_RE


def _unique(check: Any, keys: Any, rows: Any, offset: int, core: Any) -> None:
    """Count repeated keys (``keys`` of the rows ``rows`` of the batch, none missing); ``core`` is the
    native core's key set for this rule, or None (the loop below)."""
    if check.overflow:
        return
    if core is not None:
        repeated = core.feed(keys.to_list())
        check.violations += len(repeated)
        room = check.sample - len(check.first_rows)
        check.first_rows.extend(offset + 1 + int(rows[i]) for i in repeated[:max(room, 0)])
        check.overflow = core.overflow
        return
    seen, salt, limit = check.seen, check.salt, check.max_keys
    for key_text, i in zip(keys.to_list(), rows.to_list(), strict=True):
        key = hashlib.blake2b(key_text.encode(), digest_size=16, key=salt).digest()
        if key in seen:
            check.violations += 1
            if len(check.first_rows) < check.sample:
                check.first_rows.append(offset + 1 + i)
        elif len(seen) >= limit:
            check.overflow = True
            return
        else:
            seen.add(key)


def feed(checks: Iterable[Any], batches: Iterable[tuple[int, Any, frozenset[int] | None]],
         missing_values: frozenset[str]) -> int:
    """Feed every batch ``(rows before it, frame of c0..cN, spaced columns or None)`` to every check; the rows read."""
    checks = list(checks)
    cores = [native_unique_keys(c.max_keys) if c.rule.kind == "unique" else None for c in checks]
    rows = 0
    for offset, frame, spaced in batches:
        rows = offset + frame.height
        if frame.height:
            _feed_batch(checks, cores, frame, spaced, offset, missing_values)
    return rows


def _feed_batch(checks: list[Any], cores: list[Any], frame: Any, spaced: frozenset[int] | None, offset: int,
                missing_values: frozenset[str]) -> None:
    """One batch through every check: the columns stripped once, every count one ``select``."""
    import polars as pl

    positions = sorted({p for check in checks for p in check.pos})
    missing = sorted(missing_values)
    # Every read column stripped and its missing mask, each as one expression over many columns (a
    # wide file has a rule per column: one expression each was most of the batch's time).
    bare = [f"c{p}" for p in positions if spaced is not None and p not in spaced]
    strip = [f"c{p}" for p in positions if spaced is None or p in spaced]
    work = frame.select([*([pl.col(bare).name.map(_renamed("s"))] if bare else []),
                         *([cells.strip(pl.col(strip)).name.map(_renamed("s"))] if strip else [])])
    if positions:
        work = work.with_columns(pl.col([f"s{p}" for p in positions]).is_in(missing).name.map(_renamed("m")))
    alone = [(k, check.pos[0]) for k, check in enumerate(checks) if check.rule.kind == "missing"]
    if alone:  # a missing-value rule's count is its column's mask summed: all of them in one query
        counts = work.select(pl.col(sorted({f"m{p}" for _, p in alone})).sum()).row(0, named=True)
        for k, p in alone:
            checks[k].missing += int(counts[f"m{p}"])
            checks[k].checked += frame.height
    derived: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    selects: list[Any] = []
    uniques: list[tuple[int, Any]] = []
    for k, check in enumerate(checks):
        rule = check.rule
        if rule.kind == "missing":
            continue
        any_missing = pl.any_horizontal([pl.col(f"m{p}") for p in check.pos])
        present = ~any_missing
        selects.append(any_missing.sum().alias(f"missing\x1f{k}"))
        mask, skipped = _violations(check, k, present, work, derived, extra)
        if skipped is not None:
            selects.append(skipped.sum().alias(f"skipped\x1f{k}"))
        if mask is not None:
            selects.append(mask.sum().alias(f"hits\x1f{k}"))
            room = check.sample - len(check.first_rows)
            if room > 0:
                selects.append(pl.arg_where(mask).head(room).implode().alias(f"rows\x1f{k}"))
        else:
            uniques.append((k, present))
    if derived:
        work = work.with_columns(**derived)
    if extra:
        work = work.with_columns(**extra)
    result = work.select(selects).row(0, named=True) if selects else {}
    height = frame.height
    for key, value in result.items():
        what, k = key.split("\x1f", 1)
        check = checks[int(k)]
        if what == "missing":
            check.missing += int(value)
            check.checked += height if check.rule.kind == "missing" else height - int(value)
        elif what == "skipped":
            check.skipped += int(value)
        elif what == "hits":
            check.violations += int(value)
        elif what == "rows":
            check.first_rows.extend(offset + 1 + int(i) for i in value)
    for k, present in uniques:
        check = checks[k]
        if check.overflow:
            continue
        keyed = work.select(
            key=pl.concat_str([pl.col(f"s{p}") for p in check.pos], separator="\x1f").filter(present),
            row=pl.arg_where(present))
        _unique(check, keyed.get_column("key"), keyed.get_column("row"), offset, cores[k])


def _renamed(prefix: str) -> Callable[[str], str]:
    """``c12`` -> ``s12`` (a column's name under another prefix)."""
    return lambda name: prefix + name[1:]


def _violations(check: Any, k: int, present: Any, work: Any, derived: dict[str, Any],
                extra: dict[str, Any]) -> tuple[Any | None, Any | None]:
    """``(violation mask, unparsable mask or None)`` of check ``k`` as expressions; ``(None, None)``
    for ``unique`` (fed to its key set apart). Columns several checks read (numbers, dates) go into
    ``derived`` once; what Python decides once per distinct value goes into ``extra``."""
    import polars as pl

    rule = check.rule
    kind = rule.kind
    p = check.pos[0]
    text = pl.col(f"s{p}")
    if kind == "range":
        derived.setdefault(f"n{p}", pl.when(text.str.contains(NUM_RE.pattern))
                           .then(text.cast(pl.Float64, strict=False)))
        number = pl.col(f"n{p}")
        out = pl.lit(False)
        if rule.min is not None:
            out = out | (number < rule.min).fill_null(False)
        if rule.max is not None:
            out = out | (number > rule.max).fill_null(False)
        return present & number.is_not_null() & out, present & number.is_null()
    if kind == "allowed":
        return present & ~text.is_in(list(rule.values)), None
    if kind == "pattern":
        matched = cells.full_match_expr(rule.pattern, text)
        if matched is None:
            extra[f"x{k}"] = cells.full_match(rule.pattern, work.get_column(f"s{p}"))
            matched = pl.col(f"x{k}")
        return present & ~matched, None
    if kind == "code":
        extra[f"x{k}"] = cells.codes_ok(rule.system or "", work.get_column(f"s{p}"))
        return present & ~pl.col(f"x{k}"), None
    if kind == "date_order":
        earlier, later = (_date(pos, fmt, work, derived, extra) for pos, fmt in zip(check.pos, check.date_formats,
                                                                                    strict=True))
        both = present & earlier.is_not_null() & later.is_not_null()
        bad = (later < earlier) if rule.allow_equal else (later <= earlier)
        return both & bad.fill_null(False), present & ~both
    return None, None


def _date(p: int, fmt: str | None, work: Any, derived: dict[str, Any], extra: dict[str, Any]) -> Any:
    """Column ``p``'s dates (ISO in Polars, a strptime ``fmt`` once per distinct value in Python)."""
    import polars as pl

    if fmt:
        name = f"d{p}\x1f{fmt}"
        if name not in extra:
            extra[name] = cells.parse_dates(work.get_column(f"s{p}"), fmt)
        return pl.col(name)
    text = pl.col(f"s{p}")
    # chrono reads year 0; Python's date (and so the row check) does not.
    shaped = text.str.contains(DATE_RE.pattern) & ~text.str.starts_with("0000")
    derived.setdefault(f"d{p}", pl.when(shaped).then(text.str.to_date("%Y-%m-%d", strict=False)))
    return pl.col(f"d{p}")
