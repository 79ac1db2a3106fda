"""Output guard: what leaves a stage must be small, JSON-compatible, PHI-free metadata.

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

MAX_DEPTH = 8
MAX_STRING = 256
MAX_ITEMS = 10_000
MAX_BYTES = 256 * 1024


def _path(parts: list[str]) -> str:
    return "output" + "".join(parts) if parts else "output"


def check_output(output: Any) -> list[str]:
    """Problems with a stage's ``output`` (empty list: it may leave the stage)."""
    from engine.phi import contains_phi
    from engine.phi.logfilter import field_has_phi

    problems: list[str] = []
    count = 0

    def walk(value: Any, parts: list[str], depth: int, key: str | None = None) -> None:
        nonlocal count
        count += 1
        if len(problems) >= 20:
            return
        if count > MAX_ITEMS:
            if count == MAX_ITEMS + 1:
                problems.append(f"{_path([])} has more than {MAX_ITEMS} values")
            return
        if depth > MAX_DEPTH:
            problems.append(f"{_path(parts)} nests deeper than {MAX_DEPTH} levels")
            return
        if value is None or isinstance(value, bool | int):
            return
        if isinstance(value, float):
            if not math.isfinite(value):
                problems.append(f"{_path(parts)} is a non-finite float")
            return
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                problems.append(f"{_path(parts)} is a string longer than {MAX_STRING} characters")
            elif field_has_phi(key, value) if key is not None else contains_phi(value):
                problems.append(f"{_path(parts)} is a string that looks like PHI")
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str):
                    problems.append(f"{_path(parts)} has a non-string key of type {type(key).__name__}")
                    continue
                shown = f"[{key!r}]" if len(key) <= 64 and not contains_phi(key) else "[<key>]"
                if shown == "[<key>]":
                    problems.append(f"{_path(parts)} has a key that looks like PHI or is too long")
                    continue
                walk(item, [*parts, shown], depth + 1, key)
            return
        if isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(item, [*parts, f"[{index}]"], depth + 1)
            return
        problems.append(f"{_path(parts)} has type {type(value).__name__}, which is not JSON metadata")

    if not isinstance(output, Mapping):
        return [f"output must be a mapping, not {type(output).__name__}"]
    walk(output, [], 0)
    if not problems:
        size = len(json.dumps(output, default=str))
        if size > MAX_BYTES:
            problems.append(f"output is {size} bytes of JSON, over the {MAX_BYTES}-byte cap")
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
