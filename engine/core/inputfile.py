"""``require_regular_file(path)``: an input must be a regular file this process can read.

Why: opening a FIFO blocks until a writer appears (forever), ``/dev/zero`` or ``/dev/urandom``
never end, and a directory or socket cannot be read as data. Each is refused up front, by kind,
as a user error (exit 2), instead of hanging or failing half-way through a step. The rule itself
is :func:`engine.core.paths.file_problem`; this is its raising form for commands that take one file.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.core.errors import InputFileError
from engine.core.paths import file_problem


def require_regular_file(path: str | os.PathLike[str], what: str = "the input") -> Path:
    """``path`` if it names (through symlinks) a readable regular file, else :class:`InputFileError`.

    The message starts with ``what`` (say ``input 'dataset'``, or the path as
    :func:`engine.core.display.shown_path` shows it) and names the kind of file; it never holds the raw path.
    """
    p = Path(path)
    problem = file_problem(p)
    if problem is not None:
        raise InputFileError(f"{what}: {problem}")
    return p
