"""Errors of the PHI package; their messages are built from types, names and positions only."""

from __future__ import annotations

try:  # Part of the engine's error hierarchy when the engine core is present.
    from engine.core.errors import ConfigFileError as _ConfigBase
    from engine.core.errors import RflowError as _Base
except ImportError:  # pragma: no cover - the PHI package also works on its own
    _Base = Exception  # type: ignore[misc,assignment]
    _ConfigBase = Exception  # type: ignore[misc,assignment]


class PhiError(_Base):
    """Base class of errors raised by ``engine.phi``."""


class PhiRegistryError(PhiError, _ConfigBase):
    """The PHI registry file is missing, malformed or fails its schema.

    The message names the file and where it fails (line and column, a schema path), never a value.
    """


class PhiKeyError(PhiError):
    """The HMAC key for finding digests is misconfigured (too short, unreadable key file)."""


class PhiInputError(PhiError):
    """An input cannot be scanned (missing file, bad encoding, malformed row, ...)."""
