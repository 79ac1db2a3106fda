"""The columnar summary's reservoir draws what one call per skip and ``randrange`` per slot draw.

Both ways: the native core's draws (from the generator's state, handed back) and the Python loop.

The sampler draws its skips in one loop per batch and spells ``rng.randrange(size)`` out; the
quartiles of a column with more numbers than the sample depend on that draw, so it must stay the
draw of the plain algorithm (below) whatever the batch sizes.
"""

from __future__ import annotations

import math
import random

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi import native
from stages.columnar.summary import Reservoir


def _reference(size: int, seed: int, batches: list[int]) -> tuple[list[float], object]:
    """Algorithm L, one ``_advance`` per skip, the slot by ``randrange``: the sampler before its loops were fused."""
    rng = random.Random(seed)
    values: list[float] = []
    w, nxt, seen = 1.0, 0, 0

    def advance() -> None:
        nonlocal w, nxt
        w *= math.exp(math.log(1.0 - rng.random()) / size)
        step = math.floor(math.log(1.0 - rng.random()) / math.log1p(-w)) if w < 1.0 else 0
        nxt += step + 1

    for n in batches:
        batch = [float(seen + j) for j in range(n)]
        start, end = seen, seen + n
        fill = min(n, size - len(values))
        if fill > 0:
            values.extend(batch[:fill])
            if len(values) == size:
                nxt = start + fill - 1
                advance()
        picks: list[int] = []
        while len(values) == size and nxt < end:
            picks.append(nxt - start)
            advance()
        for p in picks:
            values[rng.randrange(size)] = batch[p]
        seen = end
    return values, rng.getstate()


@pytest.mark.parametrize("in_core", [True, False], ids=["native core", "Python"])
@given(size=st.integers(1, 300), seed=st.integers(0, 50), batches=st.lists(st.integers(0, 2000), max_size=8))
@settings(max_examples=60, deadline=None)
def test_the_sample_is_the_plain_algorithms(in_core: bool, size: int, seed: int, batches: list[int]) -> None:
    sampler = Reservoir(size, seed)
    assert sampler.core is not None or native.core is None, "the core has no reservoir draws: a stale build"
    if not in_core:
        sampler.core = None
    seen = 0
    for n in batches:
        series = pl.Series([float(seen + j) for j in range(n)])
        sampler.add(n, lambda series=series: series)
        seen += n
    values, state = _reference(size, seed, batches)
    assert sampler.values == values
    assert sampler.rng.getstate() == state  # the stream goes on where Python's would


def test_a_huge_sample_stays_in_python() -> None:
    assert Reservoir(1 << 32, 0).core is None


def test_a_slot_is_randrange() -> None:
    for size in (1, 2, 3, 10, 10_000, 12_345):
        a, b = Reservoir(size, 7), random.Random(7)
        assert [a.slot() for _ in range(200)] == [b.randrange(size) for _ in range(200)]

