"""Batches of an input's rows as Polars frames of text cells, numbered as the row reader numbers them.

Why through :class:`stages.tabular.TableReader`: it is the one definition of how a CSV/TSV/JSONL/text
file parses (quotes, blank lines, ragged rows, encodings such as cp1252 transcoded as they are
read), so a column check sees exactly the cells the row check saw. A short (ragged) row's missing
cells are empty, as :func:`stages.tabular.cell` gives them. Typed files are read by the data plane
in its own batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from engine.dataplane.formats import is_typed
from stages.tabular import TabularError, open_table

BATCH_ROWS = 65_536


def column_names(width: int) -> list[str]:
    """Positional frame column names: a header may repeat or hold PHI; positions do neither."""
    return [f"c{i}" for i in range(width)]


def text_batches(path: Path, profile: Any, *, max_field_chars: int, checkpoint: Callable[[], None] | None = None,
                 batch_rows: int = BATCH_ROWS) -> Iterator[tuple[int, Any]]:
    """``(rows before this batch, frame)`` for every batch of data rows; the frame's columns are
    ``c0..cN`` for the profile's columns, every cell a string."""
    import polars as pl

    width = len(profile.columns)
    names = column_names(width)
    if is_typed(profile.format):
        yield from _typed_batches(path, profile.format, names, max_field_chars, checkpoint, batch_rows)
        return
    with open_table(path, profile, max_field_chars=max_field_chars, checkpoint=checkpoint) as reader:
        rows = iter(reader)
        done = 0
        while True:
            batch = list(islice(rows, batch_rows))
            if not batch:
                return
            if all(len(r) == width for r in batch):
                padded = batch
            else:
                padded = [r[:width] + [""] * (width - len(r)) for r in batch]
            columns = list(zip(*padded, strict=True)) if width else []
            frame = pl.DataFrame({n: pl.Series(n, c, dtype=pl.String) for n, c in zip(names, columns, strict=True)},
                                 height=len(batch))
            yield done, frame
            done += len(batch)


def _typed_batches(path: Path, fmt: str, names: list[str], max_field_chars: int,
                   checkpoint: Callable[[], None] | None, batch_rows: int) -> Iterator[tuple[int, Any]]:
    """A typed file's own batches as text, without a detour through rows; fields checked as the reader does."""
    import polars as pl

    from engine.dataplane.frames import TypedTable, as_text

    done = 0
    for batch in TypedTable(path, fmt, batch_rows=batch_rows).batches():
        if checkpoint is not None:
            checkpoint()
        frame = as_text(batch)
        frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
        if names:
            too_long = frame.select(pl.max_horizontal(pl.all().str.len_chars()) > max_field_chars).to_series()
            if too_long.any():
                row = done + 1 + int(too_long.arg_true()[0])
                raise TabularError(f"a field in data row {row} is longer than {max_field_chars} characters "
                                   "(an unclosed quote?); raise 'max_field_chars' if it is real")
        yield done, frame
        done += frame.height
