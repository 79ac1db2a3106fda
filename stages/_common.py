"""Helpers shared by the built-in stages: bundled files, input paths, sizes, atomic writes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine import BUNDLED_PREFIX, BundledFileError, InputDataset, is_bundled
from engine import atomic_output as atomic_output
from engine import bundled_path as engine_bundled_path

_SIZE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)
_UNITS = {
    "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}


MAX_SIZE = 2**63
"""Sizes are bounded so that every size the schema admits converts to an int a file API accepts."""


class StageConfigError(ValueError):
    """A config value that the schema accepted but that cannot work (bad regex, unknown file)."""


def bundled_path(name: str) -> Path:
    """Path of a file shipped in ``engine/data`` (inside the installed package)."""
    try:
        return engine_bundled_path(name)
    except BundledFileError as exc:
        raise StageConfigError(str(exc)) from None


def resolve_path(text: str) -> Path:
    """``bundled:NAME`` -> the shipped file; anything else -> a filesystem path (``~`` expanded)."""
    if is_bundled(text):
        return bundled_path(text[len(BUNDLED_PREFIX) :])
    return Path(text).expanduser()


def parse_size(value: int | str) -> int:
    """Bytes from an int or a string such as ``2GiB``, ``500 MB``, ``1024``."""
    if isinstance(value, bool):
        raise StageConfigError("a size must be a number of bytes or a string like '2GiB'")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int):
        if value < 0:
            raise StageConfigError("a size cannot be negative")
        return value
    match = _SIZE_RE.match(value)
    if not match:
        raise StageConfigError("a size must be a number of bytes or a string like '2GiB', '500MB'")
    number, unit = float(match.group(1)), (match.group(2) or "b").lower()
    size = number * _UNITS[unit]
    if not size < MAX_SIZE:  # also catches inf from a 400-digit number
        raise StageConfigError("a size must be below 8 EiB")
    return int(size)


def input_entities(world: Any) -> list[tuple[str, InputDataset]]:
    """The run's input datasets, in declaration order."""
    return [(entity, ds) for entity, ds in world.query(InputDataset)]


def input_path(dataset: InputDataset) -> Path:
    return resolve_path(dataset.path)


def format_counts(counts: dict[str, int]) -> str:
    """``"3177 MRN, 3141 PHONE"``: count first, because "MRN: 3177" reads as a labelled MRN to the guard."""
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))


def relative_to_workspace(path: Path, workspace: Path) -> str:
    return path.resolve().relative_to(workspace.resolve()).as_posix()


def safe_slug(text: str) -> str:
    """A file-name-safe form of an entity or input name."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._")
    return slug[:64] or "input"
