"""Exceptions of the engine, and the one function every error text goes through.

Why one function: exception messages routinely quote raw input (``int("123-45-6789")``,
``UnicodeDecodeError.object``, csv errors). Every error string the engine reports is built by
:func:`safe_error_text`, which keeps the exception type and runs the message through the PHI
sanitizer (installed by the layer above: :mod:`engine.core.redaction`), so nothing raw leaves through an error path.
"""

from __future__ import annotations

from engine.core.redaction import redact

MAX_ERROR_CHARS = 500


class RflowError(Exception):
    """Base class of every error the engine raises on purpose."""


class RegistrationError(RflowError):
    """A stage class is malformed or conflicts with one already registered."""


class UnknownStageError(RflowError, LookupError):
    """A stage id or key is not registered; the message lists close matches."""


class ComponentError(RflowError):
    """A component is malformed, or a stage touched a component it did not declare."""


class UndeclaredComponentAccess(ComponentError):
    """A stage read or wrote a component missing from its ``reads``/``writes``."""


class RestrictedComponentError(ComponentError):
    """Someone tried to serialize or report a restricted (raw-data) component."""


class OutputGuardError(RflowError):
    """A StageResult carried something that is not safe metadata."""


class InputFileError(RflowError):
    """An input path is missing, unreadable, or not a regular file (a FIFO, device, directory...)."""


class ArtifactWriteError(RflowError):
    """The OS refused to write an artifact (disk full, file size limit, quota, read-only, permission).

    The message is one line: the artifact's path relative to the run folder (sanitized) and the
    OS's reason, never a data value. Executors pass it through unchanged (it is no task crash), so
    the failed step says which file could not be written; see :func:`engine.core.atomic.writing_artifact`.
    """


class ConfigFileError(RflowError):
    """A data file the engine itself reads (the PHI registry) cannot be used.

    Its message names the file and a position (line and column, or a schema path) and never quotes
    the file's content or any input, so it is shown as written: the sanitizer every other error text
    goes through is compiled from such a file and may be what cannot load.
    """


class PluginLoadError(RflowError):
    """A third-party stage plugin failed to load (reported by entry-point name)."""


def sanitize_text(text: str, limit: int | None = MAX_ERROR_CHARS) -> str:
    """Remove PHI from ``text`` with the installed sanitizer, then bound its length (``None``: keep it).

    The one place error texts meet the sanitizer, which the layer above injects
    (:mod:`engine.core.redaction`); :mod:`engine.core.display` builds on it.
    """
    cleaned = redact(text)
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned


def safe_excerpt(text: object, limit: int) -> str:
    """``text`` with PHI removed by the canonical sanitizer, THEN cut to ``limit`` characters.

    Why this order: cut first, and an identifier straddling the cut (``512-73-4891`` ->
    ``512-73-489``) no longer matches its pattern and leaves unredacted. A cut text ends in ``…``
    (counted in ``limit``). For terminal output, :func:`engine.core.display.shown` also escapes control
    characters.
    """
    return sanitize_text(text if isinstance(text, str) else str(text), limit=max(1, limit))


def safe_error_text(exc: BaseException) -> str:
    """``Type: sanitized message`` for any exception, never the raw message."""
    name = type(exc).__name__
    if isinstance(exc, ConfigFileError):
        return f"{name}: {exc}"
    if isinstance(exc, UnicodeDecodeError):
        # Its str() quotes the undecodable bytes: report only position and codec.
        return f"{name}: cannot decode byte at position {exc.start} as {exc.encoding}"
    try:
        message = str(exc)
    except Exception:  # a hostile __str__ must not break error reporting
        message = ""
    message = sanitize_text(message)
    return f"{name}: {message}" if message else name
