"""``shown(value)``: the one way a path, id or value from outside reaches a terminal or a report.

Why: manifests, data, headers and file names are user-typed, so they can hold PHI and terminal
control sequences (``ESC [ ... m``, OSC titles, bidi overrides that reorder what is read, lone
surrogates from non-UTF-8 file names that make ``print`` raise). ``shown`` sanitizes first, then
shows every non-printable character escaped (``\\x1b``, ``\\u202e``, a raw byte of a file name as
``\\xff``), then truncates — in that order, so a cut never leaves part of a value unsanitized.

A control sequence can glue PHI to letters the sanitizer treats as part of a word
(``ESC[31m123-45-6789``: the ``m`` hides the SSN's left boundary), so each run of text between
control characters is sanitized again on its own: once with a sequence's printable tail (``[31m``)
split off and once with it kept (an ``ESC 7`` tail is a digit that may belong to the value).
Control characters that a ``repr()`` upstream already wrote as text (``\\x1b[31m``) separate
runs the same way.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from engine.core.errors import ConfigFileError, safe_error_text, sanitize_text

DEFAULT_LIMIT = 500
ELLIPSIS = "…"

# After ESC: a CSI sequence (ESC [ params intermediates final), else an nF/Fp/Fe/Fs escape
# (intermediates then one final byte; covers OSC's "]" and DCS's "P", whose text follows as data).
_ESC_TAIL = re.compile(r"\[[0-?]{0,64}[ -/]{0,8}[@-~]|[ -/]{0,8}[0-~]")
_CSI8_TAIL = re.compile(r"[0-?]{0,64}[ -/]{0,8}[@-~]")  # after the 8-bit CSI, U+009B
# A control character a repr() already wrote as text; ESC and CSI forms can have a tail.
_TEXT_CONTROL = re.compile(r"\\(?:(x1[bB]|u001[bB]|033|e|x9[bB]|u009[bB])|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}"
                           r"|U[0-9a-fA-F]{8}|[0-7]{1,3}|[nrtabfv])")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_char(ch: str) -> str:
    """A non-printable character as a visible escape; a surrogate-escaped file-name byte as ``\\xNN``."""
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with every non-printable character escaped (nothing sanitized, nothing cut): a
    recorded name that must round-trip through UTF-8, such as a non-UTF-8 file name's ``\xff``."""
    return text if text.isprintable() else "".join(ch if ch.isprintable() else escape_char(ch) for ch in text)


_escaped = printable


def _tail(text: str, at: int, csi8: bool) -> int:
    """Where the printable tail of an escape sequence starting at ``at`` ends."""
    m = (_CSI8_TAIL if csi8 else _ESC_TAIL).match(text, at)
    return m.end() if m is not None else at


def _segments(text: str, *, tails: bool) -> list[tuple[bool, str]]:
    """``(is_separator, piece)``: control characters (raw or already written as text), with their
    sequence's tail when ``tails``, and the runs of text between them."""
    out: list[tuple[bool, str]] = []
    start = i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isprintable() and ch != "\\":
            i += 1
            continue
        if ch.isprintable():  # a backslash: a control character written as text?
            m = _TEXT_CONTROL.match(text, i)
            if m is None:
                i += 1
                continue
            end = m.end()
            escape_form = m.group(1)
            csi8 = escape_form is not None and escape_form.lower() in ("x9b", "u009b")
        else:
            end = i + 1
            escape_form = ch if ch in "\x1b\x9b" else None
            csi8 = ch == "\x9b"
        if tails and escape_form is not None:
            end = _tail(text, end, csi8)
        if start < i:
            out.append((False, text[start:i]))
        out.append((True, text[i:end]))
        i = start = end
    if start < n:
        out.append((False, text[start:]))
    return out


def _sanitize(text: str) -> str:
    return sanitize_text(text, limit=None)


def shown(value: object, limit: int = DEFAULT_LIMIT) -> str:
    """``value`` as safe one-line text: PHI replaced, control characters escaped, at most ``limit`` chars."""
    text = value if isinstance(value, str) else str(value)
    text = _sanitize(text)
    if text.isprintable() and "\\" not in text:
        return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS
    text = "".join(piece if sep else _sanitize(piece) for sep, piece in _segments(text, tails=False))
    parts: list[tuple[bool, str]] = []
    size = 0
    for sep, piece in _segments(text, tails=True):
        part = _escaped(piece) if sep else _sanitize(piece)
        parts.append((sep, part))
        size += len(part)
        if size > limit:
            break
    if size <= limit:
        return "".join(part for _, part in parts)
    # Cut to limit - 1 characters and the ellipsis; an escape is shown whole or not at all.
    budget = max(limit - 1, 0)
    out: list[str] = []
    size = 0
    for sep, part in parts:
        if size + len(part) > budget:
            if not sep:
                out.append(part[: budget - size])
            break
        out.append(part)
        size += len(part)
    return "".join(out) + ELLIPSIS


def shown_error(exc: BaseException, limit: int = DEFAULT_LIMIT) -> str:
    """``Type: message`` of an exception for a terminal: :func:`safe_error_text` then :func:`shown`.

    A :class:`ConfigFileError` (a broken PHI registry) is only escaped and cut: its message holds a
    file name and a position, and the sanitizer is compiled from the very file it reports.
    """
    text = safe_error_text(exc)
    if not isinstance(exc, ConfigFileError):
        return shown(text, limit)
    text = printable(text)
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def shown_path(path: object) -> str:
    """A file path for display: like :func:`shown`, with room for a long absolute path."""
    return shown(path, limit=1000)


def display_name(path: str | Path) -> str:
    """A path as recorded text (a diagnostic's file, a dictionary's source): bytes that are not
    UTF-8 (``surrogateescape``) as ``\\xNN``, nothing sanitized or cut, so it survives JSON and UTF-8.
    What reaches a terminal or a report goes through :func:`shown_path` (which escapes the same way).
    """
    text = os.fspath(path)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no file name decodes to
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
