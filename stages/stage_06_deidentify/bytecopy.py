"""The de-identified copy of a CSV/TSV as the input's own text, with only the replaced cells rewritten.

Why not ``csv.writer``: it re-quotes every cell its own way and ends every line with one
terminator, so a quote-all export, CRLF line ends or a ``;`` delimiter would not survive. Here each
record keeps its raw text: its cells exactly as they were written (quotes included), the
delimiter, and its own line end. A cell whose value changed is written anew, quoted when it was
quoted or when it must be (it holds the delimiter, a quote or a line break); every other byte of
the record is the input's. Dropped columns are left out with their delimiters; blank lines are not
rows and are not copied; a UTF-8 BOM is kept.

How records are found: :func:`records` splits the decoded lines exactly as Python's ``csv`` module
(``strict=False``, the row reader's) does. :class:`ByteCopyWriter` then checks every record against
the row the row reader gave (the values must be equal): a record is copied raw only when its raw
cells read back as those values, and any difference raises :class:`NotBytewise`, after which the
input is written by the plain writer instead. So a cell value in the copy never depends on this
module; only the bytes around it do.

Encodings: the copy is always UTF-8. A UTF-8 input keeps its bytes; a cp1252, latin-1 or UTF-16
input is transcoded character by character (its structure, quoting and line ends kept).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from typing import IO, NamedTuple


class NotBytewise(Exception):
    """A record this module does not read as the row reader did; the input gets the plain writer."""


class Record(NamedTuple):
    """One record: its cells as written (``raws``), as read (``values``), and its line end."""

    raws: list[str]
    values: list[str]
    end: str


_QUOTED = re.compile(r'"((?:[^"]|"")*+)"')
_LINE_END = ("\r\n", "\n", "\r")


@cache
def _plain(delimiter: str) -> re.Pattern[str]:
    """An unquoted field (or what follows a closing quote): up to the delimiter or a line end; quotes literal."""
    return re.compile(r"[^" + re.escape(delimiter) + r"\r\n]*")


def _strip_end(line: str) -> tuple[str, str]:
    for end in _LINE_END:
        if line.endswith(end):
            return line[: -len(end)], end
    return line, ""


def records(lines: Iterable[str], delimiter: str) -> Iterator[Record]:
    """The records of ``lines`` (text split as ``open(..., newline="")`` splits it), blank lines included
    (``values == []``), as the ``csv`` module reads them; raises :class:`NotBytewise` on a quote left open.
    """
    plain = _plain(delimiter)
    source = iter(lines)
    for line in source:
        if '"' not in line:
            body, end = _strip_end(line)
            cells = body.split(delimiter) if body else []
            yield Record(cells, cells, end)
            continue
        text = line
        raws: list[str] = []
        values: list[str] = []
        pos = 0
        while True:
            if text.startswith('"', pos):
                m = _QUOTED.match(text, pos)
                if m is None:  # the quoted field goes on in the next line
                    more = next(source, None)
                    if more is None:
                        raise NotBytewise("a quote left open at the end")
                    text += more
                    continue
                tail = plain.match(text, m.end())
                assert tail is not None
                value = m.group(1).replace('""', '"') + tail.group()
                stop = tail.end()
            else:
                field = plain.match(text, pos)
                assert field is not None
                value, stop = field.group(), field.end()
            raws.append(text[pos:stop])
            values.append(value)
            if text.startswith(delimiter, stop):
                pos = stop + len(delimiter)
                continue
            rest = text[stop:]
            if rest not in ("", *_LINE_END):
                raise NotBytewise("a line break where the row reader would not see one")
            yield Record(raws, values, rest)
            break


def needs_quotes(value: str, delimiter: str) -> bool:
    """Whether a cell must be quoted to read back as ``value`` (it holds the delimiter, a quote, a line break)."""
    return delimiter in value or '"' in value or "\n" in value or "\r" in value


def encode_cell(value: str, delimiter: str, quoted: bool) -> str:
    """``value`` as a cell: quoted when ``quoted`` (the input's cell was) or when it must be."""
    if quoted or needs_quotes(value, delimiter):
        return '"' + value.replace('"', '""') + '"'
    return value


def rewrite(record: Record, out: Sequence[str], kept: Sequence[int], delimiter: str) -> str:
    """The record with the kept columns' cells: raw where the value is unchanged, encoded where not."""
    raws, values = record.raws, record.values
    width = len(values)
    if len(kept) == width and list(out) == values and all(i == n for n, i in enumerate(kept)):
        return delimiter.join(raws) + record.end
    cells = []
    for value, i in zip(out, kept, strict=True):
        if i < width and values[i] == value:
            cells.append(raws[i])
        else:
            cells.append(encode_cell(value, delimiter, i < width and raws[i].startswith('"')))
    body = delimiter.join(cells)
    if not body and len(kept) == 1:
        body = '""'  # a lone empty cell, written as a blank line, would not be a row
    return body + record.end


class ByteCopyWriter:
    """Writes each de-identified row over its input record's text (see the module docstring).

    ``lines``: the same rows' text, read independently of the row reader (a second handle on the
    same byte range); ``skip_first``: its first record is the header (read as the row reader reads
    a header: the first record, blank or not).
    """

    def __init__(self, out: IO[str], lines: Iterable[str], kept: Sequence[int], delimiter: str, *,
                 skip_first: bool = False) -> None:
        self._out = out
        self._records = records(lines, delimiter)
        if skip_first:
            next(self._records, None)
        self._kept = tuple(kept)
        self._delimiter = delimiter

    def _next(self) -> Record | None:
        for record in self._records:
            if record.values:
                return record
        return None

    def write_row(self, row: Sequence[str], out: Sequence[str]) -> None:
        record = self._next()
        if record is None or record.values != list(row):
            raise NotBytewise("a record that does not read as the row reader's row")
        self._out.write(rewrite(record, out, self._kept, self._delimiter))

    def finish(self) -> None:
        """Check that no row is left over (the row reader and this module saw the same rows)."""
        if self._next() is not None:
            raise NotBytewise("a record the row reader did not give")


class PlainWriter:
    """The copy written value by value (``csv.writer``, minimal quoting, ``\\n`` line ends), in the
    input's delimiter: for inputs that are not CSV/TSV text, or whose records this module does not
    read as the row reader does."""

    def __init__(self, out: IO[str], delimiter: str = ",") -> None:
        self._writerow = csv.writer(out, delimiter=delimiter, lineterminator="\n").writerow

    def write_row(self, row: Sequence[str], out: Sequence[str]) -> None:
        self._writerow(out)

    def finish(self) -> None:
        """Nothing to check."""


def header_text(lines: Iterable[str], raw_header: Sequence[str] | None, names: Sequence[str],
                kept: Sequence[int], delimiter: str, bom: bool) -> str:
    """The copy's header line: each kept header cell as written unless its name changed.

    ``lines``: the file's text from its start (BOM removed). ``raw_header``: the header as the row
    reader read it; None for a file without one, whose generated names are written, ended as its
    first record is.
    """
    found = records(lines, delimiter)
    try:
        first = next(found, None) if raw_header is not None else next((r for r in found if r.values), None)
    except NotBytewise:
        first = None
    end = first.end if first is not None and first.end else "\n"
    if raw_header is None or first is None or first.values != list(raw_header):
        first = Record([], [], end)
    return ("\ufeff" if bom else "") + rewrite(first, names, kept, delimiter)
