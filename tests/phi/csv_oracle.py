"""Where ``csv.reader`` ends each row of some bytes: the oracle of the row splitters' tests.

The bytes are read as a file opened with ``newline=""`` (lines end at ``\\r\\n``, ``\\n`` or a lone
``\\r``); the reader pulls lines one at a time, so the bytes of the lines it has taken when it
gives a row are where that row ends.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator


def csv_row_ends(data: bytes, delim: str) -> list[int]:
    """Offsets just past each row ``csv.reader`` reads from ``data`` (UTF-8); the last is ``len(data)``."""
    lines = io.StringIO(data.decode("utf-8"), newline="").readlines()
    taken = 0

    def feed() -> Iterator[str]:
        nonlocal taken
        for line in lines:
            taken += len(line.encode("utf-8"))
            yield line

    ends = []
    for _ in csv.reader(feed(), delimiter=delim):
        ends.append(taken)
    return ends


def certain_ends(data: bytes, delim: str, k: int) -> list[int]:
    """The row ends of ``data[:k]`` that nothing after ``k`` can move: ``data``'s row ends before
    ``k``, and one at ``k`` unless ``data[k - 1]`` is a ``\\r`` (it may be the first half of ``\\r\\n``)."""
    return [e for e in csv_row_ends(data, delim) if e < k or (e == k < len(data) and data[k - 1 : k] != b"\r")]
