"""``summary``'s per-column statistics over frames: every column's statistics of a batch in one query.

The accumulated state is what the row path (:class:`stages.stage_20_summary.ColumnStats`) keeps,
and its ``result`` (kinds, small-cell rules, rounding, PHI columns) is reused as it is:

- counts, missing and lengths: sums per batch; the value counts of a column stop at
  ``max_categories`` distinct values, as before;
- the ``k`` smallest and largest numbers and up to ``k`` distinct numbers: exact, merged per batch;
- mean and variance: per batch, merged (Chan's formula); equal to the row path's Welford sums up to
  the last bits of a double, so the rounded figures agree except at a rounding tie;
- the quantile sample: every number while a column has at most ``RESERVOIR`` of them (then the
  quartiles are exact, as before); beyond, a uniform reservoir sample drawn with skips (Li's
  algorithm L), deterministic per column but not the row path's draw.

Why one query and not a Series operation at a time: a batch's columns are stripped and parsed as
numbers together (two frame-wide steps, the columns in parallel), and every count, moment and
extreme of every column is one ``select``; Python then only merges a row of scalars and short lists
per column. A column's value counts reach Python only up to ``max_categories + 1`` entries (more
means it is not categorical), and its numbers only where the reservoir takes one.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterable
from typing import Any

from engine import native_reservoir_draw
from stages.columnar import cells


class Reservoir:
    """A uniform sample of at most ``size`` values of a stream fed in batches.

    Algorithm L draws O(size·log(n/size)) random numbers, not one per value. The skips are drawn in
    one tight loop per batch (the same draws, in the same order, as one call per skip); in the native
    core when it is built (:func:`engine.native_reservoir_draw`: the same draws from the same
    generator state, bit for bit), else here, the reference."""

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.values: list[float] = []
        self.seen = 0
        self.rng = random.Random(seed)
        self.w = 1.0
        self.next = 0
        """Stream index of the next value that replaces a sampled one (once the sample is full)."""
        self.core = native_reservoir_draw() if size < 1 << 32 else None

    def _skips(self, end: int) -> list[int]:
        """Advance past every stream index below ``end`` that replaces a value; those indexes."""
        rand, log, exp, log1p, floor = self.rng.random, math.log, math.exp, math.log1p, math.floor
        size, w, nxt = self.size, self.w, self.next
        out: list[int] = []
        while nxt < end:
            out.append(nxt)
            w *= exp(log(1.0 - rand()) / size)
            nxt += (floor(log(1.0 - rand()) / log1p(-w)) if w < 1.0 else 0) + 1
        self.w, self.next = w, nxt
        return out

    def slot(self) -> int:
        """``rng.randrange(size)``, spelled out as :meth:`add` draws it inline (CPython's algorithm)."""
        width = self.size.bit_length()
        slot = self.rng.getrandbits(width)
        while slot >= self.size:
            slot = self.rng.getrandbits(width)
        return slot

    def _native(self, end: int, slots: bool) -> tuple[list[int], list[int]] | None:
        """:meth:`_skips` (and, when ``slots``, a slot per pick) in the native core, from and back to
        ``self.rng``'s state; None where the core does not draw (not built, switched off, a huge sample)."""
        if self.core is None:
            return None
        version, state, gauss = self.rng.getstate()
        picks, chosen, self.w, self.next, words, index = self.core(list(state[:-1]), state[-1], self.size, self.w,
                                                                   self.next, end, slots)
        self.rng.setstate((version, (*words, index), gauss))
        return picks, chosen

    def add(self, n: int, numbers: Callable[[], Any]) -> None:
        """Feed the batch's ``n`` values; ``numbers()`` gives them as a Series, called only if one is sampled."""
        start = self.seen
        end = start + n
        fill = min(n, self.size - len(self.values))
        batch = None
        if fill > 0:
            batch = numbers()
            self.values.extend(batch.head(fill).to_list())
            if len(self.values) == self.size:
                self.next = start + fill - 1
                if self._native(self.next + 1, slots=False) is None:
                    self._skips(self.next + 1)
        if len(self.values) == self.size and self.next < end:
            drawn = self._native(end, slots=True)
            if drawn is not None:
                batch = numbers() if batch is None else batch
                last = dict(zip(drawn[1], drawn[0], strict=True))  # of the picks a slot takes, the last stays
                values = self.values
                for slot, value in zip(last, batch.gather([i - start for i in last.values()]).to_list(), strict=True):
                    values[slot] = value
                self.seen = end
                return
            picks = [i - start for i in self._skips(end)]
            batch = numbers() if batch is None else batch
            bits, size, values = self.rng.getrandbits, self.size, self.values
            width = size.bit_length()
            for value in batch.gather(picks).to_list():
                slot = bits(width)  # rng.randrange(size), inline (see slot and its test)
                while slot >= size:
                    slot = bits(width)
                values[slot] = value
        self.seen = end


def accumulate(stats: list[Any], batches: Iterable[tuple[int, Any, frozenset[int] | None]], reservoir: int) -> int:
    """Feed every batch's columns ``c0..cN`` into ``stats`` (row-path ``ColumnStats``); the rows read.

    ``batches``: ``(rows before, frame, spaced columns or None)`` (:func:`stages.columnar.source.spaced_batches`).
    """
    samplers = [Reservoir(reservoir, seed=i) for i in range(len(stats))]
    rows = 0
    for offset, frame, spaced in batches:
        rows = offset + frame.height
        if frame.height:
            _add_batch(stats, samplers, frame, spaced)
    for col, sampler in zip(stats, samplers, strict=True):
        col.sample = sampler.values
    return rows


def number_candidate(text: Any) -> Any:
    """Float64 of the stripped cells that are finite numbers by the row path's rule and not codes; null elsewhere.

    Polars' cast to Float64 accepts exactly the row path's number pattern (``stages.dictionary.NUM_RE``)
    plus ``inf``, ``nan`` and ``infinity`` in any case, which are not finite; so the finite casts are
    the row path's numbers and the pattern need not run over the cells as well
    (tests/dataplane/test_summary_numbers.py holds the two rules to each other).
    """
    import polars as pl

    number = text.cast(pl.Float64, strict=False)
    # A leading zero marks a code, not a quantity (the row path's rule; "0" is a byte, so bytes count as characters).
    code = text.str.starts_with("0") & (text.str.len_bytes() > 1) & ~text.str.starts_with("0.")
    return pl.when(number.is_finite() & ~code).then(number)


WIDE_COLUMNS = 256
"""From this many columns a batch is summarized in long form (:func:`_add_wide_batch`)."""


def _add_batch(stats: list[Any], samplers: list[Reservoir], frame: Any, spaced: frozenset[int] | None) -> None:
    import polars as pl

    width = len(stats)
    if width >= WIDE_COLUMNS and all(dtype == pl.String for dtype in frame.dtypes):
        _add_wide_batch(stats, samplers, frame)
        return
    work = frame.select([cells.stripped(i, spaced).alias(f"s{i}") for i in range(width)])
    work = work.with_columns([number_candidate(pl.col(f"s{i}")).alias(f"n{i}") for i in range(width)])
    selects: list[Any] = []
    for i, col in enumerate(stats):
        text, numbers = pl.col(f"s{i}"), pl.col(f"n{i}").drop_nulls()
        present = text.filter(text != "")
        selects += [present.len().alias(f"present{i}"), present.str.len_chars().sum().alias(f"length{i}"),
                    numbers.len().alias(f"numeric{i}"), numbers.mean().alias(f"mean{i}"),
                    ((numbers - numbers.mean()) ** 2).sum().alias(f"m2{i}"),
                    numbers.bottom_k(col.k).implode().alias(f"smallest{i}"),
                    numbers.top_k(col.k).implode().alias(f"largest{i}")]
        if col.counts is not None:
            selects.append(present.value_counts().head(col.max_categories + 1).implode().alias(f"counts{i}"))
        if len(col.distinct_numbers) < col.k:
            selects.append(numbers.unique().head(col.k).implode().alias(f"distinct{i}"))
    result = work.select(selects).row(0, named=True)
    for i, col in enumerate(stats):
        _merge(col, result, i, frame.height)
        nb = result[f"numeric{i}"]
        if nb:
            samplers[i].add(nb, _numbers_of(work, i))


def _add_wide_batch(stats: list[Any], samplers: list[Reservoir], frame: Any) -> None:
    """:func:`_add_batch` for a wide frame: its cells in one long column, the figures per column by one group-by.

    Why: one ``select`` of seven or more expressions per column costs Polars' planner about the same
    per expression whatever the rows, so a 20,000-column batch of 50 rows spent about a minute
    planning; in long form the same figures are nine aggregations. The result is keyed as
    :func:`_add_batch`'s, so the merge is the same; every column is stripped (stripping a column
    that has no spaced cell changes nothing).
    """
    import polars as pl

    height, k, categories = frame.height, stats[0].k, stats[0].max_categories  # one config for every column
    # unpivot stacks the columns in order, c0's cells first, so column i's cells are rows i*height.. of it.
    long = frame.select([f"c{i}" for i in range(len(stats))]).unpivot(variable_name="column", value_name="cell")
    long = long.with_columns(cells.strip(pl.col("cell")))
    long = long.with_columns(number_candidate(pl.col("cell")).alias("number"))
    present, numbers = pl.col("cell").filter(pl.col("cell") != ""), pl.col("number").drop_nulls()
    figures = long.group_by("column", maintain_order=True).agg(
        present.len().alias("present"), present.str.len_chars().sum().alias("length"),
        numbers.len().alias("numeric"), numbers.mean().alias("mean"),
        ((numbers - numbers.mean()) ** 2).sum().alias("m2"),
        numbers.bottom_k(k).alias("smallest"), numbers.top_k(k).alias("largest"),
        present.value_counts().head(categories + 1).alias("counts"), numbers.unique().head(k).alias("distinct"))
    result: dict[str, Any] = {}
    names = figures.get_column("column").to_list()
    index = {f"c{i}": i for i in range(len(stats))}
    for figure in figures.columns[1:]:
        for name, value in zip(names, figures.get_column(figure).to_list(), strict=True):
            result[f"{figure}{index[name]}"] = value
    number_column = long.get_column("number")
    for i, col in enumerate(stats):
        _merge(col, result, i, height)
        nb = result[f"numeric{i}"]
        if nb:
            samplers[i].add(nb, _slice_numbers(number_column, i, height))


def _slice_numbers(numbers: Any, i: int, height: int) -> Callable[[], Any]:
    """Column ``i``'s numbers of a long-form batch, in row order, when the reservoir asks for them."""
    return lambda: numbers.slice(i * height, height).drop_nulls()


def _numbers_of(work: Any, i: int) -> Callable[[], Any]:
    """Column ``i``'s numbers of the batch, in row order, when the reservoir asks for them."""
    return lambda: work.get_column(f"n{i}").drop_nulls()


def _merge(col: Any, result: dict[str, Any], i: int, height: int) -> None:
    """Add column ``i``'s figures of one batch (``result``) to its statistics ``col``."""
    present = result[f"present{i}"]
    col.n += height
    col.missing += height - present
    if not present:
        return
    col.total_length += int(result[f"length{i}"])
    if col.counts is not None:
        for entry in result[f"counts{i}"]:
            value, count = entry.values()
            col.counts[value] = col.counts.get(value, 0) + count
        if len(col.counts) > col.max_categories:
            col.counts = None
    nb = result[f"numeric{i}"]
    if not nb:
        return
    na = col.numeric
    n = na + nb
    mean_b = float(result[f"mean{i}"])
    delta = mean_b - col.mean
    col.mean += delta * nb / n
    col.m2 += float(result[f"m2{i}"]) + delta * delta * na * nb / n
    col.numeric = n
    k = col.k
    for v in result[f"smallest{i}"]:
        if len(col.smallest) < k:
            heapq.heappush(col.smallest, -v)
        elif v < -col.smallest[0]:
            heapq.heapreplace(col.smallest, -v)
    for v in result[f"largest{i}"]:
        if len(col.largest) < k:
            heapq.heappush(col.largest, v)
        elif v > col.largest[0]:
            heapq.heapreplace(col.largest, v)
    if len(col.distinct_numbers) < k:
        for v in result[f"distinct{i}"]:
            if len(col.distinct_numbers) >= k:
                break
            col.distinct_numbers.add(v)
