"""Atomic file writes: a temp file in the same folder, fsync, then rename over the target."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def _target_mode(path: Path) -> int:
    """The mode of the file being replaced, or what a plain ``open()`` would create."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output(path: Path, *, newline: str | None = None, mode: int | None = None) -> Iterator[IO[str]]:
    """Write a text file through a temp file in the same folder, fsynced and renamed into place on success.

    A reader never sees a half-written file, and a failed writer leaves no partial one. ``mode``
    is given to the file before the rename (``None`` keeps ``mkstemp``'s 0600).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Readers see either the old file or the complete new one, never a torn write.

    Text is written as given (no newline translation); the file keeps the mode of the one it
    replaces (``mkstemp`` alone would leave 0600).
    """
    with atomic_output(path, newline="", mode=_target_mode(path)) as handle:
        handle.write(text)


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n")
