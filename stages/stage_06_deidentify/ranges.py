"""One input split into row-aligned byte ranges: a task per range, then the parts merged in order."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import attrs

from engine import SPLITTABLE_ENCODINGS, deid_profiles, plan_byte_ranges, safe_excerpt, writing_artifact
from stages._common import StageConfigError, atomic_output
from stages.components import DatasetProfile
from stages.dictionary import Dictionary
from stages.stage_06_deidentify.bytecopy import NotBytewise, PlainWriter, header_text
from stages.stage_06_deidentify.classify import Prepared, _plan
from stages.stage_06_deidentify.config import DeidentifyConfig
from stages.stage_06_deidentify.core_rows import core_rows, transform_on_core
from stages.stage_06_deidentify.native_copy import byte_copy_writer
from stages.stage_06_deidentify.rescan import Tally, _rescan_part, rescan_categories, rescan_header
from stages.stage_06_deidentify.transform import Transformer, _transform
from stages.tabular import TableFormat, TableReader, TabularError, _ensure_csv_limit, open_table, safe_column_names


def prepare_input(
    path: Path, profile: DatasetProfile, config: DeidentifyConfig, dictionary: Dictionary | None, key: bytes,
    partition_bytes: int, as_of_year: int | None = None, columns_classified: Mapping[str, str] | None = None,
    columns_evidence: Mapping[str, str] | None = None,
) -> Prepared:
    """Classify the columns (from a sample) and split the input into row-aligned byte ranges.

    ``columns_classified``, ``columns_evidence``: ``phi_scan``'s classification of this input, if
    it ran (see :func:`scanned_clear_columns` and :func:`scanned_classes`).
    """
    plan, raw_header = _plan(path, profile, config, dictionary, columns_classified, columns_evidence)
    actions = [a for a, _, _ in plan.actions]
    if config.subject_column is not None:
        if config.subject_column not in plan.columns:
            raise StageConfigError(f"subject_column: no column named {safe_excerpt(config.subject_column, 40)!r}")
        subject_index: int | None = plan.columns.index(config.subject_column)
    else:
        subject_index = next((i for i, a in enumerate(actions) if a == "subject"), None)
    date_formats = tuple(
        dictionary.columns[c].date_format if dictionary and c in dictionary.columns else None for c in plan.columns
    )
    size = path.stat().st_size
    ranges: tuple[tuple[int, int, bool], ...] = ((0, size, True),)
    data_start = 0
    if (size > partition_bytes and profile.format in ("csv", "tsv", "text")
            and profile.encoding.lower() in SPLITTABLE_ENCODINGS):
        table = profile.format != "text"
        data_start, planned = plan_byte_ranges(path, partition_bytes, header=table and profile.has_header,
                                             quoted=table, delim=profile.delimiter.encode() or b",")
        if len(planned) > 1:
            ranges = tuple((r.start, r.end, r.last) for r in planned)
    tx = Transformer(key, config, None, as_of_year or dt.date.today().year)
    kept = tuple(i for i, a in enumerate(actions) if a != "drop")
    rescan_columns = tuple(rescan_categories([plan.columns[i] for i in kept]))
    return Prepared(plan, raw_header, kept, subject_index, date_formats, tx.shift_days(profile.sha256), tx.as_of_year,
                    data_start, ranges, rescan_columns, deid_profiles.kept_categories(attrs.asdict(config)),
                    profile.format in ("csv", "tsv") and not profile.has_header)


_SENTINEL = "\x1e\x1frflow-partition-end\x1f\x1e"


class _Bounded(io.RawIOBase):
    """``length`` bytes of ``source`` from its position, then ``suffix`` (the partition-end sentinel)."""

    def __init__(self, source: IO[bytes], length: int, suffix: bytes) -> None:
        self._source = source
        self._left = length
        self._suffix = suffix

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        if self._left > 0:
            n = self._source.readinto(view[: min(len(view), self._left)])  # type: ignore[attr-defined]
            if n:
                self._left -= n
                return int(n)
            self._left = 0
        n = min(len(view), len(self._suffix))
        view[:n] = self._suffix[:n]
        self._suffix = self._suffix[n:]
        return n

    def close(self) -> None:
        self._source.close()
        super().close()


class RangeReader(TableReader):
    """The rows of ``[start, end)`` of a CSV/TSV/text file whose header was read elsewhere.

    Why the sentinel: partition boundaries are found by quote parity, the rows by the csv module.
    A line that ends the range is appended to every range but the last; if the csv module does
    not read it back as a row of its own, the range ended inside a quoted field (malformed quoting
    fooled the parity count) and ``split_ok`` turns False: the input is then processed whole.
    """

    def __init__(self, path: Path, fmt: TableFormat, raw_header: tuple[str, ...], start: int, end: int,
                 last: bool, **kwargs: Any) -> None:
        self._span = (start, end, last)
        self._given_header = list(raw_header)
        self.split_ok = True
        super().__init__(path, fmt, **kwargs)

    def _open(self) -> None:
        start, end, last = self._span
        source = self._text.detach()
        source.seek(start)
        check = not last and self.fmt.format != "text"
        raw = _Bounded(source, end - start, b"" if not check else (_SENTINEL + "\n").encode("ascii"))
        encoding = "utf-8" if self.fmt.encoding == "utf-8-sig" else self.fmt.encoding
        self._text = io.TextIOWrapper(io.BufferedReader(raw, 1 << 16), encoding=encoding, errors="strict",
                                      newline="")
        self.raw_header = self._given_header
        self.columns = safe_column_names(self.raw_header)
        if self.fmt.format in ("csv", "tsv"):
            _ensure_csv_limit(self.max_field_chars + 1)
            reader = csv.reader(self._text, delimiter=self.fmt.delimiter or ",", strict=False)
            self._csv = reader
            rows = self._csv_rows(reader)
            self._rows = self._until_sentinel(rows) if check else rows
        else:
            self._rows = self._text_rows()

    def _until_sentinel(self, rows: Iterator[list[str]]) -> Iterator[list[str]]:
        previous: list[str] | None = None
        for row in rows:
            if previous is not None:
                self.row -= 1  # the row after it is read already: ``row`` says where the one yielded is
                yield previous
                self.row += 1
            previous = row
        if previous == [_SENTINEL]:
            self.row -= 1
            return
        self.split_ok = False
        if previous is not None:
            yield previous


@attrs.frozen
class DeidPart:
    """One task: a byte range of one input, what to do with each column, where to write.

    Plain data (it crosses processes). The key is a secret, not PHI: it travels with the task and
    never appears in a repr, a task key or a log. Rows are written to ``out`` (a part file in the
    run folder); only counts come back.
    """

    path: str
    start: int
    end: int
    last: bool
    whole: bool
    out: str
    profile: DatasetProfile
    config: DeidentifyConfig
    prepared: Prepared
    key: bytes = attrs.field(repr=False)
    bytewise: bool = True
    """Write the copy over the input's own text (:mod:`.bytecopy`); False: value by value."""
    run_folder: str = ""
    """The run folder, which a write error's message names ``out`` relative to."""


def copy_delimiter(profile: DatasetProfile) -> str:
    """The copy's delimiter: a CSV/TSV input's own, a comma for every other format."""
    if profile.format == "tsv":
        return "\t"
    return (profile.delimiter or ",") if profile.format == "csv" else ","


def _bytewise(part: DeidPart) -> bool:
    return part.bytewise and part.profile.format in ("csv", "tsv")


@contextlib.contextmanager
def _text_lines(path: Path, profile: DatasetProfile, start: int, end: int | None) -> Iterator[IO[str]]:
    """The decoded text of ``[start, end)`` (the whole file when ``end`` is None), BOM removed, lines untranslated."""
    if end is None:
        with open(path, encoding=profile.encoding, errors="strict", newline="") as fh:
            yield fh
        return
    source = open(path, "rb")  # noqa: SIM115 - closed with the wrapper
    source.seek(start)
    encoding = "utf-8" if profile.encoding == "utf-8-sig" else profile.encoding
    with io.TextIOWrapper(io.BufferedReader(_Bounded(source, end - start, b""), 1 << 16), encoding=encoding,
                          errors="strict", newline="") as fh:
        yield fh


class _Tee:
    """The copy's writer, and beside it a comma-separated twin the rescan reads (see :func:`deidentify_part`)."""

    def __init__(self, first: Any, second: PlainWriter) -> None:
        self._first = first
        self._second = second

    def write_row(self, row: list[str], out: list[str]) -> None:
        self._first.write_row(row, out)
        self._second.write_row(row, out)

    def finish(self) -> None:
        self._first.finish()


def _first_row(part: DeidPart) -> bool:
    prep = part.prepared
    return prep.first_row_as_header and (part.whole or part.start == prep.ranges[0][0])


def _core_part(part: DeidPart, delimiter: str) -> tuple[int, Transformer, Tally] | None:
    """The part de-identified by the core's row loop (:mod:`.core_rows`): ``(rows, transformer, tally)``,
    or None: the reference path writes it (core off, a part the core does not take or does not read)."""
    from engine import task_checkpoint

    prep = part.prepared
    if not _bytewise(part) or delimiter not in (",", "\t") or _first_row(part):
        return None
    tx = Transformer(part.key, part.config, None, prep.as_of_year)
    skip_first = part.whole and part.profile.has_header
    core = core_rows(prep, tx, delimiter, skip_first, part.config.max_field_chars)
    if core is None:
        return None
    tally = Tally()
    with writing_artifact(part.out, part.run_folder), contextlib.ExitStack() as stack:
        if part.whole:  # the header read and checked as the reference reads it (its errors are raised here)
            stack.enter_context(open_table(Path(part.path), part.profile, max_field_chars=part.config.max_field_chars))
        lines = stack.enter_context(_text_lines(Path(part.path), part.profile, part.start,
                                                None if part.whole else part.end))
        fh = stack.enter_context(open(part.out, "w", encoding="utf-8", newline=""))
        rows = transform_on_core(core, lines, fh, prep, tx, tally, task_checkpoint, last=part.whole or part.last)
    return None if rows is None else (rows, tx, tally)


def _reference_part(part: DeidPart, tx: Transformer, tally: Tally, delimiter: str,
                    twin: Path | None) -> tuple[int, bool]:
    """The part de-identified by the reference row loop (:func:`.transform._transform`): ``(rows, split_ok)``."""
    from engine import task_checkpoint

    prep = part.prepared
    if part.whole:
        reader: TableReader = open_table(Path(part.path), part.profile, max_field_chars=part.config.max_field_chars,
                                         checkpoint=task_checkpoint)
    else:
        fmt = TableFormat(format=part.profile.format, encoding=part.profile.encoding,
                          delimiter=part.profile.delimiter, has_bom=part.profile.has_bom)
        reader = RangeReader(Path(part.path), fmt, prep.raw_header, part.start, part.end, part.last,
                             max_field_chars=part.config.max_field_chars, checkpoint=task_checkpoint)
    with writing_artifact(part.out, part.run_folder), contextlib.ExitStack() as stack:
        stack.enter_context(reader)
        fh = stack.enter_context(open(part.out, "w", encoding="utf-8", newline=""))
        writer: Any
        if _bytewise(part):
            lines = stack.enter_context(_text_lines(Path(part.path), part.profile, part.start,
                                                    None if part.whole else part.end))
            writer = byte_copy_writer(fh, lines, prep.kept, delimiter,
                                      skip_first=part.whole and part.profile.has_header)
        else:
            writer = PlainWriter(fh, delimiter)
        if twin is not None:
            writer = _Tee(writer, PlainWriter(stack.enter_context(open(twin, "w", encoding="utf-8", newline=""))))
        rows = _transform(reader, writer, prep, tx, tally, first_row=_first_row(part))
        split_ok = getattr(reader, "split_ok", True)
        if split_ok:
            writer.finish()
    return rows, split_ok


def deidentify_part(part: DeidPart) -> dict[str, Any]:
    """Task: de-identify one range into its part file, then rescan the part; counts only.

    Returns ``rows``, ``replacements``, ``rescan`` (counts, first rows relative to the part),
    ``split_ok`` and ``bytewise_ok`` (False: a record :mod:`.bytecopy` did not read as the row
    reader did; the input is redone value by value); or ``error`` (a position-only message) with
    ``rows`` read before it.

    The rescan reads the part as the PHI scanner reads tables (comma or tab separated); a copy in
    another delimiter gets a comma-separated twin of its rows for the rescan, deleted after it.
    """
    prep = part.prepared
    tx = Transformer(part.key, part.config, None, prep.as_of_year)
    tally = Tally()
    rows = 0
    delimiter = copy_delimiter(part.profile)
    twin = Path(part.out + ".rescan.csv") if delimiter not in (",", "\t") else None
    try:
        on_core = _core_part(part, delimiter)
        if on_core is not None:
            rows, tx, tally = on_core
            split_ok = True
        else:
            rows, split_ok = _reference_part(part, tx, tally, delimiter, twin)
    except TabularError as exc:
        return {"error": str(exc), "rows": rows}
    except (NotBytewise, UnicodeDecodeError):
        if twin is not None:
            twin.unlink(missing_ok=True)
        return {"rows": rows, "replacements": {}, "rescan": None, "split_ok": True, "bytewise_ok": False}
    skip = prep.accepted_by_design
    categories: dict[str, str | None] = dict.fromkeys(prep.rescan_columns)
    check = None
    if split_ok:
        scanned = twin if twin is not None else Path(part.out)
        _rescan_part(scanned, tuple(prep.out_columns), skip, part.key, categories, tally,
                     "tsv" if delimiter == "\t" else "csv")
        check = tally.as_dict()
    if twin is not None:
        twin.unlink(missing_ok=True)
    return {"rows": rows, "replacements": tx.counts, "rescan": check, "split_ok": split_ok, "bytewise_ok": True}


def plan_parts(path: Path, profile: DatasetProfile, config: DeidentifyConfig, prepared: Prepared, key: bytes,
               parts_dir: Path, whole: bool = False, bytewise: bool = True,
               run_folder: Path | None = None) -> list[DeidPart]:
    """The tasks of one input: one per byte range, or one for the whole file."""
    root = "" if run_folder is None else str(run_folder)
    if whole or len(prepared.ranges) == 1:
        return [DeidPart(str(path), 0, path.stat().st_size, True, True, str(parts_dir / "whole.csv"), profile,
                         config, prepared, key, bytewise, root)]
    return [DeidPart(str(path), start, end, last, False, str(parts_dir / f"{i:05d}.csv"), profile, config,
                     prepared, key, bytewise, root)
            for i, (start, end, last) in enumerate(prepared.ranges)]


_ROW_RE = re.compile(r"data row ([0-9]+)")


def _shift_rows(message: str, base: int) -> str:
    """A part's position-only error message with its row numbers made global."""
    return _ROW_RE.sub(lambda m: f"data row {int(m.group(1)) + base}", message)


def merge_parts(parts: list[DeidPart], results: list[dict[str, Any]], out_path: Path, key: bytes,
                run_folder: Path | None = None) -> dict[str, Any]:
    """Concatenate the parts under one header (hashing as it goes), rescan the header, sum the counts.

    Raises the first part's error in file order, its row number made global.
    """
    prior = 0
    for res in results:
        if "error" in res:
            raise TabularError(_shift_rows(res["error"], prior))
        prior += res["rows"]
    prep = parts[0].prepared
    header = _header(parts[0]).encode("utf-8")
    digest = hashlib.sha256(header)
    with writing_artifact(out_path, run_folder or out_path.parent), atomic_output(out_path, newline="") as out:
        out.flush()
        raw: IO[bytes] = out.buffer  # type: ignore[attr-defined]
        raw.write(header)
        for part in parts:
            with open(part.out, "rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
                    raw.write(block)
    skip = prep.accepted_by_design
    replacements: dict[str, int] = {}
    tally = Tally()
    delimiter = copy_delimiter(parts[0].profile)
    tally.merge(rescan_header(out_path, len(header), skip, key, "tsv" if delimiter == "\t" else "csv", delimiter))
    offset = 0
    for res in results:
        for k, v in res["replacements"].items():
            replacements[k] = replacements.get(k, 0) + v
        tally.merge(res["rescan"], offset)
        offset += res["rows"]
    return {
        "rows": prior,
        "sha256": digest.hexdigest(),
        "replacements": dict(sorted(replacements.items())),
        "rescan": tally.as_dict(),
        "delimiter": delimiter,
    }


def _header(part: DeidPart) -> str:
    """The copy's header line: over the input's own header line (:func:`.bytecopy.header_text`), or value by value."""
    prep, profile = part.prepared, part.profile
    delimiter = copy_delimiter(profile)
    if _bytewise(part):
        with _text_lines(Path(part.path), profile, 0, None) as lines:
            try:
                return header_text(lines, prep.raw_header if profile.has_header else None,
                                            prep.out_columns, prep.kept, delimiter,
                                            bom=profile.encoding == "utf-8-sig")
            except UnicodeDecodeError:
                pass
    line = io.StringIO()
    csv.writer(line, delimiter=delimiter, lineterminator="\n").writerow(prep.out_columns)
    return line.getvalue()
