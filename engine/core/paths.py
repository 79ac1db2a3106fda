"""What kind of file a path names, and whether rflow may read or write it.

Opening a FIFO blocks until someone writes to it, a device never ends (``/dev/zero``) or is
always empty (``/dev/null``), and a directory or a socket is no file at all: a run refuses every
such path before it opens it, with what it is, rather than hanging or failing halfway.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str:
    """``a directory``, ``a FIFO (named pipe)``, ... or ``not a regular file``."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def file_problem(path: Path, *, may_be_missing: bool = False) -> str | None:
    """Why ``path`` cannot be used as a regular file (symlinks followed); ``None``: it can.

    ``may_be_missing``: a path that does not exist yet is fine (a file rflow will create).
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None if may_be_missing else "file not found"
    except OSError as exc:
        return f"cannot stat the file ({type(exc).__name__})"
    if not stat.S_ISREG(st.st_mode):
        return f"{kind_of(st.st_mode)}, not a regular file"
    if not os.access(path, os.R_OK):
        return "file is not readable"
    return None


def folder_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a run folder (it must be a directory or not exist yet)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot stat the folder ({type(exc).__name__})"
    if not stat.S_ISDIR(st.st_mode):
        return f"{kind_of(st.st_mode)}, not a folder"
    return None


def file_sha256(path: Path | str) -> str:
    """The SHA-256 (hex) of a file's bytes, read a MiB at a time: the checksum reports and input checks record."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
