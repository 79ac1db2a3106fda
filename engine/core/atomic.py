"""Atomic file writes: a temp file in the same folder, fsync, then rename over the target."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from engine.core.errors import ArtifactWriteError, sanitize_text

WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS})
"""The errors only a write gets (disk full, file size limit, quota, read-only file system):
whichever call raised them in a :func:`writing_artifact` block, it was a write."""


def _names_target(exc: OSError, path: Path) -> bool:
    """``exc`` names ``path``, its folder, or an atomic write's temp file beside it (``.NAME.*``)."""
    for name in (exc.filename, exc.filename2):
        if name is None:
            continue
        named = Path(os.fsdecode(name))
        if named in (path, path.parent) or (named.parent == path.parent and named.name.startswith(f".{path.name}.")):
            return True
    return False


def write_error(path: Path | str, root: Path | str, exc: OSError) -> ArtifactWriteError:
    """``cannot write REL: REASON``: ``path`` relative to ``root`` (the run folder), sanitized, and the OS's reason."""
    path, root = Path(path), Path(root)
    try:
        shown = path.relative_to(root).as_posix()
    except ValueError:
        shown = path.name
    reason = exc.strerror or type(exc).__name__
    return ArtifactWriteError(f"cannot write {sanitize_text(shown, 200)}: {sanitize_text(reason, 100)}")


@contextlib.contextmanager
def writing_artifact(path: Path | str, root: Path | str) -> Iterator[None]:
    """Raise :class:`ArtifactWriteError` when the OS refuses to write ``path`` inside the block.

    Why a block and not a wrapped file: a write error may surface at ``write``, ``flush``,
    ``close``, ``fsync`` or the rename, in Python or in the native core's writer. An error counts
    as the write's when its errno only a write gets (:data:`WRITE_ERRNOS`) or when it names
    ``path`` (opening it, its folder, its temp file); any other ``OSError`` (reading an input)
    passes unchanged. ``root`` is the run folder the message's path is relative to.
    """
    target = Path(path)
    try:
        yield
    except OSError as exc:
        code = exc.errno if exc.errno is not None else _reported_errno(exc)
        if code in WRITE_ERRNOS or _names_target(exc, target):
            raise write_error(target, root, exc if exc.errno is not None else _as_os_error(code, exc)) from None
        raise
    except Exception as exc:
        code = _reported_errno(exc) if type(exc).__module__.partition(".")[0] == "polars" else None
        if code in WRITE_ERRNOS:
            raise write_error(target, root, _as_os_error(code, exc)) from None
        raise


_OS_ERROR = re.compile(r"\(os error (\d{1,4})\)")


def _reported_errno(exc: BaseException) -> int | None:
    """The errno a Rust writer's error carries only in its text (``... (os error 28)``): Polars raises
    its own types (``ComputeError: parquet: ... underlying IO error: ...``) or an ``OSError`` without
    ``errno`` for a refused write."""
    found = _OS_ERROR.findall(str(exc))
    return int(found[-1]) if found else None


def _as_os_error(code: int | None, exc: BaseException) -> OSError:
    return OSError(code, os.strerror(code)) if code is not None else OSError(str(exc))


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


class _RecordingFile(io.RawIOBase):
    """A binary file that keeps the first ``OSError`` its writes raised (see :func:`atomic_binary_output`)."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self.raw = raw
        self.error: OSError | None = None

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        try:
            return self.raw.write(data)
        except OSError as exc:
            self.error = self.error or exc
            raise

    def flush(self) -> None:
        try:
            self.raw.flush()
        except OSError as exc:
            self.error = self.error or exc
            raise


@contextlib.contextmanager
def atomic_binary_output(path: Path) -> Iterator[IO[bytes]]:
    """A binary file written as :func:`atomic_output` writes text (temp file, fsync, rename; 0600).

    Why not a path given to the writer: Polars' sinks report a write the OS refused as their own
    error (``ComputeError: parquet: ... Invalid thrift: transport error``), with no errno and often
    no reason. Writing through this file, the ``OSError`` its write raised (disk full, file size
    limit) is raised in place of the writer's error, so :func:`writing_artifact` names it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb", buffering=0) as raw:
            recorder = _RecordingFile(raw)
            try:
                yield recorder  # type: ignore[misc]  # a RawIOBase is the binary file writers take
            except OSError:
                raise
            except Exception:
                if recorder.error is not None:
                    raise recorder.error from None
                raise
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to the file descriptor ``fd``: ``os.write`` may write only a part of it.

    The one place raw descriptor writes go through (the audit log, key files), so an injected
    write failure (a full disk) reaches every such writer at the same call.
    """
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_text_atomic(path: Path, text: str) -> None:
    """Readers see either the old file or the complete new one, never a torn write.

    Text is written as given (no newline translation); the file keeps the mode of the one it
    replaces (``mkstemp`` alone would leave 0600).
    """
    with atomic_output(path, newline="", mode=_target_mode(path)) as handle:
        handle.write(text)


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n")
