"""One owner per run folder, and the folder's scratch space.

A run holds an exclusive ``flock`` on ``.rflow.lock`` in its folder for its whole life. The lock,
not a pid, is the truth about whether a run is alive: the kernel drops it when the process dies
however it dies (SIGKILL included), pids are reused, and a pid means nothing on another host. A
second run into the same folder finds the lock held and refuses, naming the owner the lock file
records. A report that still says ``running`` while its folder's lock is free was ``aborted``.

Stages keep partial, not yet rescanned outputs under ``.parts/`` in the run folder; the run
removes it on every exit path, and the next run sweeps the ones a killed run left behind.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import socket
import time
from pathlib import Path
from typing import Any

from engine.core.contract import PARTS_DIR
from engine.core.errors import RflowError

LOCK_NAME = ".rflow.lock"
_SAFE = re.compile(r"[^A-Za-z0-9_.:-]")


class RunFolderBusy(RflowError):
    """Another run owns the folder (its lock is held)."""


def _clean(value: Any, limit: int = 64) -> str:
    return _SAFE.sub("_", str(value))[:limit] or "?"


class RunFolderLock:
    """The exclusive lock of one run folder, held until :meth:`release` (or the process dies)."""

    def __init__(self, run_dir: Path, fd: int) -> None:
        self.run_dir = run_dir
        self._fd = fd

    @classmethod
    def acquire(cls, run_dir: Path, run_id: str) -> RunFolderLock:
        """Take the folder's lock and record the owner, or raise :class:`RunFolderBusy` naming it.

        If the owner cannot be recorded (a full disk), nothing is left behind: the lock file and a
        folder this call created are removed, so no later command finds an ownerless lock.
        """
        new_dir = not run_dir.exists()
        run_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(run_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError:
            _undo(run_dir, new_dir, lock=False)
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _owner_text(fd)
            os.close(fd)
            raise RunFolderBusy(f"the run folder is in use by {owner}; choose another --out") from None
        except BaseException:
            os.close(fd)
            raise
        record = {"run_id": run_id, "pid": os.getpid(), "host": _clean(socket.gethostname()),
                 "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        try:
            os.ftruncate(fd, 0)
            data = (json.dumps(record) + "\n").encode()
            if os.pwrite(fd, data, 0) != len(data):
                raise OSError(errno.ENOSPC, "the owner record was cut short")
        except BaseException:
            _undo(run_dir, new_dir, lock=True)  # still holding the lock: no other run can be using the file
            os.close(fd)  # also drops the lock
            raise
        return cls(run_dir, fd)

    def release(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


def _undo(run_dir: Path, new_dir: bool, *, lock: bool) -> None:
    """Remove what a failed :meth:`RunFolderLock.acquire` created (best effort, on a failing disk)."""
    if lock:
        with contextlib.suppress(OSError):
            (run_dir / LOCK_NAME).unlink()
    if new_dir:
        with contextlib.suppress(OSError):
            run_dir.rmdir()  # only if empty


def _owner_text(fd: int) -> str:
    """``run RUN_ID (pid N on host H)`` from the lock file, sanitized; the owner may still be writing it."""
    for _ in range(20):
        try:
            owner = json.loads(os.pread(fd, 4096, 0) or b"null")
        except (ValueError, UnicodeDecodeError):
            owner = None
        if isinstance(owner, dict):
            return f"run {_clean(owner.get('run_id'))} (pid {_clean(owner.get('pid'))} on host " \
                   f"{_clean(owner.get('host'))})"
        time.sleep(0.05)
    return "another run (owner not recorded yet)"


def is_locked(run_dir: Path) -> bool:
    """True while a live run holds the folder's lock; a folder without a lock file has no owner."""
    try:
        fd = os.open(Path(run_dir) / LOCK_NAME, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the probe's own shared lock
    return False


def remove_parts(run_dir: Path) -> None:
    """Delete the run folder's scratch space (partial outputs that may hold raw data)."""
    shutil.rmtree(Path(run_dir) / PARTS_DIR, ignore_errors=True)


def sweep_abandoned_parts(parent: Path, *, skip: Path) -> int:
    """Remove ``.parts/`` of sibling run folders whose lock is free (runs that were killed)."""
    swept = 0
    try:
        children = list(Path(parent).iterdir())
    except OSError:
        return 0
    for child in children:
        try:
            abandoned = child != skip and (child / PARTS_DIR).is_dir() and (child / LOCK_NAME).is_file() \
                and not is_locked(child)
        except OSError:  # a folder we may not look into is not ours to sweep
            continue
        if abandoned:
            remove_parts(child)
            swept += 1
    return swept
