"""Batches of an input's rows as Polars frames of text cells, numbered as the row reader numbers them.

Two ways in, one meaning:

- **Polars' CSV reader**, on blocks of whole records, when the file is one it parses exactly as
  the row reader (:class:`stages.tabular.TableReader`, Python's ``csv`` module) does: UTF-8, no
  ragged rows, quotes only well formed (quoted fields may hold delimiters, newlines, ``\r\n`` and
  doubled quotes), no blank line, no carriage return outside quotes except in ``\r\n``, no NUL.
  :func:`native_csv_ok` takes this from upload's profile, or checks it in one pass over the
  bytes before any row is read (:mod:`stages.columnar.csvchunks`).
- **The row reader** otherwise (malformed quotes, blank lines, ragged rows, cp1252/latin-1 transcoded
  as they are read, JSON lines, text), its rows gathered into frames; a short row's missing cells
  are empty, as :func:`stages.tabular.cell` gives them. Typed files come as the data plane's frames.

Memory is one block (about 4 MiB of text) or one batch of rows, whatever the file's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple

from engine import is_typed
from stages.columnar import csvchunks
from stages.tabular import TabularError, open_table

BATCH_ROWS = 65_536


class NotNativeReadable(TabularError):
    """A block Polars' reader was given holds something the row reader could read otherwise.

    A caller that assumed the file reads natively without a check beforehand (``native_csv=True``
    on a copy no stage has checked) catches it and reads the file again with the row reader.
    """


def column_names(width: int) -> list[str]:
    """Positional frame column names: a header may repeat or hold PHI; positions do neither."""
    return [f"c{i}" for i in range(width)]


class Batch(NamedTuple):
    """A batch of data rows, and which of its columns stripping may change."""

    offset: int
    """The data rows before this batch."""
    frame: Any
    spaced: frozenset[int] | None
    """The column positions where some cell may start or end with whitespace (``str.isspace``), as the
    native core found them in the block's bytes; None: any column may. A column not in it is
    already what :func:`stages.columnar.cells.strip` would give."""


def text_batches(path: Path, profile: Any, *, max_field_chars: int, checkpoint: Callable[[], None] | None = None,
                 batch_rows: int = BATCH_ROWS) -> Iterator[tuple[int, Any]]:
    """``(rows before this batch, frame)`` for every batch of data rows; the frame's columns are
    ``c0..cN`` for the profile's columns, every cell a string."""
    for batch in _batches(path, profile, max_field_chars, checkpoint, batch_rows, spaces=False):
        yield batch.offset, batch.frame


def spaced_batches(path: Path, profile: Any, *, max_field_chars: int, checkpoint: Callable[[], None] | None = None,
                   batch_rows: int = BATCH_ROWS) -> Iterator[Batch]:
    """:func:`text_batches`, each batch with the columns stripping may change (:attr:`Batch.spaced`)."""
    return _batches(path, profile, max_field_chars, checkpoint, batch_rows, spaces=True)


def _batches(path: Path, profile: Any, max_field_chars: int, checkpoint: Callable[[], None] | None, batch_rows: int,
             spaces: bool) -> Iterator[Batch]:
    names = column_names(len(profile.columns))
    batches: Iterator[tuple[int, Any, int | None, frozenset[int] | None]]
    if is_typed(profile.format):
        batches = ((offset, frame, None, None)
                   for offset, frame in _typed_batches(path, profile.format, names, batch_rows))
    elif native_csv_ok(path, profile):
        batches = _native_batches(path, profile, names, spaces)
    else:
        for offset, frame in _row_batches(path, profile, names, max_field_chars, checkpoint, batch_rows):
            yield Batch(offset, frame, None)
        return
    for offset, frame, widest, spaced in batches:
        if checkpoint is not None:
            checkpoint()
        if widest is None or widest > max_field_chars:  # the core's bound on the block's fields decides alone
            _check_lengths(frame, offset, max_field_chars, path, profile)
        yield Batch(offset, frame, spaced)


def native_csv_ok(path: Path, profile: Any) -> bool:
    """Whether Polars' CSV reader reads ``path`` exactly as the row reader does (see :mod:`.csvchunks`).

    Upload's answer when its profile records one (``native_csv``): its pass already checked every
    byte, so the file is not read once more to learn it. The blocks are checked again as they are
    parsed; a file changed since upload fails there, naming the row.
    """
    known = getattr(profile, "native_csv", None)
    if known is not None:
        return bool(known) and csvchunks.eligible(profile)
    return csvchunks.faithful(path, profile)


def _native_batches(path: Path, profile: Any, names: list[str],
                    spaces: bool) -> Iterator[tuple[int, Any, int | None, frozenset[int] | None]]:
    """``(rows before, frame, widest field in bytes or None, spaced columns or None)`` for every block
    (the width as the core found it; the spaced columns when ``spaces`` and the core finds them)."""
    sep = csvchunks.separator(profile)
    done = 0
    try:
        for block in csvchunks.record_blocks(path, profile, len(names)):
            try:
                frame = csvchunks.parse(block.data, names, sep, block.quoted)
            except Exception:  # the file changed since it was checked
                raise csvchunks.NotFaithful("unparsable") from None
            counted = block.counted
            widest = None if counted is None else counted.widest
            yield done, frame, widest, counted.spaced if spaces and counted is not None else None
            done += frame.height
    except csvchunks.NotFaithful:
        raise NotNativeReadable(f"cannot read the input as UTF-8 {profile.format.upper()} after data row "
                                f"{done}; did it change since upload?") from None


def _row_batches(path: Path, profile: Any, names: list[str], max_field_chars: int,
                 checkpoint: Callable[[], None] | None, batch_rows: int) -> Iterator[tuple[int, Any]]:
    import polars as pl

    width = len(names)
    with open_table(path, profile, max_field_chars=max_field_chars, checkpoint=checkpoint) as reader:
        rows = iter(reader)
        done = 0
        while True:
            batch = list(islice(rows, batch_rows))
            if not batch:
                return
            if not all(len(r) == width for r in batch):
                batch = [r[:width] + [""] * (width - len(r)) for r in batch]
            columns = list(zip(*batch, strict=True)) if width else []
            frame = pl.DataFrame({n: pl.Series(n, c, dtype=pl.String) for n, c in zip(names, columns, strict=True)},
                                 height=len(batch))
            yield done, frame
            done += len(batch)


def _typed_batches(path: Path, fmt: str, names: list[str], batch_rows: int) -> Iterator[tuple[int, Any]]:
    """A typed file's own batches as text, without a detour through rows."""
    from engine import TypedTable, as_text

    done = 0
    for batch in TypedTable(path, fmt, batch_rows=batch_rows).batches():
        frame = as_text(batch)
        yield done, frame.rename(dict(zip(frame.columns, names, strict=True)))
        done += frame.height


def _check_lengths(frame: Any, offset: int, limit: int, path: Path, profile: Any) -> None:
    """A field longer than ``limit`` fails as the row reader fails on it (same message)."""
    import polars as pl

    if not frame.width or not frame.height:
        return
    too_long = frame.select(pl.max_horizontal(pl.all().str.len_chars()) > limit).to_series()
    if too_long.any():
        row = offset + 1 + int(too_long.arg_true()[0])
        raise TabularError(f"a field in data row {row} is longer than {limit} characters "
                           "(an unclosed quote?); raise 'max_field_chars' if it is real")
