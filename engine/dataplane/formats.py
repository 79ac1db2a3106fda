"""Which typed (binary, self-describing) format a file is, from its name and first bytes; no heavy imports.

Why here and not in :mod:`engine.dataplane.sniff`: sniff asks this module first, so a Parquet or SPSS file is
recognised before it is mistaken for a text file holding NUL bytes; this module knows nothing of
text and stays importable by ``rflow validate``.
"""

from __future__ import annotations

from pathlib import Path

import attrs


@attrs.frozen
class TypedFormat:
    """One typed format: its name, file extensions, magic test and what it needs installed."""

    name: str
    label: str
    extensions: tuple[str, ...]
    module: str
    """The Python module that reads it."""
    extra: str
    """The rflow extra that installs ``module`` ('' when it is a core dependency)."""


TYPED = {
    f.name: f
    for f in (
        TypedFormat("parquet", "Parquet", (".parquet", ".pq"), "polars", ""),
        TypedFormat("xlsx", "Excel", (".xlsx", ".xlsm"), "fastexcel", "excel"),
        TypedFormat("sas7bdat", "SAS", (".sas7bdat",), "pyreadstat", "stats"),
        TypedFormat("xpt", "SAS transport", (".xpt",), "pyreadstat", "stats"),
        TypedFormat("dta", "Stata", (".dta",), "pyreadstat", "stats"),
        TypedFormat("sav", "SPSS", (".sav", ".zsav"), "pyreadstat", "stats"),
    )
}
TYPED_FORMATS = tuple(TYPED)
_BY_EXTENSION = {ext: f.name for f in TYPED.values() for ext in f.extensions}
_OLD_STATA = {bytes([v, order]) for v in (0x71, 0x72, 0x73) for order in (1, 2)}
"""Stata 8-12 (.dta versions 113-115): release byte, then byte order (1 big-endian, 2 little)."""
_SAS7BDAT_MAGIC = bytes.fromhex("000000000000000000000000c2ea8160b31411cfbd92080009c7318c181f1011")


def from_magic(sample: bytes) -> str | None:
    """The typed format whose signature starts ``sample``, or None."""
    if sample.startswith(b"PAR1"):
        return "parquet"
    if sample.startswith(b"PK\x03\x04") and b"xl/" in sample[:4096]:
        return "xlsx"
    if sample.startswith((b"$FL2", b"$FL3")):
        return "sav"
    if sample.startswith(_SAS7BDAT_MAGIC):
        return "sas7bdat"
    if sample.startswith((b"HEADER RECORD*******LIBRARY HEADER RECORD", b"HEADER RECORD*******LIBV8")):
        return "xpt"
    if sample.startswith(b"<stata_dta>") or sample[:2] in _OLD_STATA:
        return "dta"
    return None


def typed_format(path: Path, sample: bytes, declared: str | None = None) -> str | None:
    """The typed format of ``path``: the declared one, else its extension, else its first bytes."""
    if declared in TYPED:
        return declared
    if declared not in (None, "", "auto"):
        return None  # a text format was declared: the caller reads it as text
    by_name = _BY_EXTENSION.get(path.suffix.lower())
    return by_name or from_magic(sample)


def is_typed(fmt: str) -> bool:
    return fmt in TYPED
