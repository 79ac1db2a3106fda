"""A crosswalk between the pseudonyms of two keys of a keyring, under an approval, on the record.

After a key rotation the same subject gets another pseudonym, so a new delivery no longer links
to an old one. Linking them again re-identifies nobody, but it joins two releases, which is a
decision for governance: the crosswalk needs a valid ``pseudonym_crosswalk`` approval (the one
validity rule, :func:`engine.governance.approvals.approval_problem`, applied by the command that
asks for a crosswalk: this module only builds it), and every request, refused or written, is an
entry in a keyed audit log. The crosswalk holds the two pseudonyms of each
distinct value of a column of the raw source, never the value itself, in a file only its owner
can read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from engine.phi.errors import PhiError
from engine.phi.keyring import Keyring
from engine.phi.schemes import PSEUDONYM_SCHEME, PURPOSE_PSEUDONYM, pseudonym

APPROVAL_KIND = "pseudonym_crosswalk"
MAX_FIELD_CHARS = 1 << 20


class CrosswalkRefused(PhiError):
    """The crosswalk was not approved (exit 3); the message says which rule refused it.

    Raised by the caller's approval check (``rflow phi crosswalk``), which governance owns."""


class CrosswalkError(PhiError):
    """A crosswalk that cannot be made from what was given (exit 2)."""


@attrs.frozen
class Crosswalk:
    """What was written: how many pairs, under which key ids, and the file's SHA-256."""

    pairs: int
    from_key: str
    to_key: str
    sha256: str
    approval: str

    def to_dict(self) -> dict[str, Any]:
        return {"pairs": self.pairs, "from_key_id": self.from_key, "to_key_id": self.to_key,
                "sha256": self.sha256, "approval": self.approval, "scheme": PSEUDONYM_SCHEME}


def distinct_values(path: Path, column: str) -> list[str]:
    """The distinct non-empty values of ``column`` in a CSV file (UTF-8, a header row)."""
    if csv.field_size_limit() < MAX_FIELD_CHARS:
        csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, strict=False)
            header = [h.strip() for h in next(reader, [])]
            if column not in header:
                raise CrosswalkError("the input has no column of that name")
            index = header.index(column)
            return sorted({row[index].strip() for row in reader if index < len(row) and row[index].strip()})
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CrosswalkError(f"cannot read the input as UTF-8 CSV ({type(exc).__name__})") from None


def build(ring: Keyring, from_id: str, to_id: str, kind: str, values: Iterable[str]) -> list[tuple[str, str]]:
    """``(old, new)`` pseudonym pairs of ``values`` under the keys ``from_id`` and ``to_id``, sorted."""
    old_key, new_key = ring.find(from_id), ring.find(to_id)
    if old_key is None or new_key is None:
        raise CrosswalkError("the keyring holds no key with that id (rflow phi keyring list shows its ids)")
    old_sub, new_sub = old_key.subkey(PURPOSE_PSEUDONYM), new_key.subkey(PURPOSE_PSEUDONYM)
    return sorted({(pseudonym(old_sub, kind, v), pseudonym(new_sub, kind, v)) for v in values})


def write_pairs(path: Path, pairs: list[tuple[str, str]]) -> str:
    """Write the pairs as CSV to a new file (mode 0600, never over an existing one); its SHA-256."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["old_pseudonym", "new_pseudonym"])
    writer.writerows(pairs)
    data = buffer.getvalue().encode("ascii")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise CrosswalkError("the output file exists; choose a new name") from None
    except OSError as exc:
        raise CrosswalkError(f"cannot create the output file ({exc.strerror or type(exc).__name__})") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return hashlib.sha256(data).hexdigest()
