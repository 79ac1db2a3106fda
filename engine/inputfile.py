"""``require_regular_file(path)``: an input must be a regular file this process can read.

Why: opening a FIFO blocks until a writer appears (forever), ``/dev/zero`` or ``/dev/urandom``
never end, and a directory or socket cannot be read as data. Each is refused up front, by kind,
as a user error (exit 2), instead of hanging or failing half-way through a step.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from engine.errors import InputFileError

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str:
    """What a non-regular ``st_mode`` is, in words."""
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "of an unknown kind"


def require_regular_file(path: str | os.PathLike[str], what: str = "the input") -> Path:
    """``path`` if it names (through symlinks) a readable regular file, else :class:`InputFileError`.

    The message starts with ``what`` (say ``input 'dataset'``, or the path as
    :func:`engine.display.shown_path` shows it) and names the kind of file; it never holds the raw path.
    """
    p = Path(path)
    try:
        info = p.stat()
    except FileNotFoundError:
        raise InputFileError(f"{what}: no such file") from None
    except OSError as exc:
        raise InputFileError(f"{what}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(f"{what} is {file_kind(info.st_mode)}, not a regular file")
    if not os.access(p, os.R_OK):
        raise InputFileError(f"{what}: permission denied")
    return p
