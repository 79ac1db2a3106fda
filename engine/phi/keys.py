"""The deployment key, and the purpose-bound subkeys everything keyed is computed with.

A bare SHA-256 of an SSN or a phone number is reversible by enumerating the (small) value space,
so digests are HMAC-SHA-256 under a per-deployment key: ``RFLOW_PHI_KEY`` (the key itself),
else ``RFLOW_PHI_KEY_FILE`` (a file holding it), else a random key for this process only, which
makes digests comparable within one run but not across runs - reports say so.

A key a user configures is refused, with the fix in the message, when it is short, blank or of
one repeated character (a guessable key makes the digests reversible again), and a key file is
refused when group or others may read it, as ssh refuses such a private key. ``rflow phi
keygen`` (:func:`write_key_file`) makes a good one; ``RFLOW_PHI_KEYRING`` names a keyring
(read here, :class:`Keyring`; made and rotated by :mod:`engine.phi.keyring`) whose active key is
used, and whose older keys still verify logs.

Nothing uses the deployment key directly: finding digests, pseudonyms, date shifts and the audit
log's MAC each use an HKDF subkey of it (:func:`derive_subkey`, purposes and schemes in
:mod:`engine.phi.schemes`). Reports and audit logs name the key by its id, a fingerprint.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from engine.core.atomic import write_all
from engine.core.configfile import ConfigFileError, read_regular_bytes
from engine.phi.errors import PhiKeyError
from engine.phi.schemes import PURPOSE_AUDIT_MAC, PURPOSE_DIGEST, SCHEMES

ENV_KEY = "RFLOW_PHI_KEY"
ENV_KEY_FILE = "RFLOW_PHI_KEY_FILE"
MIN_KEY_BYTES = 16
MIN_DISTINCT_BYTES = 6
"""A configured key with fewer different bytes than this (``aaaa...``, ``abab...``) is refused."""
MAX_KEY_FILE_BYTES = 4096
NEW_KEY_BYTES = 32
HOW_TO_MAKE = "make one with: rflow phi keygen -o FILE, then set RFLOW_PHI_KEY_FILE=FILE"
KeySource = Literal["env", "file", "keyring", "explicit", "random"]
KEY_ID_MESSAGE = b"rflow/key-id"

_RUN_KEY = secrets.token_bytes(32)  # one per process: "per-run" for a CLI invocation


@attrs.frozen
class PhiKey:
    """An HMAC key and where it came from; the key never appears in repr."""

    key: bytes = attrs.field(repr=False)
    source: KeySource

    @property
    def is_random(self) -> bool:
        """True when digests are only comparable within this run."""
        return self.source == "random"

    def subkey(self, purpose: bytes) -> bytes:
        """The HKDF subkey of this key for one ``purpose`` (see :mod:`engine.phi.schemes`)."""
        return _subkey(self.key, purpose)

    @property
    def audit_mac_key(self) -> bytes:
        """The subkey of the audit log's MAC: all an auditor needs, and nothing that makes pseudonyms."""
        return self.subkey(PURPOSE_AUDIT_MAC)

    @property
    def key_id(self) -> str:
        """The key's fingerprint: 16 hex digits, the same id the audit log records (never the key).

        HMAC of a fixed message under the audit-MAC subkey: one-way, and unchanged since audit
        logs first named their key, so every log written since keeps its key id.
        """
        return hmac.new(self.audit_mac_key, KEY_ID_MESSAGE, "sha256").hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        """What reports and logs record of the key: where it came from, its id, the schemes used."""
        return {"source": self.source, "key_id": None if self.is_random else self.key_id, "schemes": dict(SCHEMES)}

    def digest(self, category: str, normalized: str) -> str:
        """Hex HMAC-SHA-256 of ``category`` + normalized value (category separates domains)."""
        return self.digest_bytes(f"{category}\x1f".encode(), normalized.encode())

    def digest_bytes(self, prefix: bytes, normalized: bytes) -> str:
        """Hex HMAC-SHA-256 under the finding-digest subkey of ``prefix + normalized``
        (``prefix`` is ``b"<CATEGORY>\\x1f"``): the HMAC of the ``rflow-digest`` scheme."""
        inner, outer = _pads(self.subkey(PURPOSE_DIGEST))
        h = inner.copy()
        h.update(prefix)
        h.update(normalized)
        o = outer.copy()
        o.update(h.digest())
        return o.hexdigest()


def derive_subkey(key: bytes | PhiKey, purpose: bytes, length: int = 32) -> bytes:
    """HKDF-SHA-256 (RFC 5869) of the deployment key for one ``purpose`` (the HKDF ``info``).

    Why: each use of the deployment key (finding digests, the audit log's MAC, ...) gets its own
    key, so a component that holds one subkey (an audit verifier) cannot compute the others.
    """
    ikm = key.key if isinstance(key, PhiKey) else bytes(key)
    if not 1 <= length <= 255 * 32:
        raise ValueError("HKDF-SHA-256 derives 1 to 8160 bytes")
    prk = hmac.digest(b"\0" * 32, ikm, "sha256")
    out, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.digest(prk, block + purpose + bytes([counter]), "sha256")
        out += block
    return out[:length]


@functools.lru_cache(maxsize=32)
def _subkey(key: bytes, purpose: bytes) -> bytes:
    return derive_subkey(key, purpose)


@functools.lru_cache(maxsize=8)
def _pads(key: bytes) -> tuple[Any, Any]:
    """SHA-256 states primed with the HMAC inner and outer pads (RFC 2104).

    Same result as ``hmac.digest(key, msg, "sha256")``, several times faster per call because
    OpenSSL 3 looks the digest up again on every one-shot call.
    """
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    return inner, outer


def _checked(key: bytes, where: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise PhiKeyError(f"the PHI digest key from {where} is shorter than {MIN_KEY_BYTES} bytes")
    return key


def _configured(key: bytes, where: str) -> bytes:
    """A key a user configured, or a one-line error that says what is wrong and how to fix it."""
    if not key.strip():
        raise PhiKeyError(f"{where} is {'blank' if key else 'empty'}: {HOW_TO_MAKE} (or unset {where})")
    if len(key) < MIN_KEY_BYTES:
        raise PhiKeyError(f"{where} is shorter than {MIN_KEY_BYTES} bytes: {HOW_TO_MAKE}")
    if len(set(key)) < MIN_DISTINCT_BYTES:
        raise PhiKeyError(f"{where} is too easy to guess (fewer than {MIN_DISTINCT_BYTES} different "
                          f"characters): {HOW_TO_MAKE}")
    return key


def read_key_file(path: str | os.PathLike[str], where: str = ENV_KEY_FILE, *,
                  max_bytes: int = MAX_KEY_FILE_BYTES, check: bool = True) -> bytes:
    """The key held in ``path`` (trailing newline removed), refused unless only its owner can read it.

    ``check=False``: the file's bytes as they are (a keyring, whose keys are checked one by one).
    """
    def owner_only(info: os.stat_result) -> None:
        if os.name == "posix" and info.st_mode & 0o077:
            raise PhiKeyError(
                f"the key file named by {where} can be read by group or others (mode "
                f"{stat.S_IMODE(info.st_mode):04o}): run chmod 600 on it, or {HOW_TO_MAKE}"
            )

    try:
        data = read_regular_bytes(path, max_bytes, inspect=owner_only)
    except ConfigFileError as exc:
        if exc.not_regular:
            raise PhiKeyError(f"the key file named by {where} is not a regular file: {HOW_TO_MAKE}") from None
        if exc.too_large:
            raise PhiKeyError(
                f"the key file named by {where} is larger than {max_bytes} bytes: not a key file") from None
        raise PhiKeyError(f"cannot read the key file named by {where}: {exc.cause}") from None
    if not check:
        return data
    return _configured(data.rstrip(b"\r\n"), f"the key in the file named by {where}")


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


def configured_keyring() -> Keyring | None:
    """The ring ``RFLOW_PHI_KEYRING`` names, or None when it is not set."""
    path = os.environ.get(ENV_KEYRING)
    if path is None:
        return None
    if not path.strip():
        raise PhiKeyError(f"{ENV_KEYRING} is empty: make a keyring with rflow phi keyring new FILE (or unset it)")
    return load_keyring(path)


def resolve_key(explicit: bytes | PhiKey | None = None) -> PhiKey:
    """The key to use: explicit, else env ``RFLOW_PHI_KEY``, else ``RFLOW_PHI_KEY_FILE``, else the
    active key of ``RFLOW_PHI_KEYRING``, else random.

    A variable that is set counts even when empty: an empty key is an error, not "no key".
    """
    if isinstance(explicit, PhiKey):
        return explicit
    if explicit is not None:
        return PhiKey(_checked(bytes(explicit), "the caller"), "explicit")
    env = os.environ.get(ENV_KEY)
    if env is not None:
        return PhiKey(_configured(os.fsencode(env), ENV_KEY), "env")
    path = os.environ.get(ENV_KEY_FILE)
    if path is not None:
        if not path.strip():
            raise PhiKeyError(f"{ENV_KEY_FILE} is empty: {HOW_TO_MAKE} (or unset {ENV_KEY_FILE})")
        return PhiKey(read_key_file(path), "file")
    ring = configured_keyring()
    if ring is not None:
        return ring.active_key()
    return PhiKey(_RUN_KEY, "random")


def stage_key(key: bytes | None, source: str | None) -> PhiKey:
    """The run's key as a stage gets it (``context.phi_key``, ``context.phi_key_source``).

    One truthful source for every record of a run: the run resolved the key, the stage reports
    where it came from. A stage run alone (no key in its context) resolves the configured one.
    """
    if not key:
        return resolve_key()
    known = ("env", "file", "keyring", "explicit", "random")
    return PhiKey(_checked(bytes(key), "the caller"), source if source in known else "explicit")  # type: ignore[arg-type]


def new_key_text() -> str:
    """A fresh key as a key file holds it: 32 random bytes, hex, and a newline."""
    return secrets.token_hex(NEW_KEY_BYTES) + "\n"


def write_key_file(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write a fresh key to ``path``, created with mode 0600 (never wider, not even for an instant).

    Without ``force`` an existing file is refused (``FileExistsError``); with it the new key
    replaces the file atomically (a temporary file made 0600 from the start, then renamed).
    """
    target = Path(path)
    data = new_key_text().encode("ascii")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    if not force:
        write_new(target, flags, data)
        return target
    replace_secret_file(target, data)
    return target


def replace_secret_file(target: Path, data: bytes) -> None:
    """Replace ``target`` atomically with ``data``: a temporary file made 0600 from the start, renamed."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    write_new(temp, flags, data)
    try:
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_new(path: Path, flags: int, data: bytes) -> None:
    """Create ``path`` (``O_EXCL``, mode 0600) holding ``data``; a failed write leaves no file."""
    fd = os.open(path, flags, 0o600)
    try:
        write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)  # O_EXCL: the file is ours
        raise
    os.close(fd)
