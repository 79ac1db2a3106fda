"""Files shipped inside the package (``engine/data/``), named ``bundled:NAME`` in manifests.

One place decides what a bundled reference means, for run inputs, stage configs and manifest checks.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from engine.core.errors import RflowError, safe_excerpt

BUNDLED_PREFIX = "bundled:"


class BundledFileError(RflowError, ValueError):
    """A ``bundled:`` reference that is malformed or names no shipped file."""


def is_bundled(text: str) -> bool:
    return text.startswith(BUNDLED_PREFIX)


def bundled_location(name: str) -> Path:
    """Where a shipped file named ``name`` would be (no existence check)."""
    return Path(str(resources.files("engine") / "data" / name))


def bundled_path(name: str) -> Path:
    """Path of an existing shipped file; a clear error that lists what ships otherwise."""
    if "/" in name or "\\" in name or name.startswith("."):
        raise BundledFileError("a bundled file is named by its file name only, e.g. bundled:demo_study.csv")
    path = bundled_location(name)
    if not path.is_file():
        folder = resources.files("engine") / "data"
        shipped = sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(("_", ".")))
        raise BundledFileError(f"no bundled file {safe_excerpt(name, 60)!r}; shipped: {', '.join(shipped)}")
    return path
