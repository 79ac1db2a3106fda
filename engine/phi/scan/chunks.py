"""Reading an input file: its format, its header, and chunks of whole rows with bounded memory."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from engine.core.csvrows import LONGEST_ROW
from engine.phi.errors import PhiInputError
from engine.phi.sanitizer import sanitize
from engine.phi.scan.rows import first_boundary, last_boundary, unclosed_quote

Format = Literal["csv", "tsv", "jsonl", "text"]
FORMATS: tuple[str, ...] = ("csv", "tsv", "jsonl", "text")
TABLES = ("csv", "tsv")
DEFAULT_CHUNK = 1 << 20
MAX_ROW_BYTES = LONGEST_ROW
_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def detect_format(path: str | Path) -> Format:
    """The input format implied by a file's suffix (text when unknown)."""
    return _SUFFIXES.get(Path(path).suffix.lower(), "text")  # type: ignore[return-value]


def table_delim(fmt: str) -> bytes:
    """The field delimiter of a table format."""
    return b"\t" if fmt == "tsv" else b","


def open_input(path: str | Path) -> io.BufferedReader:
    """The file opened for reading; a failure is a :class:`PhiInputError` naming the sanitized path."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise PhiInputError(f"no such file: {sanitize(str(path))}") from None
    except IsADirectoryError:
        raise PhiInputError(f"is a directory: {sanitize(str(path))}") from None
    except OSError as exc:
        raise PhiInputError(f"cannot open {sanitize(str(path))}: {exc.strerror or type(exc).__name__}") from None


def file_size(path: str | Path) -> int:
    """The file's size; a failure is a :class:`PhiInputError` naming the sanitized path."""
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        raise PhiInputError(f"no such file: {sanitize(str(path))}") from None
    except OSError as exc:
        raise PhiInputError(f"cannot stat {sanitize(str(path))}: {exc.strerror or type(exc).__name__}") from None


def check_utf8(data: bytes, base: int, what: str) -> None:
    """Refuse bytes that are not UTF-8, naming the offset of the first bad byte."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PhiInputError(f"{what} is not valid UTF-8 (byte offset {base + exc.start})") from None


def iter_chunks(
    fh: io.BufferedReader, start: int, end: int, chunk_size: int, delim: bytes | None
) -> Iterator[tuple[int, bytes]]:
    """``(offset, bytes)`` chunks of whole rows covering ``[start, end)`` of the file.

    ``delim``: a table's delimiter (rows end as :mod:`engine.core.csvrows` says; None: at every
    newline). A table whose last quoted field is left open at ``end`` is refused
    (:func:`refuse_unclosed`).
    """
    fh.seek(start)
    pos = start
    carry = b""
    while pos < end or carry:
        want = min(chunk_size, end - pos) if pos < end else 0
        block = carry + (fh.read(want) if want else b"")
        pos += want
        if not block:
            return
        if pos >= end:
            if delim is not None:
                refuse_unclosed(fh, pos - len(block), block, delim)
            yield pos - len(block), block
            return
        cut = last_boundary(block, delim)
        if cut == 0:
            if len(block) > MAX_ROW_BYTES:
                raise PhiInputError(f"a row longer than {MAX_ROW_BYTES} bytes starts at byte {pos - len(block)}")
            carry = block
            chunk_size *= 2
            continue
        yield pos - len(block), block[:cut]
        carry = block[cut:]


def read_header(fh: io.BufferedReader, delim: bytes) -> tuple[tuple[str, ...], int]:
    """Column names and the offset where data rows start."""
    block = fh.read(1 << 16)
    while True:
        cut = first_boundary(block, delim)
        if cut or len(block) > MAX_ROW_BYTES:
            break
        more = fh.read(1 << 20)
        if not more:
            cut = len(block)
            break
        block += more
    line = block[:cut]
    skip = 3 if line.startswith(b"\xef\xbb\xbf") else 0
    check_utf8(line[skip:], skip, "the header row")
    try:
        names = next(csv.reader(io.StringIO(line[skip:].decode("utf-8"), newline=""), delimiter=delim.decode()), [])
    except csv.Error:
        raise PhiInputError("the header row is not valid CSV") from None
    return tuple(n.strip() for n in names), cut


def refuse_unclosed(fh: io.BufferedReader, base: int, block: bytes, delim: bytes) -> None:
    """Refuse a table whose quoted field at the end of ``block`` (at file offset ``base``) is left open.

    Why: a quoted field that never closes takes every line after it as its own text, so the rows
    there would be scanned as one cell and their identifiers missed or put in the wrong row. The
    message names the line (counted in the file) and the byte offset, never the text.
    """
    q = unclosed_quote(block, 0, len(block), delim)
    if q < 0:
        return
    at = base + q
    here = fh.tell()
    fh.seek(0)
    line, read, cr = 1, 0, False
    while read < at and (piece := fh.read(min(1 << 20, at - read))):
        # lines end as rows do: at LF, CRLF and a lone CR (a CRLF cut between pieces counts once)
        line += piece.count(b"\n") + piece.count(b"\r") - piece.count(b"\r\n") - (cr and piece[:1] == b"\n")
        cr = piece[-1:] == b"\r"
        read += len(piece)
    fh.seek(here)
    raise PhiInputError(
        f"an unclosed quote at line {line} (byte {at}) runs to the end of the input, so every line after it "
        "would be read as part of one field; close the quote or remove it"
    )
