"""The name and place cue rules run by the native core (``engine._native.Cues``), same spans as Python.

Why: on the native path the phrase spans already came from the core, but the tokens and the
rules in Python were most of what the cue rules cost a dense scan (docs/benchmarks.md). The core
runs the same rules (native/src/cues*.rs) over the same data: nothing is written twice, the
vocabularies, dictionaries, gazetteer, character classes and the gated cue phrase regexes are the
ones :mod:`engine.phi.cues` loaded, handed over once per process.

Where the core runs: bytes (one character per byte, as Python views them) and ``str`` texts whose
characters all lie below U+0100; any other text is Python's. ``RFLOW_PHI_CORE_CUES=0`` keeps the
rules in Python (the differential test and the benchmark compare both).
"""

from __future__ import annotations

import functools
import re
from typing import Any

from engine.phi import core_plan, cues, envpin, names, places
from engine.phi.cues import Token, word_start
from engine.phi.native_match import MIN_BYTES, core_loaded, translate, use_core
from engine.phi.prefilter import Unsupported

ENV = "RFLOW_PHI_CORE_CUES"
KINDS = ("NAME", "CITY")


def enabled(size: int) -> bool:
    """The core runs the cue rules on a text of ``size`` characters here.

    A short text (a message being sanitized) uses the core only once a scan loaded it, so that
    ``rflow validate`` never imports the core.
    """
    if envpin.get(ENV, "1") == "0" or not (size >= MIN_BYTES or core_loaded()):
        return False
    return use_core() and built() is not None


def _table(cls: str) -> bytes:
    rx = re.compile(f"[{cls}]")
    return bytes(1 if rx.match(chr(b)) else 0 for b in range(256))


@functools.cache
def built() -> Any | None:
    """The core's rules (built once per process), or None where a part does not translate."""
    from engine.phi import native as nat

    if nat.core is None:
        return None
    shipped = core_plan.shipped()
    done = shipped["cues"] if shipped is not None else translated()
    if done is None:
        return None
    patterns, tables = done
    v = cues.vocab()
    d = names.dictionaries()
    g = places.gazetteer()
    prefixes = cues.token_prefixes(v.rules["names"]["prefixes"])
    pl = v.rules["places"]
    if not all(p.isascii() for p in prefixes) or not all(n.isascii() for n in g.states.values()):
        return None
    codes = [a + b for a in map(chr, range(65, 91)) for b in map(chr, range(65, 91))]
    sets = {
        "titles": v.titles,
        "particles": v.particles,
        "fillers": v.fillers,
        "credentials": v.credentials,
        "stop": v.stop,
        "negatives": v.negatives,
        "eponyms": v.eponyms,
        "abbreviations": v.abbreviations,
        "suffixes": v.suffixes,
        "english": v.english,
        "place_words": pl["place_words"],
        "county_words": pl["county_words"],
        "ambiguous_states": pl["ambiguous_states"],
        "state_codes": [c for c in codes if places._STATE_CODE.fullmatch(c)],
        "surnames": d.surnames,
        "common": d.common,
        "needs_context": d.needs_context,
        "never": d.never,
        "any_city": g.any_city,
        "state_names": g.state_names,
        "countries": g.countries,
    }
    return nat.core.Cues(
        {k: list(s) for k, s in sets.items()},
        d.first,
        (
            {k: list(s) for k, s in g.cities.items()},
            {k: list(s) for k, s in g.counties.items()},
            list(g.states.items()),
        ),
        patterns,
        tables,
        (v.window, v.max_words, names.FREQUENT_FIRST_NAME),
        v.separators or "",
        prefixes,
        [cues.char_key(chr(b)) for b in range(256)],
    )


def translated() -> tuple[tuple[str, ...], list[bytes]] | None:
    """The cue phrases in the core's dialect and the character-class tables: the part of the core's
    rules that costs start-up time, translated ahead of time for the shipped files
    (:mod:`engine.phi.core_plan`). None where a phrase does not translate."""
    v = cues.vocab()
    try:
        patterns = tuple(_gated(rx) for rx in (v.name_cues, v.place_cues, v.weak_place_cues))
    except Unsupported:
        return None
    letters = "A-Za-z"
    classes = (
        cues._STR_UP,
        letters + cues._STR_UP + cues._STR_LO,
        cues._WORD_CHARS_STR.pattern[1:-1],
        cues._BYTES_UP,
        letters + cues._BYTES_UP + cues._BYTES_LO,
        cues._WORD_CHARS_BYTES.pattern[1:-1],
    )
    return patterns, [_table(c) for c in classes]


def _gated(rx: re.Pattern[str]) -> str:
    gated = word_start(rx)
    if not gated.pattern.isascii() or gated.groups:
        raise Unsupported("a cue regex the core cannot run")
    return translate(gated.pattern, gated.flags)


def word_info(raw: bytes) -> tuple[str, str, str, bool]:
    """What the rules need of a bytes-mode token with bytes above 0x7f: its UTF-8 word, key, upper case, caps."""
    tok = Token(0, 0, raw.decode("utf-8", "replace"), False)
    return tok.word, tok.key, tok.word.upper(), tok.caps


def find(text: str | bytes, bytes_mode: bool) -> list[tuple[int, int, str]] | None:
    """The core's spans of ``text`` (``bytes``: bytes mode), or None where Python must run them."""
    rules = built()
    if rules is None:
        return None
    if isinstance(text, str):
        try:
            data = text.encode("latin-1")
        except UnicodeEncodeError:
            if bytes_mode:
                raise
            return None
    else:
        data = text
    return [(s, e, KINDS[k]) for s, e, k in rules.find(data, bytes_mode, word_info)]
