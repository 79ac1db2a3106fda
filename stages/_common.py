"""Helpers shared by the built-in stages: bundled files, input paths, sizes, atomic writes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine import BUNDLED_PREFIX, BundledFileError, InputDataset, SizeError, is_bundled
from engine import atomic_output as atomic_output
from engine import bundled_path as engine_bundled_path
from engine import parse_size as engine_parse_size


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


_SIZE_ERRORS = {
    "shape": "a size must be a number of bytes or a string like '2GiB', '500MB'",
    "negative": "a size cannot be negative",
    "too_large": "a size must be below 8 EiB",
}


def parse_size(value: int | str) -> int:
    """Bytes from an int or a string such as ``2GiB``, ``500 MB``, ``1024`` (a config error otherwise)."""
    try:
        return engine_parse_size(value)
    except SizeError as exc:
        raise StageConfigError(_SIZE_ERRORS[exc.reason]) from None


def input_entities(world: Any) -> list[tuple[str, InputDataset]]:
    """The run's input datasets, in declaration order."""
    return [(entity, ds) for entity, ds in world.query(InputDataset)]


def input_path(dataset: InputDataset) -> Path:
    return resolve_path(dataset.path)


def format_counts(counts: dict[str, int]) -> str:
    """``"3177 MRN; 3141 PHONE"``: count first and ``;`` between, because "MRN: 3177" and "MRN, 3141"
    read as labelled MRNs to the guard, which would then hide the count."""
    return "; ".join(f"{v} {k}" for k, v in sorted(counts.items()))


def relative_to_workspace(path: Path, workspace: Path) -> str:
    return path.resolve().relative_to(workspace.resolve()).as_posix()


def safe_slug(text: str) -> str:
    """A file-name-safe form of an entity or input name."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._")
    return slug[:64] or "input"
