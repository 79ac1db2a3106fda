"""Stage 1, ``upload``: intake of every input dataset.

Why it comes first: every later stage trusts its profile (format, encoding, delimiter, columns,
row count) instead of guessing again, and the checksum pins which bytes the run saw. The input is
only ever opened for reading.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import attrs

from engine import InputDataset, StageBase, StageContext, StageResult, file_problem, register_stage, within
from engine.phi.labels import safe_file_name
from stages._common import StageConfigError, input_entities, input_path, parse_size
from stages.components import DatasetProfile
from stages.tabular import (
    DEFAULT_MAX_FIELD_CHARS,
    FORMATS,
    TableFormat,
    TableReader,
    TabularError,
    one_column_hint,
    sniff,
)


@attrs.frozen
class UploadConfig:
    """Intake checks applied to every input dataset."""

    max_bytes: str = attrs.field(
        default="2GiB",
        converter=str,
        metadata={"description": "Largest accepted input: bytes or a size such as '2GiB', '500MB'.",
                  "schema": {"type": ["integer", "string"], "minimum": 0, "maximum": 2**53,
                             "pattern": "^\\s*[0-9]{1,15}(\\.[0-9]{1,6})?\\s*([KkMmGgTt]i?[Bb]|[Bb])?\\s*$"}},
    )
    allowed_roots: list[str] = attrs.field(
        factory=list,
        metadata={"description": "Folders inputs must live under (after resolving symlinks); "
                  "empty: anywhere. Bundled data is always allowed."},
    )
    format: Literal[
        "auto", "csv", "tsv", "jsonl", "text", "parquet", "xlsx", "sas7bdat", "xpt", "dta", "sav"
    ] = attrs.field(
        default="auto",
        metadata={"description": "Force a format (typed ones: parquet, xlsx, sas7bdat, xpt, dta, sav); "
                  "'auto' uses the input's declared format, then the file extension, then the content."},
    )
    encoding: str = attrs.field(
        default="auto",
        metadata={"description": "Text encoding (a Python codec name) or 'auto' (BOM, UTF-8, cp1252, latin-1)."},
    )
    delimiter: str = attrs.field(
        default="auto",
        metadata={"description": "CSV delimiter or 'auto' (detected among , ; tab |).",
                  "schema": {"maxLength": 4}},
    )
    max_field_chars: int = attrs.field(
        default=DEFAULT_MAX_FIELD_CHARS,
        metadata={"description": "Longest accepted field; longer usually means an unclosed quote.",
                  "schema": {"minimum": 1}},
    )
    ragged_rows: Literal["warn", "fail"] = attrs.field(
        default="warn",
        metadata={"description": "What rows with a different field count than the header do."},
    )
    allow_empty: bool = attrs.field(
        default=False, metadata={"description": "Accept a 0-byte input (otherwise the stage fails)."}
    )


def _check_file(path: Path, config: UploadConfig, bundled: bool, limit: int) -> tuple[str | None, int]:
    """``(problem, size)``: the file must exist, be regular, readable, under the roots and the cap."""
    problem = file_problem(path)
    if problem:
        return problem, 0
    st = os.stat(path)
    if config.allowed_roots and not bundled and not within(path, config.allowed_roots):
        return "file is outside the allowed roots (allowed_roots)", st.st_size
    if st.st_size > limit:
        return f"file is {st.st_size} bytes, over the {limit}-byte cap (max_bytes)", st.st_size
    return None, st.st_size


def profile_input(
    name: str, dataset: InputDataset, config: UploadConfig, context: StageContext | None = None,
    engine: str = "columns",
) -> tuple[DatasetProfile | None, list[str], list[str]]:
    """Profile one input: ``(profile or None, errors, warnings)``; blocking, streams the file once.

    ``engine``: ``columns`` (blocks parsed by Polars where that reads the file as the row reader does,
    :mod:`stages.columnar.upload`) or ``rows`` (the row reader; the reference the columnar path is
    tested against, and what ``columns`` falls back to).
    """
    errors: list[str] = []
    warnings: list[str] = []
    limit = parse_size(config.max_bytes)
    bundled = dataset.path.startswith("bundled:")
    path = input_path(dataset)
    problem, size = _check_file(path, config, bundled, limit)
    if problem:
        return None, [f"input {name!r}: {problem}"], warnings
    declared = config.format if config.format != "auto" else (dataset.format or "auto")
    if declared not in ("auto", *FORMATS):
        return None, [f"input {name!r}: unknown declared format; expected one of {', '.join(FORMATS)}"], warnings
    if size == 0:
        if not config.allow_empty:
            return None, [f"input {name!r} is empty (0 bytes); set allow_empty to accept it"], warnings
        fmt_name = declared if declared != "auto" else "csv"
        warnings.append(f"input {name!r} is empty (0 bytes)")
        profile = DatasetProfile(
            name=name, format=fmt_name, encoding="utf-8", delimiter="," if fmt_name == "csv" else "",
            sha256=_EMPTY_SHA256, size_bytes=0, rows=0, columns=(), file_name=safe_file_name(path.name),
        )
        return profile, errors, warnings
    try:
        fmt = sniff(path, declared=declared, encoding=config.encoding, delimiter=config.delimiter)
        checkpoint = context.checkpoint if context is not None else None
        sha, rows, columns, ragged, first_ragged, duplicates, extra_sheets, native_csv = _read(
            path, fmt, config.max_field_chars, checkpoint, engine)
    except TabularError as exc:
        return None, [f"input {name!r}: {exc}"], warnings
    if not fmt.has_header:
        warnings.append(f"input {name!r} has no header row (its first row looks like data); "
                        f"its columns are named col_1..col_{len(columns)}")
    if safe_file_name(path.name) != path.name:
        warnings.append(f"input {name!r}: its file name holds PHI; it is shown as {safe_file_name(path.name)}")
    hint = one_column_hint(path, fmt)
    if hint:
        warnings.append(f"input {name!r}: {hint}")
    if extra_sheets:
        warnings.append(f"input {name!r}: the workbook has {extra_sheets} more sheet(s); only the first visible "
                        "one is read")
    if fmt.encoding not in ("utf-8", "utf-8-sig", "binary") and config.encoding == "auto":
        warnings.append(f"input {name!r} is not UTF-8; read as {fmt.encoding}")
    if rows == 0:
        warnings.append(f"input {name!r} has a header but no data rows")
    if duplicates:
        warnings.append(f"input {name!r} has {duplicates} duplicate column name(s); later ones renamed")
    if ragged:
        rows_text = ", ".join(str(r) for r in first_ragged)
        message = (
            f"input {name!r}: {ragged} ragged row(s) (field count differs from the header), "
            f"first at rows {rows_text}"
        )
        (errors if config.ragged_rows == "fail" else warnings).append(message)
    profile = DatasetProfile(
        name=name, format=fmt.format, encoding=fmt.encoding, delimiter=fmt.delimiter, sha256=sha,
        size_bytes=size, rows=rows, columns=columns, ragged_rows=ragged, has_bom=fmt.has_bom,
        file_name=safe_file_name(path.name), has_header=fmt.has_header, native_csv=native_csv,
    )
    return profile, errors, warnings


def _read(path: Path, fmt: TableFormat, max_field_chars: int, checkpoint: Callable[[], None] | None,
          engine: str) -> tuple[str, int, tuple[str, ...], int, list[int], int, int, bool | None]:
    """``(sha256, rows, columns, ragged rows, first ragged rows, duplicate names, extra sheets, native CSV)``.

    Native CSV: whether Polars' CSV reader reads the file as the row reader does (the columnar
    pass checked every byte); None when not checked (another format, or ``engine="rows"``).
    """
    native_csv: bool | None = None
    if engine == "columns":
        from stages.columnar.upload import checksum_and_rows

        with TableReader(path, fmt, max_field_chars=max_field_chars) as header:
            columns, duplicates, extra_sheets = tuple(header.columns), header.duplicate_columns, header.extra_sheets
        fast = checksum_and_rows(path, fmt, list(columns), max_field_chars, checkpoint)
        text_table = fmt.format in ("csv", "tsv")
        if fast is not None:
            return fast[0], fast[1], columns, 0, [], duplicates, extra_sheets, True if text_table else None
        native_csv = False if text_table else None
    with TableReader(path, fmt, max_field_chars=max_field_chars, hash_bytes=True, checkpoint=checkpoint) as reader:
        for _ in reader:
            pass
        reader.drain()
        return (reader.sha256, reader.row, tuple(reader.columns), reader.ragged_rows, reader.first_ragged,
                reader.duplicate_columns, reader.extra_sheets, native_csv)


_EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def profile_output(profile: DatasetProfile) -> dict[str, Any]:
    return {
        "format": profile.format,
        "encoding": profile.encoding,
        "delimiter": profile.delimiter,
        "size_bytes": profile.size_bytes,
        "sha256": profile.sha256,
        "rows": profile.rows,
        "columns": len(profile.columns),
        "column_names": list(profile.columns),
        "ragged_rows": profile.ragged_rows,
    }


@register_stage
class Upload(StageBase, stage_id=1, stage_name="Upload and profile inputs", key="upload", version="1.0.0",
             reads=(InputDataset,), writes=(DatasetProfile,), Config=UploadConfig, gatekeeping=True):
    """Check, sniff, checksum and count every input; write its ``dataset_profile``.

    A gatekeeper: an input that fails intake is read by no later step."""

    async def execute(self, context: StageContext) -> StageResult:
        config: UploadConfig = context.config
        try:
            parse_size(config.max_bytes)
        except StageConfigError as exc:
            return StageResult.failed(f"config max_bytes: {exc}")
        inputs = input_entities(context.world)
        if not inputs:
            return StageResult.failed("no input datasets were given to the run")
        outputs: dict[str, Any] = {}
        errors: list[str] = []
        warnings: list[str] = []
        for entity, dataset in inputs:
            profile, errs, warns = await context.run_blocking(profile_input, dataset.name, dataset, config, context)
            errors += errs
            warnings += warns
            if profile is not None and not errs:
                context.world.add(entity, profile)
                outputs[dataset.name] = profile_output(profile)
                context.logger.info("profiled input %s: %d rows, %d columns", dataset.name, profile.rows,
                                    len(profile.columns))
        output = {
            "inputs": outputs,
            "inputs_total": len(inputs),
            "rows_total": sum(o["rows"] for o in outputs.values()),
            "bytes_total": sum(o["size_bytes"] for o in outputs.values()),
        }
        # Every problem found here is the input's (missing, not regular, empty, binary, not a
        # table, over a cap, ragged under ragged_rows: fail): the run ends with exit 2.
        return StageResult.finished(output, errors=errors, warnings=warnings, unusable_input=bool(errors))
