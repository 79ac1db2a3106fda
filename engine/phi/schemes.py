"""The versioned schemes of everything rflow derives from the deployment key.

A pseudonym, a finding digest or a date shift depends on the key and on every detail of how the
value is normalized first. A change to either changes every output, so each scheme has a
version, reports record it, and ``tests/phi/golden_vectors.json`` pins its outputs: the Python
path and the Rust path must both reproduce those vectors, release after release. Changing a
scheme means a new version string here, and new vectors beside the old ones.

Pseudonyms and date shifts are at version 2, finding digests at version 3:

* each purpose has its own HKDF-SHA-256 subkey of the deployment key (RFC 5869, zero salt,
  ``info`` = the purpose below), so a holder of one subkey (an audit verifier holds the audit
  MAC's) cannot compute pseudonyms or digests;
* a value is normalized by Unicode NFKC, then every run of the whitespace in ``WHITESPACE``
  becomes one space, the ends are stripped, and letters are lower-cased (Unicode default
  lower-case mapping, ``str.lower``); for ``DIGIT_KINDS`` only the ASCII digits are kept (when
  there are any), so ``123-45-6789`` and the same digits in fullwidth forms are one value;
* pseudonym: ``PREFIX_`` + 12 lowercase letters from the first 8 bytes (big-endian) of
  HMAC(pseudonym subkey, ``KIND 0x1f normalized``), least significant letter first;
* date shift: the first 4 bytes (big-endian) of HMAC(date-shift subkey, ``SUBJECT_ID 0x1f
  normalized subject``) modulo ``2*max+1``, minus ``max``; 0 becomes 1 (a shift always moves);
* finding digest (version 3): hex HMAC(finding-digest subkey, ``CATEGORY 0x1f normalized``), where
  ``normalized`` is the registry's normalizer of the category applied to the matched value's
  canonical form (:func:`engine.phi.normalize.canonical`: NFKC, format characters removed, decimal
  digits of any script in ASCII). Version 2 applied the normalizer to the matched text as written,
  so a name written decomposed (``e`` + U+0301) or an SSN in Arabic-Indic digits had a digest of
  its own; version 3 gives them the digest of their plain form. The HMAC itself is unchanged, so
  the digests of text that is already canonical (all ASCII text) are the same in both versions.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

PSEUDONYM_SCHEME = "rflow-pseudonym/v2"
DATE_SHIFT_SCHEME = "rflow-date-shift/v2"
DIGEST_SCHEME = "rflow-digest/v3"
SCHEMES = {"pseudonym": PSEUDONYM_SCHEME, "date_shift": DATE_SHIFT_SCHEME, "digest": DIGEST_SCHEME}

PURPOSE_DIGEST = b"rflow/finding-digest/v1"
PURPOSE_PSEUDONYM = b"rflow/pseudonym/v1"
PURPOSE_DATE_SHIFT = b"rflow/date-shift/v1"
PURPOSE_AUDIT_MAC = b"rflow/audit-mac/v1"
PURPOSES = {"digest": PURPOSE_DIGEST, "pseudonym": PURPOSE_PSEUDONYM, "date_shift": PURPOSE_DATE_SHIFT,
            "audit_mac": PURPOSE_AUDIT_MAC}

WHITESPACE = "\t\n\v\f\r \x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007" \
             "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
"""Exactly the characters Python's ``str.split()`` splits on, spelled out for other implementations."""
_SPACES = re.compile("[" + re.escape(WHITESPACE) + "]+")
_ASCII_DIGITS = re.compile(r"[0-9]", re.ASCII)
DIGIT_KINDS = frozenset({"SSN", "PHONE", "MRN"})
SEPARATOR = "\x1f"


def normalize(kind: str, value: str) -> str:
    """The form of ``value`` a pseudonym or a date shift is computed from (see the module docstring)."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", value)).strip(" ").lower()
    if kind in DIGIT_KINDS:
        digits = "".join(_ASCII_DIGITS.findall(text))
        return digits or text
    return text


def _mac(subkey: bytes, kind: str, normalized: str) -> bytes:
    return hmac.digest(subkey, f"{kind}{SEPARATOR}{normalized}".encode("utf-8", "surrogatepass"), hashlib.sha256)


def letters(mac: bytes, n: int = 12) -> str:
    """``n`` lowercase letters from the first 8 bytes of ``mac`` (~56 bits for 12).

    Letters only: a pseudonym must not look like what it replaces (digits in an ``mrn`` column
    would make it an MRN-shaped value to the scanner's column context).
    """
    value = int.from_bytes(mac[:8], "big")
    out = []
    for _ in range(n):
        value, r = divmod(value, 26)
        out.append(chr(97 + r))
    return "".join(out)


def prefix(kind: str) -> str:
    return "SUBJ" if kind == "SUBJECT_ID" else kind[:5]


def pseudonym(subkey: bytes, kind: str, value: str) -> str:
    """The keyed pseudonym of ``value`` (a ``kind`` such as ``NAME`` or ``SUBJECT_ID``)."""
    return f"{prefix(kind)}_{letters(_mac(subkey, kind, normalize(kind, value)))}"


def shift_days(subkey: bytes, subject: str, max_days: int) -> int:
    """The subject's date shift in days, in ``[-max_days, max_days]`` and never 0."""
    mac = _mac(subkey, "SUBJECT_ID", normalize("SUBJECT_ID", subject))
    return int.from_bytes(mac[:4], "big") % (2 * max_days + 1) - max_days or 1
