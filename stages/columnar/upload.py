"""``upload``'s pass over the data as blocks parsed by Polars: the checksum and the row count in one read.

Why a fallback and not a second reading of every file: upload is the stage that meets files as
they come, so anything the two readers could read differently (see :mod:`stages.columnar.csvchunks`),
a field over ``max_field_chars`` or bytes that are not UTF-8 returns ``None`` here, and upload reads
the file with the row reader, which gives the positions and messages it always gave. Only the
header is read by the row reader on this path (names, duplicates, sniffed dialect).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from engine import file_sha256, is_typed
from stages.columnar import csvchunks
from stages.columnar.source import text_batches


@attrs.frozen
class _Shape:
    """The parts of a profile the block reader needs, before the profile exists."""

    format: str
    encoding: str
    delimiter: str
    has_header: bool
    columns: tuple[str, ...]
    ragged_rows: int = 0


def checksum_and_rows(path: Path, fmt: Any, columns: list[str], max_field_chars: int,
                      checkpoint: Callable[[], None] | None = None) -> tuple[str, int] | None:
    """``(sha256 of the file, data rows)``, or None when the row reader must read the file."""
    shape = _Shape(fmt.format, fmt.encoding, fmt.delimiter, fmt.has_header, tuple(columns))
    if is_typed(fmt.format):
        return _typed(path, shape, max_field_chars, checkpoint)
    if not csvchunks.eligible(shape):
        return None
    digest = hashlib.sha256()
    names = [f"c{i}" for i in range(len(columns))]
    sep = csvchunks.separator(shape)
    rows = 0
    try:
        for block in csvchunks.record_blocks(path, shape, len(columns), on_bytes=digest.update):
            if checkpoint is not None:
                checkpoint()
            counted = block.counted
            if counted is not None and counted.widest <= max_field_chars:
                rows += counted.records  # the core counted them, and no field can be over the limit
                continue
            try:
                frame = csvchunks.parse(block.data, names, sep, block.quoted)
            except Exception:
                return None
            if _too_long(frame, max_field_chars):
                return None
            rows += frame.height
    except csvchunks.NotFaithful:
        return None
    return digest.hexdigest(), rows


def _too_long(frame: Any, limit: int) -> bool:
    import polars as pl

    if not frame.width or not frame.height:
        return False
    return bool(frame.select(pl.max_horizontal(pl.all().str.len_chars()).max() > limit).item())


def _typed(path: Path, shape: _Shape, max_field_chars: int,
           checkpoint: Callable[[], None] | None) -> tuple[str, int] | None:
    digest = file_sha256(path)
    rows = 0
    for offset, frame in text_batches(path, shape, max_field_chars=max_field_chars, checkpoint=checkpoint):
        rows = offset + frame.height
    return digest, rows
