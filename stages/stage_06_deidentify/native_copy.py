"""The byte copy (:mod:`.bytecopy`) made by the native core: same bytes, rows written in batches.

Why a batch: the core parses the records and rewrites the changed cells of many rows in one
call. The text is read line by line into blocks as the core asks for it, so a decode error is
raised where the reference's own reading would meet it (after the rows before it were written).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import IO, Any

from engine.phi import native_deid
from stages.stage_06_deidentify.bytecopy import ByteCopyWriter, NotBytewise

BATCH_ROWS = 512
"""Rows the native byte copy takes per batch (a setting; tests make it small to cross batches)."""
BLOCK_CHARS = 1 << 16
"""Characters of the input read per block (a setting; tests make it small to cross blocks)."""


class NativeByteCopyWriter:
    """:class:`.bytecopy.ByteCopyWriter` on the core (same arguments, same bytes, same NotBytewise)."""

    def __init__(self, out: IO[str], lines: Iterable[str], core: Any) -> None:
        self._out = out
        self._lines = iter(lines)
        self._core = core
        self._rows: list[Sequence[str]] = []
        self._outs: list[Sequence[str]] = []
        self._error: UnicodeDecodeError | None = None

    def _feed(self) -> None:
        """The next block of text (``""`` at the end); a decode error is raised once the core needs the text."""
        if self._error is not None:
            raise self._error
        block: list[str] = []
        size = 0
        try:
            for line in self._lines:
                block.append(line)
                size += len(line)
                if size >= BLOCK_CHARS:
                    break
        except UnicodeDecodeError as exc:
            self._error = exc
        self._core.feed("".join(block))
        if not block and self._error is not None:
            raise self._error

    def write_row(self, row: Sequence[str], out: Sequence[str]) -> None:
        self._rows.append(row)
        self._outs.append(out)
        if len(self._rows) >= BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        start = 0
        while True:
            start, status = self._core.write_rows(self._rows, self._outs, start)
            if status == native_deid.NEED:
                self._feed()
                continue
            break
        self._rows, self._outs = [], []
        self._out.write(self._core.take())
        if status == native_deid.NOT_BYTEWISE:
            raise NotBytewise("a record that does not read as the row reader's row")

    def finish(self) -> None:
        """Write the rows left and check that no record is left over."""
        self._flush()
        while (status := self._core.finish()) == native_deid.NEED:
            self._feed()
        if status == native_deid.NOT_BYTEWISE:
            raise NotBytewise("a record the row reader did not give")


def byte_copy_writer(out: IO[str], lines: Iterable[str], kept: Sequence[int], delimiter: str, *,
                     skip_first: bool = False) -> ByteCopyWriter | NativeByteCopyWriter:
    """The core's byte copy where it runs (see :func:`engine.phi.native_deid.enabled`), else the reference."""
    core = native_deid.byte_copy(delimiter, kept, skip_first)
    if core is None:
        return ByteCopyWriter(out, lines, kept, delimiter, skip_first=skip_first)
    return NativeByteCopyWriter(out, lines, core)
