"""The cue rules' matches: NAME and CITY spans of a text, in the registry's match stream.

The rules themselves are :mod:`engine.phi.names` and :mod:`engine.phi.places`, over the tokens
and vocabularies of :mod:`engine.phi.cues` (or all of it in the native core,
:mod:`engine.phi.native_cues`). :func:`find` returns the spans of both kinds; :func:`matches`
yields them in the shape of :func:`engine.phi.matcher.iter_matches`, which merges them with the
registry's pattern matches, so the scanner, the sanitizer, the output guard, the log filter and
de-identification all see them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, AnyStr

from engine.phi import cues, names, native_cues, places
from engine.phi.registry import CompiledPattern, load_registry
from engine.phi.validators import NORMALIZERS


def resolve(spans: Iterable[tuple[int, int, str, int]]) -> list[tuple[int, int, str]]:
    """Non-overlapping spans, left to right; at one start the longest wins, then the lower rank
    (a cue's evidence before a dictionary pair's)."""
    out: list[tuple[int, int, str]] = []
    last = -1
    for s, e, cat, _rank in sorted(spans, key=lambda x: (x[0], -x[1], x[3])):
        if s >= last and e > s:
            out.append((s, e, cat))
            last = e
    return out


def find(text: str, *, bytes_mode: bool = False) -> list[tuple[int, int, str]]:
    """NAME and CITY spans of ``text`` found by the cue rules, non-overlapping, left to right."""
    if native_cues.enabled(len(text)):
        found = native_cues.find(text, bytes_mode)
        if found is not None:
            return found
    t = cues.tokenize(text, bytes_mode)
    if not t.tokens:
        return []
    return resolve([*names.name_spans(t), *places.place_spans(t)])


@functools.lru_cache(maxsize=1)
def patterns() -> dict[str, Any]:
    """One registry-shaped pattern per category, so matches can join the registry's stream."""
    reg = load_registry()
    never_str, never_bytes = re.compile("[^\\x00-\\U0010ffff]"), re.compile(b"[^\\x00-\\xff]")
    out = {}
    for name in ("NAME", "CITY"):
        cat = reg.category(name)
        out[name] = CompiledPattern(
            id=f"{name.lower()}-cue",
            category=cat,
            tier="scan",
            source="",
            validators=(),
            normalizer=NORMALIZERS[cat.normalize],
            value_group=None,
            str_re=never_str,
            bytes_re=never_bytes,
        )
    return out


def matches(data: AnyStr) -> list[tuple[Any, int, int, int, int]]:
    """Cue-rule matches as ``(pattern, match_start, value_start, value_end, match_end)``."""
    native = native_cues.find(data, isinstance(data, bytes)) if native_cues.enabled(len(data)) else None
    if native is not None:
        spans = native
    elif isinstance(data, bytes):
        spans = find(data.decode("latin-1"), bytes_mode=True)
    else:
        spans = find(data)
    if not spans:
        return []
    pats = patterns()
    return [(pats[cat], s, s, e, e) for s, e, cat in spans]
