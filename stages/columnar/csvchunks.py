"""A CSV/TSV file cut into blocks of whole records that Polars' CSV reader parses exactly as the row reader does.

The row reader is Python's ``csv`` module (:class:`stages.tabular.TableReader`, ``strict=False``).
Polars parses a block the same way when every quote in it is well formed: a quoted field opens at
the start of a field, closes just before a delimiter or a line end, and doubles the quotes inside
it. Then both read embedded delimiters, newlines (``\\n`` or ``\\r\\n``) and doubled quotes alike.
Where they could part, :class:`NotFaithful` is raised and the caller uses the row reader:

- a quote anywhere else (``ab"c``, ``"ab"c``, ``"x" ,``), or one left open;
- a NUL byte, a blank line (the row reader skips it), a carriage return outside quotes that is not
  part of ``\\r\\n`` (the row reader ends a record there);
- a record whose field count differs from the header's (ragged);
- a header spanning lines; a record longer than :data:`MAX_RECORD_BYTES`.

How it checks: every well-formed quoted field is replaced by a placeholder (one regex pass, C
speed); what is left must hold no quote and is split into records, whose delimiters are counted by
Polars. A block is cut at a newline outside quotes (an even number of quotes before it), so a
record is never split between blocks. Memory is about one block.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from engine import native_block_check

BLOCK_BYTES = 4 << 20
MAX_RECORD_BYTES = 64 << 20
"""A record (and so a quoted field) longer than this goes to the row reader, which reports it."""
_LONE_CR = re.compile(rb"\r(?!\n)")


class NotFaithful(Exception):
    """The file holds something the two readers could read differently (see the module docstring)."""


class Counted(NamedTuple):
    """What the native core's check counts in a block (the reference check counts nothing)."""

    records: int
    widest: int
    """The longest field in bytes as written, at least its length in characters."""
    spaced: frozenset[int] = frozenset()
    """The columns where some field starts or ends with whitespace: the only ones stripping changes."""


class Block(NamedTuple):
    """A checked block of whole records, and what the check learnt about it."""

    data: bytes
    quoted: bool
    counted: Counted | None = None
    """Its records and widest field, when the native core checked it."""


@cache
def _quoted(delimiter: bytes) -> re.Pattern[bytes]:
    d = re.escape(delimiter)
    # The quote first (so the regex engine scans for it), then "not after a byte that is neither a delimiter
    # nor a newline" as a lookbehind over the quote; the inside unrolled, so it never backtracks.
    return re.compile(rb'"(?<![^' + d + rb'\n]")[^"]*(?:""[^"]*)*"(?=[' + d + rb'\r\n]|\Z)')


def separator(profile: Any) -> str:
    return "\t" if profile.format == "tsv" else (profile.delimiter or ",")


def eligible(profile: Any) -> bool:
    """Whether the profile is one this module can read at all (UTF-8 CSV/TSV, columns, no ragged rows)."""
    sep = separator(profile)
    return (profile.format in ("csv", "tsv") and profile.encoding in ("utf-8", "utf-8-sig")
            and not profile.ragged_rows and bool(profile.columns) and len(sep.encode()) == 1 and sep != '"')


def record_blocks(path: Path, profile: Any, width: int, *,
                  on_bytes: Callable[[bytes], None] | None = None) -> Iterator[Block]:
    """The checked blocks of the data records of ``path`` (header skipped), each block whole records.

    ``on_bytes`` sees every byte of the file in order (the header included), for a checksum.
    Raises :class:`NotFaithful` as soon as the file is one the row reader must read.
    """
    delim = separator(profile).encode()
    with open(path, "rb") as fh:
        head = b""
        if profile.has_header:
            head = fh.readline()
            bare = head.removeprefix(b"\xef\xbb\xbf") if profile.encoding == "utf-8-sig" else head
            if b"\x00" in head or (b'"' in bare and b'"' in _quoted(delim).sub(b"", bare)):
                raise NotFaithful("the header")
            if _LONE_CR.search(head) or not bare.rstrip(b"\r\n"):
                raise NotFaithful("a carriage return or a blank first line")
        elif profile.encoding == "utf-8-sig":
            head = fh.read(3)
            if head != b"\xef\xbb\xbf":
                fh.seek(0)
                head = b""
        if on_bytes is not None and head:
            on_bytes(head)
        rest = b""
        while True:
            block = fh.read(BLOCK_BYTES)
            if on_bytes is not None and block:
                on_bytes(block)
            data = rest + block
            cut = _cut(data) if block else len(data)
            if cut:
                chunk, rest = data[:cut], data[cut:]
                yield check_block(chunk, delim, width)
            else:
                rest = data
                if len(rest) > MAX_RECORD_BYTES:
                    raise NotFaithful("a record too long to hold")
            if not block:
                return


def _cut(data: bytes) -> int:
    """The end of the last whole record in ``data`` (just after a newline outside quotes), or 0."""
    pos = data.rfind(b"\n")
    if pos < 0:
        return 0
    if b'"' not in data:
        return pos + 1
    before = data.count(b'"', 0, pos)
    while pos >= 0:
        if before % 2 == 0:
            return pos + 1
        previous = data.rfind(b"\n", 0, pos)
        before -= data.count(b'"', previous + 1, pos)
        pos = previous
    return 0


def check_block(chunk: bytes, delim: bytes, width: int) -> Block:
    """``chunk`` checked: raises :class:`NotFaithful` unless it reads alike in both readers.

    The native core's twin answers when it is built (:func:`engine.native_block_check`), and counts
    the records and finds the spaced columns on the way; this module's :func:`check_reference` is the
    reference it is tested against.
    """
    native = native_block_check()
    if native is None:
        return Block(chunk, check_reference(chunk, delim, width))
    reason, quoted, records, widest, spaced = native(chunk, delim[0], width)
    if reason is not None:
        raise NotFaithful(reason)
    return Block(chunk, quoted, Counted(records, widest, frozenset(spaced)))


def check_reference(chunk: bytes, delim: bytes, width: int) -> bool:
    """:func:`_check` in Python: a regex pass over the quoted fields, then the checks of what is left."""
    if b"\x00" in chunk:
        raise NotFaithful("a NUL byte")
    quoted = b'"' in chunk
    text = _quoted(delim).sub(b"q", chunk) if quoted else chunk
    if quoted and b'"' in text:
        raise NotFaithful("a quote")
    if text.startswith((b"\n", b"\r\n")) or b"\n\n" in text or b"\n\r\n" in text:
        raise NotFaithful("a blank line")
    if _LONE_CR.search(text):
        raise NotFaithful("a carriage return")
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError:
        raise NotFaithful("not UTF-8") from None
    if width > 1 and _fields_differ(text, delim, width):
        raise NotFaithful("a ragged record")
    if width == 1 and delim in text:
        raise NotFaithful("a ragged record")
    return quoted


def _fields_differ(text: bytes, delim: bytes, width: int) -> bool:
    """Whether some record of ``text`` (quoted fields already replaced) has other than ``width`` fields."""
    import polars as pl

    records = text.count(b"\n") + (0 if text.endswith(b"\n") else 1)
    if text.count(delim) != records * (width - 1):
        return True
    # Equal totals can still hide a short record next to a long one: count per record.
    if b"\x01" in text:
        lines = pl.Series("l", [text.decode("utf-8")]).str.split("\n")
        lines = lines.explode().head(records)
    else:
        lines = pl.read_csv(text, has_header=False, separator="\x01", quote_char=None, schema={"l": pl.String},
                            encoding="utf8").get_column("l")
        if lines.len() != records:
            return True
    fields = lines.str.count_matches(delim.decode(), literal=True)
    return bool(fields.min() != width - 1 or fields.max() != width - 1)


def parse(chunk: bytes, names: list[str], sep: str, quoted: bool) -> Any:
    """The records of a checked block as a frame of text columns ``names``."""
    import polars as pl

    return pl.read_csv(chunk, has_header=False, schema=dict.fromkeys(names, pl.String),
                       quote_char='"' if quoted else None, separator=sep, empty_string_is_null=False,
                       encoding="utf8", truncate_ragged_lines=False)


def faithful(path: Path, profile: Any) -> bool:
    """Whether every block of ``path`` passes the checks (one pass over the bytes, no parsing)."""
    if not eligible(profile):
        return False
    try:
        for _ in record_blocks(path, profile, len(profile.columns)):
            pass
    except NotFaithful:
        return False
    return True
