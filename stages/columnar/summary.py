"""``summary``'s per-column statistics over frames: each statistic a column operation per batch.

The accumulated state is what the row path (:class:`stages.stage_20_summary._ColumnStats`) keeps,
and its ``result`` (kinds, small-cell rules, rounding, PHI columns) is reused as it is:

- counts, missing and lengths: sums per batch; the value counts of a column stop at
  ``max_categories`` distinct values, as before;
- the ``k`` smallest and largest numbers and up to ``k`` distinct numbers: exact, merged per batch;
- mean and variance: per batch, merged (Chan's formula); equal to the row path's Welford sums up to
  the last bits of a double, so the rounded figures agree except at a rounding tie;
- the quantile sample: every number while a column has at most ``RESERVOIR`` of them (then the
  quartiles are exact, as before); beyond, a uniform reservoir sample drawn with skips (Li's
  algorithm L), deterministic per column but not the row path's draw.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterable
from typing import Any

from stages.columnar import cells
from stages.dictionary import _NUM_RE


class _Reservoir:
    """A uniform sample of at most ``size`` values of a stream fed in batches.

    Algorithm L draws O(size·log(n/size)) random numbers, not one per value."""

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.values: list[float] = []
        self.seen = 0
        self.rng = random.Random(seed)
        self.w = 1.0
        self.next = 0
        """Stream index of the next value that replaces a sampled one (once the sample is full)."""

    def _advance(self) -> None:
        self.w *= math.exp(math.log(1.0 - self.rng.random()) / self.size)
        step = math.floor(math.log(1.0 - self.rng.random()) / math.log1p(-self.w)) if self.w < 1.0 else 0
        self.next += step + 1

    def add(self, batch: Any) -> None:
        n = batch.len()
        start = self.seen
        fill = min(n, self.size - len(self.values))
        if fill > 0:
            self.values.extend(batch.head(fill).to_list())
            if len(self.values) == self.size:
                self.next = start + fill - 1
                self._advance()
        end = start + n
        picks: list[int] = []
        while len(self.values) == self.size and self.next < end:
            picks.append(self.next - start)
            self._advance()
        if picks:
            for value in batch.gather(picks).to_list():
                self.values[self.rng.randrange(self.size)] = value
        self.seen = end


def accumulate(stats: list[Any], batches: Iterable[tuple[int, Any]], reservoir: int) -> int:
    """Feed every batch's columns ``c0..cN`` into ``stats`` (row-path ``_ColumnStats``); the rows read."""
    samplers = [_Reservoir(reservoir, seed=i) for i in range(len(stats))]
    rows = 0
    for offset, frame in batches:
        rows = offset + frame.height
        for i, col in enumerate(stats):
            _add(col, samplers[i], frame.get_column(f"c{i}"))
    for col, sampler in zip(stats, samplers, strict=True):
        col.sample = sampler.values
    return rows


def _add(col: Any, sampler: _Reservoir, text: Any) -> None:
    import polars as pl

    col.n += text.len()
    value = cells.strip(text)
    present = value.filter(value != "")
    col.missing += text.len() - present.len()
    if not present.len():
        return
    col.total_length += int(present.str.len_chars().sum())
    if col.counts is not None:
        for v, c in present.value_counts().iter_rows():
            col.counts[v] = col.counts.get(v, 0) + c
        if len(col.counts) > col.max_categories:
            col.counts = None
    # A leading zero marks a code, not a quantity (the row path's rule).
    code = (present.str.len_chars() > 1) & present.str.starts_with("0") & (present.str.slice(1, 1) != ".")
    candidates = present.filter(~code & present.str.contains(_NUM_RE.pattern))
    numbers = candidates.cast(pl.Float64, strict=False)
    numbers = numbers.filter(numbers.is_finite())
    nb = numbers.len()
    if not nb:
        return
    _moments(col, numbers)
    k = col.k
    for v in numbers.bottom_k(k).to_list():
        if len(col.smallest) < k:
            heapq.heappush(col.smallest, -v)
        elif v < -col.smallest[0]:
            heapq.heapreplace(col.smallest, -v)
    for v in numbers.top_k(k).to_list():
        if len(col.largest) < k:
            heapq.heappush(col.largest, v)
        elif v > col.largest[0]:
            heapq.heapreplace(col.largest, v)
    if len(col.distinct_numbers) < k:
        for v in numbers.unique().head(k).to_list():
            if len(col.distinct_numbers) >= k:
                break
            col.distinct_numbers.add(v)
    sampler.add(numbers)


def _moments(col: Any, numbers: Any) -> None:
    """Merge the batch's count, mean and sum of squared deviations into the column's (Chan et al.)."""
    nb = numbers.len()
    mean_b = float(numbers.mean())
    m2_b = float(((numbers - mean_b) ** 2).sum())
    na = col.numeric
    n = na + nb
    delta = mean_b - col.mean
    col.mean += delta * nb / n
    col.m2 += m2_b + delta * delta * na * nb / n
    col.numeric = n
