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
Keys are kept in the order they were made; none is ever removed by rflow.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from engine.phi.errors import PhiKeyError
from engine.phi.keys import PhiKey, _configured, _write_new, new_key_text, read_key_file, replace_secret_file

ENV_KEYRING = "RFLOW_PHI_KEYRING"
FORMAT = "rflow/keyring/v1"
MAX_KEYRING_BYTES = 256 * 1024


@attrs.frozen
class Keyring:
    """The keys of a ring by id, in the order they were made, and which one is active."""

    active: str
    keys: tuple[tuple[str, bytes], ...] = attrs.field(repr=False)

    @property
    def ids(self) -> list[str]:
        return [key_id for key_id, _ in self.keys]

    def find(self, key_id: Any) -> PhiKey | None:
        """The key with this id, or None (a key id from a log is untrusted input)."""
        for known, key in self.keys:
            if known == key_id:
                return PhiKey(key, "keyring")
        return None

    def active_key(self) -> PhiKey:
        found = self.find(self.active)
        if found is None:
            raise PhiKeyError(f"the keyring named by {ENV_KEYRING} has no key with its active id")
        return found

    def to_json(self) -> str:
        keys = [{"key_id": key_id, "key": key.decode("ascii")} for key_id, key in self.keys]
        return json.dumps({"format": FORMAT, "active": self.active, "keys": keys}, indent=1) + "\n"


def _parse(data: bytes, where: str) -> Keyring:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise PhiKeyError(f"the keyring named by {where} is not a keyring file (not JSON)") from None
    if not isinstance(doc, Mapping) or doc.get("format") != FORMAT or not isinstance(doc.get("keys"), list):
        raise PhiKeyError(f"the keyring named by {where} is not a {FORMAT} file")
    keys: list[tuple[str, bytes]] = []
    for n, entry in enumerate(doc["keys"]):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str):
            raise PhiKeyError(f"the keyring named by {where}: keys[{n}] has no key")
        key = _configured(entry["key"].encode("utf-8"), f"keys[{n}] of the keyring named by {where}")
        key_id = PhiKey(key, "keyring").key_id
        if entry.get("key_id") != key_id:
            raise PhiKeyError(f"the keyring named by {where}: keys[{n}] does not match its key id (edited?)")
        keys.append((key_id, key))
    ring = Keyring(str(doc.get("active")), tuple(keys))
    ring.active_key()
    return ring


def load_keyring(path: str | os.PathLike[str], where: str = ENV_KEYRING) -> Keyring:
    """Read a keyring file, refused unless only its owner can read it (as a key file is)."""
    text = read_key_file(path, where, max_bytes=MAX_KEYRING_BYTES, check=False)
    return _parse(text, where)


def _write(path: Path, ring: Keyring, *, new: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    data = ring.to_json().encode("ascii")
    if new:
        _write_new(path, flags, data)
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


def configured_keyring() -> Keyring | None:
    """The ring ``RFLOW_PHI_KEYRING`` names, or None when it is not set."""
    path = os.environ.get(ENV_KEYRING)
    if path is None:
        return None
    if not path.strip():
        raise PhiKeyError(f"{ENV_KEYRING} is empty: make a keyring with rflow phi keyring new FILE (or unset it)")
    return load_keyring(path)
