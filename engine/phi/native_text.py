"""``re.finditer`` spans from the native core for the cue phrase lists, with Python's exact results.

Why: the cue rules (:mod:`engine.phi.cues`) run one case-insensitive alternation of a few hundred
phrases over every text; Python's ``re`` enters it at every position, which made it most of a
dense scan's time. The core's ``regex`` engine finds the same matches with literal search.

Exactness: the regex is translated from Python's own parse of it
(:func:`engine.phi.native_match.translate`); only ASCII patterns without groups or lookarounds
are sent, and only texts whose characters are all below U+0100 (in bytes mode, the latin-1
decoding of the bytes, so always). No character in that range folds to an ASCII letter under
Python's case-insensitive matching, so ASCII case folding gives the same matches; a test checks
it. Anything else runs on ``re``. The spans are the same offsets: one character per byte.
"""

from __future__ import annotations

import re
from typing import Any

from engine.phi.native_match import MIN_BYTES, core_loaded, translate, use_core
from engine.phi.prefilter import Unsupported

_BUILT: dict[int, tuple[re.Pattern[str], Any]] = {}


def finder_for(rx: re.Pattern[str]) -> Any | None:
    """The core's finder of ``rx`` (compiled once per process), or None where ``re`` must run."""
    if not use_core():
        return None
    hit = _BUILT.get(id(rx))
    if hit is not None and hit[0] is rx:
        return hit[1]
    finder = None
    if isinstance(rx.pattern, str) and rx.pattern.isascii() and not rx.groups:
        try:
            from engine.phi import native

            assert native.core is not None
            finder = native.core.Finder(translate(rx.pattern, rx.flags))
        except Unsupported:
            finder = None
    _BUILT[id(rx)] = (rx, finder)
    return finder


def spans(rx: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """``[m.span() for m in rx.finditer(text)]``, from the core where it gives the same.

    A short text (a message being sanitized) uses the core only once a scan loaded it, so that
    ``rflow validate`` never imports the core.
    """
    finder = finder_for(rx) if len(text) >= MIN_BYTES or core_loaded() else None
    if finder is not None:
        try:
            data = text.encode("latin-1")
        except UnicodeEncodeError:
            pass
        else:
            found: list[tuple[int, int]] = finder.spans(data)
            return found
    return [m.span() for m in rx.finditer(text)]
