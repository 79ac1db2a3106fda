"""The findings file: a compact, hash-only JSON-lines form, its one writer and its one reader.

Why compact: written one JSON object per finding (``{"category":...,"digest":"<64 hex>"}``) it
took about 153 bytes a finding, six times the input on dense data. This form names each
category and column once, stores rows and offsets as differences from the previous finding,
writes a digest once in base64url and every repeat of it as a small number. Documented for
users in docs/phi.md ("The findings file").

A file is one or more *segments* (phi_scan writes one per partition and concatenates them);
each begins with the header line and is read on its own:

- ``{"rflow_findings":2}`` - a segment starts; every table and running value below is reset;
- ``{"category":"MRN"}`` / ``{"column":"mrn"}`` - the next category / column number (0, 1, ...);
- ``[category, row, column, offset, length, digest]`` - one finding: ``row`` and ``offset`` are
  the differences from the last non-null row and offset of the segment (which start at 0), or
  null; ``column`` a column number or null; ``digest`` a string (the 32-byte digest in unpadded
  base64url, which also gets the next digest number while fewer than :data:`DIGEST_TABLE`
  have one; ``~`` followed by the digest as written when it is not 64 hex characters) or a
  number (an earlier digest of the segment).

The native core writes the same bytes (``engine._native.FindingsEncoder``);
:class:`FindingsEncoder` here is the reference, and a differential test requires both to agree.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from engine.phi.native_match import use_core
from engine.phi.scan.findings import Finding

VERSION = 2
HEADER = '{"rflow_findings":2}\n'
DIGEST_TABLE = 65_536
"""At most this many digests of a segment get a number (bounded memory); later new ones are written in full."""
_HEX64 = re.compile(r"[0-9a-f]{64}")


class FindingsError(ValueError):
    """A findings file that is not in this form (the line number says where)."""


class FindingsEncoder:
    """One segment's writer: findings in, lines out, and the counts phi_scan reports.

    ``rename`` maps a column as the scan names it to the name written (phi_scan: the profile's
    safe name); it is called once per distinct column.
    """

    def __init__(self, rename: Callable[[str], str | None] | None = None) -> None:
        self._rename = rename
        self._shown: dict[str, str | None] = {}
        self._cats: dict[str, int] = {}
        self._cols: dict[str | None, int | None] = {None: None}
        self._digests: dict[str, int] = {}
        self._row = 0
        self._offset = 0
        self.total = 0
        self.rows_with_findings = 0
        self._last_row: int | None = None
        self.by_category: dict[str, int] = {}
        self.by_column: dict[str, int] = {}
        self._started = False

    def _column(self, raw: str | None, out: list[str]) -> tuple[int | None, str]:
        """The column's number (defined on first use) and the name counted."""
        if self._rename is None or raw is None:
            name = raw
        else:
            name = self._shown[raw] if raw in self._shown else self._shown.setdefault(raw, self._rename(raw))
        number = self._cols.get(name, -1)
        if number == -1:
            number = self._cols[name] = len(self._cols) - 1
            out.append(f'{{"column":{json.dumps(name)}}}\n')
        return number, name if name is not None else "<text>"

    def encode(self, findings: Iterable[Finding]) -> bytes:
        """The lines of ``findings`` (the header line first if this segment has none yet)."""
        out: list[str] = []
        if not self._started:
            out.append(HEADER)
            self._started = True
        for f in findings:
            cat = self._cats.get(f.category)
            if cat is None:
                cat = self._cats[f.category] = len(self._cats)
                out.append(f'{{"category":{json.dumps(f.category)}}}\n')
            col, counted = self._column(f.column, out)
            if f.row is None:
                row = "null"
            else:
                row = str(f.row - self._row)
                self._row = f.row
            if f.offset is None:
                offset = "null"
            else:
                offset = str(f.offset - self._offset)
                self._offset = f.offset
            out.append(f"[{cat},{row},{'null' if col is None else col},{offset},{f.length},"
                       f"{self._digest(f.digest)}]\n")
            self.total += 1
            self.by_category[f.category] = self.by_category.get(f.category, 0) + 1
            self.by_column[counted] = self.by_column.get(counted, 0) + 1
            if f.row is not None and f.row != self._last_row:
                self.rows_with_findings += 1
                self._last_row = f.row
        return "".join(out).encode("ascii")

    def _digest(self, digest: str) -> str:
        number = self._digests.get(digest)
        if number is not None:
            return str(number)
        if len(self._digests) < DIGEST_TABLE:
            self._digests[digest] = len(self._digests)
        if _HEX64.fullmatch(digest):
            return '"' + base64.urlsafe_b64encode(bytes.fromhex(digest)).rstrip(b"=").decode("ascii") + '"'
        return json.dumps("~" + digest)

    def counts(self) -> dict[str, Any]:
        """Findings total, rows with findings and the counts per category and column so far."""
        return {"findings_total": self.total, "rows_with_findings": self.rows_with_findings,
                "by_category": dict(self.by_category), "by_column": dict(self.by_column)}


def new_encoder(rename: Callable[[str], str | None] | None = None, *, native: bool | None = None) -> Any:
    """A segment writer: the core's where the core runs the scan (``native`` forces a choice).

    The Python reference runs with ``RFLOW_PHI_REGEX=re`` or where no core is built.
    """
    if native is None:
        native = use_core()
    if native:
        from engine.phi.native import core

        if core is None:
            raise RuntimeError("the native core is not loaded")
        return core.FindingsEncoder(rename)
    return FindingsEncoder(rename)


def join_segments(paths: Iterable[str | Path], write: Callable[[bytes], object], *,
                  native: bool | None = None) -> None:
    """The findings of the files ``paths`` written (to ``write``, in pieces) as one segment: the
    bytes one encoder writes for all their findings in order, however the files were cut.

    The core rewrites each line's numbers and differences (``engine._native.SegmentJoin``, no
    finding read back); the reference reads every finding back and encodes it again. ``native``
    forces a choice (None: the core's where the core runs the scan and has it).
    """
    core_join = _core_join(native)
    if core_join is None:
        encoder = new_encoder(native=native)
        findings = itertools.chain.from_iterable(read_findings(p) for p in paths)
        while batch := list(itertools.islice(findings, 4096)):
            write(encoder.encode(batch))
        write(encoder.encode([]))
        return
    try:
        write(core_join.header())
        for path in paths:
            core_join.next_part()
            with open(path, "rb") as fh:
                while block := fh.read(_JOIN_BLOCK):
                    write(core_join.feed(block))
        core_join.finish()
    except ValueError as exc:  # the core's reason names no value
        raise FindingsError(f"findings part file: {exc}") from None


_JOIN_BLOCK = 4 << 20


def crosstab(path: str | Path, limit: int) -> Counter[tuple[str, str]] | None:
    """``(column, category)`` counts of a findings file's findings (a column of None counted as
    ``"None"``); None when it holds more than ``limit``. The core counts the lines as it reads them
    (no finding read back into Python); the reference, a file in another form, reads every finding.
    Raises :class:`FindingsError`, OSError or UnicodeDecodeError on a file it cannot read.
    """
    counted = _core_crosstab(path)
    if counted is None:
        counted = Counter()
        for number_, finding in enumerate(read_findings(path)):
            if number_ >= limit:
                return None
            counted[(str(finding.column), finding.category)] += 1
    return None if sum(counted.values()) > limit else counted


def _core_crosstab(path: str | Path) -> Counter[tuple[str, str]] | None:
    core_join = _core_join(None)
    if core_join is None:
        return None
    try:
        core_join.next_part()
        with open(path, "rb") as fh:
            while block := fh.read(_JOIN_BLOCK):
                core_join.feed(block)
        core_join.finish()
    except ValueError:  # a form the core does not rewrite (the earlier one-object-a-line form): the reference
        return None
    counted: Counter[tuple[str, str]] = Counter()
    for category, column, n in core_join.crosstab():
        counted[(str(None if column is None else json.loads(column)), json.loads(category))] += n
    return counted


def _core_join(native: bool | None) -> Any:
    """A core ``SegmentJoin`` where one is wanted and built, else None (the reference)."""
    if native is False:
        return None
    from engine.phi.native import core

    cls = getattr(core, "SegmentJoin", None)  # None: no core, or one built before it
    if native is None and (cls is None or not use_core()):
        return None
    if cls is None:
        raise RuntimeError("the native core is not loaded")
    return cls()


def encode_findings(findings: Iterable[Finding], *, native: bool | None = None) -> bytes:
    """A whole findings file (one segment) for ``findings``."""
    return bytes(new_encoder(native=native).encode(list(findings)))


def read_findings(path: str | Path) -> Iterator[Finding]:
    """Every finding of a findings file, in file order: the one reader every consumer uses.

    Also reads the earlier form (one JSON object per finding). Raises :class:`FindingsError`
    with the line number on anything else.
    """
    with open(path, encoding="utf-8") as fh:
        yield from parse_findings(fh)


def parse_findings(lines: Iterable[str]) -> Iterator[Finding]:
    """Findings of the lines of a findings file (see :func:`read_findings`)."""
    cats: list[str] = []
    cols: list[str] = []
    digests: list[str] = []
    row = offset = 0
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if isinstance(item, list):
                c, dr, k, do, length, d = item
                if dr is not None:
                    row += int(dr)
                if do is not None:
                    offset += int(do)
                yield Finding(cats[c], None if dr is None else row, None if k is None else cols[k],
                              None if do is None else offset, int(length), _digest(d, digests))
            elif "rflow_findings" in item:
                if item["rflow_findings"] != VERSION:
                    raise FindingsError(f"findings file line {n}: version {item['rflow_findings']!r} is not {VERSION}")
                cats, cols, digests, row, offset = [], [], [], 0, 0
            elif "category" in item and "digest" in item:  # the earlier form, one object a finding
                yield Finding(str(item["category"]), item.get("row"), item.get("column"), item.get("offset"),
                              int(item["length"]), str(item["digest"]))
            elif "category" in item:
                cats.append(str(item["category"]))
            elif "column" in item:
                cols.append(item["column"])
            else:
                raise FindingsError(f"findings file line {n}: not a findings line")
        except FindingsError:
            raise
        except (ValueError, TypeError, IndexError, KeyError, binascii.Error) as exc:
            raise FindingsError(f"findings file line {n}: not a findings line ({type(exc).__name__})") from None


def _digest(value: Any, digests: list[str]) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return digests[value]
    text = str(value)
    if text.startswith("~"):
        digest = text[1:]
    else:
        digest = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).hex()
        if len(digest) != 64:
            raise ValueError("a digest is 32 bytes")
    if len(digests) < DIGEST_TABLE:
        digests.append(digest)
    return digest
