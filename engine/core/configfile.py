"""Reading a file that a config names (manifest, approvals, data dictionary): bounded and regular.

Why one reader: a config path is user input. ``/dev/zero`` read whole grows memory without end,
a FIFO blocks ``open`` forever, and a reading thread cannot be cancelled by a step's timeout. So
every such file is opened without blocking, must be a regular file (checked on the open
descriptor, not the name, so it cannot be swapped in between), is read up to its size cap and
no further, and may be confined to ``allowed_roots`` (symlinks resolved).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from engine.core.display import display_name as display_name
from engine.core.errors import RflowError


class ConfigFileError(RflowError, OSError):
    """A config file that cannot be used; ``reason`` is one line that never quotes the file's content."""

    def __init__(self, reason: str, *, too_large: bool = False, not_regular: bool = False,
                 cause: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large
        self.not_regular = not_regular
        self.cause = cause or reason
        """The system's words for an I/O failure (``No such file or directory``), else ``reason``."""


def resolve_roots(roots: Sequence[str | Path], base: Path | None = None) -> tuple[Path, ...]:
    """``roots`` as absolute folders, symlinks and ``..`` resolved; relative ones from ``base`` (else the cwd)."""
    out = []
    for root in roots:
        folder = Path(root)
        if not folder.is_absolute() and not str(root).startswith("~"):
            folder = (base if base is not None else Path.cwd()) / folder
        out.append(_resolved(folder) or folder.absolute())
    return tuple(out)


def _resolved(path: Path) -> Path | None:
    """``path`` with ``~``, symlinks and ``..`` resolved; ``None`` when that fails (a symlink loop,
    ``~user`` of no user), so the caller fails closed."""
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError, ValueError):  # RuntimeError: a loop or no such user (Python < 3.13)
        return None


def within(path: Path, roots: Sequence[str | Path]) -> bool:
    """True if ``path`` (symlinks and ``..`` resolved) is one of ``roots`` or under one of them.

    Fails closed: a path that cannot be resolved (a symlink loop) is under no root.
    """
    resolved = _resolved(path)
    if resolved is None:
        return False
    for root in roots:
        base = _resolved(Path(root))
        if base is not None and (resolved == base or base in resolved.parents):
            return True
    return False


def read_config_bytes(path: str | Path, max_bytes: int, *, allowed_roots: Sequence[str | Path] = ()) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them.

    Raises :class:`ConfigFileError` for a missing, unreadable, non-regular, out-of-roots or
    oversized file.
    """
    file = Path(path)
    if allowed_roots and not within(file, allowed_roots):
        raise ConfigFileError("is outside the allowed roots (allowed_roots)")
    return read_regular_bytes(file, max_bytes)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
"""O_NONBLOCK: a FIFO in the file's place cannot hang the open; O_NOCTTY: a terminal never becomes ours."""


def read_regular_bytes(path: str | os.PathLike[str], max_bytes: int, *,
                       inspect: Callable[[os.stat_result], None] | None = None) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes``: the one bounded, regular-file read.

    Config files and key files both go through here. ``inspect`` sees the opened file's status
    (after the regular-file check, before reading) and may refuse it by raising (a key file's mode).
    Raises :class:`ConfigFileError` (``cause``: the system's words) for everything else.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError as exc:
        raise ConfigFileError("file not found", cause=exc.strerror) from None
    except IsADirectoryError as exc:
        raise ConfigFileError("is a directory, not a file", not_regular=True, cause=exc.strerror) from None
    except PermissionError as exc:
        raise ConfigFileError("cannot read it (permission denied)", cause=exc.strerror) from None
    except (OSError, ValueError) as exc:
        cause = getattr(exc, "strerror", None)
        raise ConfigFileError(f"cannot read it ({type(exc).__name__})", cause=cause) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ConfigFileError("is a directory, not a file", not_regular=True)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigFileError("is not a regular file (a device, FIFO or socket)", not_regular=True)
        if inspect is not None:
            inspect(info)
        if info.st_size > max_bytes:
            raise ConfigFileError(f"is larger than the {max_bytes}-byte cap", too_large=True)
        chunks: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            block = os.read(fd, min(left, 1 << 20))
            if not block:
                break
            chunks.append(block)
            left -= len(block)
    except OSError as exc:
        if isinstance(exc, ConfigFileError):
            raise
        raise ConfigFileError(f"cannot read it ({type(exc).__name__})", cause=exc.strerror) from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > max_bytes:  # the file grew after fstat
        raise ConfigFileError(f"is larger than the {max_bytes}-byte cap", too_large=True)
    return raw
