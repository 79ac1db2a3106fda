"""Output guard: what leaves a stage must be small, JSON-compatible, PHI-free metadata.

Limits bound bytes, not counts: a wide export (20,000 columns) legitimately reports a value per
column, so the guard caps each value's size, the nesting depth and the output's total JSON size.
Violations are described by key path and type only, never by value, because the value is exactly
what must not leak.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from engine.phi import contains_phi, envpin
from engine.phi.logfilter import field_has_phi

MAX_DEPTH = 8
MAX_VALUE_BYTES = 512
"""One string value, UTF-8 encoded."""
MAX_KEY_BYTES = 256
"""One mapping key (a column name, a rule name), UTF-8 encoded."""
MAX_BYTES = 16 * 1024 * 1024
"""The whole output as JSON."""
MAX_PROBLEMS = 20


def _path(parts: list[str]) -> str:
    return "output" + "".join(parts) if parts else "output"


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


class _Walk:
    """One pass over an output: problems found, and a running estimate of its JSON size."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.size = 0
        # Answers already found in this output: a wide output repeats its column names (one
        # entry per column in several sections) and its values under the same key ("action":
        # "scrub"); both checks depend on their arguments alone while the settings are pinned.
        self._phi: dict[str, bool] = {}
        self._fields: dict[tuple[str, str], bool] = {}

    def contains_phi(self, text: str) -> bool:
        found = self._phi.get(text)
        if found is None:
            found = self._phi[text] = contains_phi(text)
        return found

    def field_has_phi(self, key: str, value: str) -> bool:
        found = self._fields.get((key, value))
        if found is None:
            found = self._fields[(key, value)] = field_has_phi(key, value)
        return found

    def over(self) -> bool:
        return len(self.problems) >= MAX_PROBLEMS or self.size > MAX_BYTES

    def value(self, value: Any, parts: list[str], depth: int, key: str | None = None) -> None:
        """Check ``value``; a string is read with the ``key`` it is under (a name column's value)."""
        if self.over():
            return
        if depth > MAX_DEPTH:
            self.problems.append(f"{_path(parts)} nests deeper than {MAX_DEPTH} levels")
            return
        if value is None or isinstance(value, bool | int):
            self.size += 6 if not isinstance(value, int) or isinstance(value, bool) else len(str(value))
            return
        if isinstance(value, float):
            self.size += 24
            if not math.isfinite(value):
                self.problems.append(f"{_path(parts)} is a non-finite float")
            return
        if isinstance(value, str):
            length = _utf8_len(value)
            self.size += length + 2
            if length > MAX_VALUE_BYTES:
                self.problems.append(f"{_path(parts)} is a string longer than {MAX_VALUE_BYTES} bytes")
            elif self.field_has_phi(key, value) if key is not None else self.contains_phi(value):
                self.problems.append(f"{_path(parts)} is a string that looks like PHI")
            return
        if isinstance(value, Mapping):
            self.size += 2
            for key, item in value.items():
                self.mapping_item(key, item, parts, depth)
                if self.over():
                    return
            return
        if isinstance(value, list | tuple):
            self.size += 2
            for index, item in enumerate(value):
                self.size += 1
                self.value(item, [*parts, f"[{index}]"], depth + 1)
                if self.over():
                    return
            return
        self.problems.append(f"{_path(parts)} has type {type(value).__name__}, which is not JSON metadata")

    def mapping_item(self, key: Any, item: Any, parts: list[str], depth: int) -> None:
        if not isinstance(key, str):
            self.problems.append(f"{_path(parts)} has a non-string key of type {type(key).__name__}")
            return
        length = _utf8_len(key)
        self.size += length + 4
        if length > MAX_KEY_BYTES or self.contains_phi(key):
            self.problems.append(f"{_path(parts)} has a key that looks like PHI or is longer than "
                                 f"{MAX_KEY_BYTES} bytes")
            return
        shown = f"[{key!r}]" if len(key) <= 64 else f"[{key[:60]!r}...]"
        self.value(item, [*parts, shown], depth + 1, key)


def check_output(output: Any) -> list[str]:
    """Problems with a stage's ``output`` (empty list: it may leave the stage)."""
    if not isinstance(output, Mapping):
        return [f"output must be a mapping, not {type(output).__name__}"]
    walk = _Walk()
    with envpin.pinned():  # the PHI engine's settings, read once for every field of the output
        walk.value(output, [], 0)
    problems = walk.problems
    if not problems:
        size = walk.size if walk.size > MAX_BYTES else len(json.dumps(output, default=str).encode("utf-8"))
        if size > MAX_BYTES:
            problems.append(f"output is more than {MAX_BYTES} bytes of JSON, over the cap")
    return problems


def check_artifacts(artifacts: Iterable[Any], workspace: Path) -> list[str]:
    """Artifacts must be relative paths that stay inside the workspace (symlinks included)."""
    problems: list[str] = []
    root = workspace.resolve()
    for index, item in enumerate(artifacts):
        label = f"artifacts[{index}]"
        if not isinstance(item, str) or not item:
            problems.append(f"{label} must be a non-empty relative path string")
            continue
        if os.path.isabs(item) or item.startswith(("/", "\\")) or Path(item).drive:
            problems.append(f"{label} is an absolute path; artifacts are relative to the run workspace")
            continue
        if ".." in Path(item).parts:
            problems.append(f"{label} climbs out of the run workspace with '..'")
            continue
        resolved = (root / item).resolve()
        if resolved != root and root not in resolved.parents:
            problems.append(f"{label} resolves outside the run workspace (symlink)")
    return problems
