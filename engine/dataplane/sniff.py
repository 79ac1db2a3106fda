"""How to read a tabular input: format, text encoding and delimiter, from its name and first bytes.

Why in the engine: ``rflow phi scan`` and the ``upload`` stage must read a file the same way (a
semicolon-separated latin-1 export is one table to both), so there is one sniffing function and
both call it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path, PurePath

import attrs

from engine.core.errors import RflowError, safe_excerpt
from engine.core.jsondepth import JsonTooDeep, loads_record
from engine.core.redaction import holds_identifier
from engine.dataplane.formats import TYPED_FORMATS, typed_format

TEXT_FORMATS = ("csv", "tsv", "jsonl", "text")
FORMATS = TEXT_FORMATS + TYPED_FORMATS
"""Text formats are read here; typed ones (Parquet, Excel, SAS, Stata, SPSS) by :mod:`engine.dataplane`."""
DELIMITERS = (",", "\t", ";", "|")
SAMPLE_BYTES = 64 * 1024

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
    ".text": "text",
    ".log": "text",
}


def format_by_name(name: str) -> str | None:
    """The data format a file name's suffix says (``patients.csv`` -> ``csv``), or ``None``."""
    return _EXTENSIONS.get(PurePath(name).suffix.lower())


class TabularError(RflowError):
    """A file that cannot be read as declared; the message names positions, never content."""


@attrs.frozen
class TableFormat:
    """How to read a file: format, text encoding, delimiter (for CSV/TSV)."""

    format: str
    encoding: str
    delimiter: str = ","
    has_bom: bool = False
    has_header: bool = True
    """False: the first row is data (see :func:`first_row_is_data`); columns are named col_1, col_2..."""



# -- sniffing --------------------------------------------------------------------------------------


def detect_encoding(sample: bytes, at_eof: bool) -> tuple[str, bool]:
    """``(python codec, has_bom)`` for a byte sample: BOMs first, then UTF-8, then cp1252/latin-1.

    cp1252 is the usual encoding of spreadsheet exports that are not UTF-8; latin-1 decodes any
    byte, so it is the last resort (the values may then look odd, but nothing is lost).
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", True
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=at_eof)
        return "utf-8", False
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252", False
    except UnicodeDecodeError:
        return "latin-1", False


def detect_delimiter(text: str, at_eof: bool) -> str:
    """The candidate delimiter that splits the sample's records into the most consistent field count."""
    best, best_score = ",", (0.0, 0)
    for delim in DELIMITERS:
        counts: list[int] = []
        try:
            for record in csv.reader(io.StringIO(text, newline=""), delimiter=delim):
                counts.append(len(record))
                if len(counts) >= 60:
                    break
        except csv.Error:
            continue
        if not at_eof and len(counts) > 1:
            counts.pop()  # the last record of a cut sample may be partial
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = (counts.count(mode) / len(counts), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def _looks_like_jsonl(text: str) -> bool:
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines or not lines[0].lstrip().startswith("{"):
        return False
    try:
        return isinstance(loads_record(lines[0]), dict)
    except JsonTooDeep:  # an object too deep to read: JSON Lines, refused with that reason when read
        return True
    except ValueError:
        return False


def sniff(path: Path, declared: str = "auto", encoding: str = "auto", delimiter: str = "auto") -> TableFormat:
    """Decide how to read ``path`` from its name and its first bytes; explicit settings win."""
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
        at_eof = not fh.read(1)
    typed = typed_format(path, sample, declared)
    if typed is not None:
        return TableFormat(format=typed, encoding="binary", delimiter="")
    if encoding == "auto":
        codec, has_bom = detect_encoding(sample, at_eof)
    else:
        codec = _check_codec(encoding)
        has_bom = sample.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        if codec == "utf-8" and sample.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
    if b"\x00" in sample and not codec.startswith("utf-16"):
        raise TabularError("the input contains NUL bytes; is it a binary file?")
    text = codecs.getincrementaldecoder(codec)(errors="replace").decode(sample, final=at_eof)
    fmt = declared if declared not in ("auto", "", None) else None
    if fmt is None:
        fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        fmt = "jsonl" if _looks_like_jsonl(text) else "csv"
    if fmt not in FORMATS:
        raise TabularError(f"unknown format {safe_excerpt(fmt, 20)!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "tsv":
        delim = "\t"
    elif fmt == "csv":
        delim = detect_delimiter(text, at_eof) if delimiter in ("auto", "") else delimiter
    else:
        delim = ""
    if fmt == "csv" and delim not in DELIMITERS and len(delim) != 1:
        raise TabularError("delimiter must be a single character")
    has_header = True
    if fmt in ("csv", "tsv"):
        first = next(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delim), []) if text else []
        has_header = not first_row_is_data(first)
    return TableFormat(format=fmt, encoding=codec, delimiter=delim, has_bom=has_bom, has_header=has_header)


_NUMBER = re.compile(r"[-+]?[0-9]+(?:[.,][0-9]+)?%?")
_DATE = re.compile(r"[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{1,4}(?:[T ][0-9:.]+Z?)?")


def generated_columns(width: int) -> list[str]:
    """The column names of a file without a header row: ``col_1`` .. ``col_N``."""
    return [f"col_{i}" for i in range(1, width + 1)]


def first_row_is_data(cells: list[str]) -> bool:
    """Whether a table's first row looks like data, not a header: several cells (two, or all of a
    one-cell row) are numbers, dates or PHI. Header cells are words; a row of values is not.
    """
    values = [c.strip() for c in cells if c.strip()]
    datalike = sum(1 for v in values if _NUMBER.fullmatch(v) or _DATE.fullmatch(v) or holds_identifier(v))
    return datalike >= min(2, len(values)) and datalike > 0


def _check_codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise TabularError(f"unknown text encoding {safe_excerpt(name, 30)!r}") from None


def one_column_hint(path: Path, fmt: TableFormat) -> str | None:
    """A warning when a CSV/TSV reads as one column though its first line holds another delimiter.

    A wrong ``--delimiter`` (or a forced format) turns a table into one column of whole lines: the
    scan then sees no columns, and a column-labelled identifier goes unnoticed.
    """
    if fmt.format not in ("csv", "tsv"):
        return None
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    text = codecs.getincrementaldecoder(fmt.encoding)(errors="replace").decode(sample)
    first = text.splitlines()[0] if text else ""
    delim = fmt.delimiter or ","
    try:
        width = len(next(csv.reader(io.StringIO(first), delimiter=delim), []))
    except csv.Error:
        return None
    others = [d for d in DELIMITERS if d != delim and d in first]
    if width > 1 or not others:
        return None
    shown = ", ".join("tab" if d == "\t" else repr(d) for d in others)
    return f"the input reads as one column, but its first line holds {shown}: is the delimiter right?"
