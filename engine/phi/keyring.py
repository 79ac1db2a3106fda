"""A keyring: the deployment keys of one deployment, the active one and every one before it.

Why: rotating a key must not strand what the old one signed. A run uses the active key; audit
logs name the key id they were written under, and ``rflow audit verify`` picks that key from the
ring, so logs written before a rotation still verify after it. ``rflow phi crosswalk`` maps the
pseudonyms of one key id to those of another, for a delivery that must link to an older one.

The ring is one JSON file, readable only by its owner (like a key file), named by
``RFLOW_PHI_KEYRING``::

    {"format": "rflow/keyring/v1", "active": "<key id>",
     "keys": [{"key_id": "<key id>", "key": "<64 hex digits>"}, ...]}

A key id is the fingerprint of a key (:attr:`engine.phi.keys.PhiKey.key_id`), never the key.
Keys are kept in the order they were made; none is ever removed by rflow. Reading a ring (and
finding the configured one) lives in :mod:`engine.phi.keys`, where a key is resolved; this module
makes and rotates rings.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.phi.keys import (
    ENV_KEYRING,
    FORMAT,
    MAX_KEYRING_BYTES,
    Keyring,
    PhiKey,
    configured_keyring,
    load_keyring,
    new_key_text,
    read_key_file,
    replace_secret_file,
    write_new,
)

__all__ = ["ENV_KEYRING", "FORMAT", "MAX_KEYRING_BYTES", "Keyring", "configured_keyring", "create_keyring",
           "load_keyring", "rotate_keyring"]

def _write(path: Path, ring: Keyring, *, new: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    data = ring.to_json().encode("ascii")
    if new:
        write_new(path, flags, data)
    else:
        replace_secret_file(path, data)


def _fresh() -> tuple[str, bytes]:
    key = new_key_text().strip().encode("ascii")
    return PhiKey(key, "keyring").key_id, key


def create_keyring(path: str | os.PathLike[str], *, from_key_file: str | os.PathLike[str] | None = None) -> Keyring:
    """A new ring (mode 0600, never over an existing file) holding one key, active.

    ``from_key_file``: start from the key of an existing key file instead of a fresh one, so
    what was written under that key (audit logs, pseudonyms) keeps its key id.
    """
    if from_key_file is not None:
        key = read_key_file(from_key_file, "--from-key-file")
        entry = (PhiKey(key, "keyring").key_id, key)
    else:
        entry = _fresh()
    ring = Keyring(entry[0], (entry,))
    _write(Path(path), ring, new=True)
    return ring


def rotate_keyring(path: str | os.PathLike[str]) -> tuple[Keyring, str]:
    """Add a fresh key and make it active; every older key stays. Returns the ring and the old active id."""
    ring = load_keyring(path, str(path))
    entry = _fresh()
    rotated = Keyring(entry[0], (*ring.keys, entry))
    _write(Path(path), rotated, new=False)
    return rotated, ring.active
