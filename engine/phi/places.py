"""Geography smaller than a state (Safe Harbor B): towns, cities and counties named in text.

The cue is the evidence: a place before ", ST" (a two-letter state code or a state name), after
"lives in", "resident of", "moved to", "born in", or before "County" is found whether or not a
gazetteer lists it. The gazetteer (``places.json``: GeoNames US cities and counties, built by
``bench/make_phi_vocabularies.py``; source and licence in docs/phi.md) adds evidence where the cue
is weak ("from Tulsa", "Baltimore, MD" where MD could be a degree) and tells states and countries,
which are not smaller than a state, from towns.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import attrs

from engine.phi.cues import Text, Token, gap_words, vocab
from engine.phi.cues import english as _english_word
from engine.phi.names import dictionaries

GAZETTEER = Path(__file__).with_name("places.json")
_STATE_CODE = re.compile(
    "(?:A[KLRSZ]|C[AOT]|D[CE]|FL|G[AU]|HI|I[ADLN]|K[SY]|LA|M[ADEINOPST]|N[CDEHJMVY]|O[HKR]|P[AR]|RI|S[CD]|T[NX]|UT|V[AIT]|W[AIVY])"
)


@attrs.frozen
class Gazetteer:
    """Upper-case place names: cities per state, all cities, counties, states, countries."""

    cities: dict[str, frozenset[str]]
    any_city: frozenset[str]
    counties: dict[str, frozenset[str]]
    any_county: frozenset[str]
    states: dict[str, str]
    state_names: frozenset[str]
    countries: frozenset[str]
    source: str


@functools.cache
def gazetteer() -> Gazetteer:
    """The shipped gazetteer (loaded once per process)."""
    doc = json.loads(GAZETTEER.read_text(encoding="ascii"))
    cities = {st: frozenset(n.upper() for n in names.split("|")) for st, names in doc["cities"].items()}
    counties = {
        st: frozenset(
            n.upper().removesuffix(" COUNTY").removesuffix(" PARISH").removesuffix(" BOROUGH") for n in names.split("|")
        )
        for st, names in doc["counties"].items()
    }
    return Gazetteer(
        cities=cities,
        any_city=frozenset().union(*cities.values()),
        counties=counties,
        any_county=frozenset().union(*counties.values()),
        states={code: name for code, name in doc["states"].items()},
        state_names=frozenset(n.upper() for n in doc["states"].values()),
        countries=frozenset(n.upper() for n in doc["countries"].split("|")),
        source=doc["source"],
    )


def is_city(name: str, state: str | None = None) -> bool:
    """``name`` is a US city or town in the gazetteer (in ``state`` when given)."""
    g = gazetteer()
    key = name.upper()
    return key in (g.cities.get(state, frozenset()) if state else g.any_city)


def english(word: str) -> bool:
    """A common English word, Census names that are words included ("West", "Mercy", "Reading")."""
    return _english_word(word) or word.upper() in dictionaries().common


def _not_place(tok: Token) -> bool:
    v = vocab()
    key = tok.key
    return key in v.stop or key in v.negatives or key in v.credentials or tok.word in v.titles or tok.initial


def _run_before(t: Text, end_index: int, limit: int = 3) -> list[int]:
    """Indices of up to ``limit`` tokens ending at token ``end_index``, joined by single blanks."""
    run = [end_index]
    i = end_index
    while i > 0 and len(run) < limit:
        gap = t.text[t.tokens[i - 1].end : t.tokens[i].start]
        if gap.rstrip(".").strip(" \t") != "" or len(gap) > 2 or t.tokens[i - 1].possessive:
            break
        i -= 1
        run.insert(0, i)
    return run


def _name_of(t: Text, idx: list[int]) -> str:
    return " ".join(t.tokens[i].word for i in idx)


def _before_state(t: Text, last: int, state: str, zip_follows: bool) -> tuple[int, int] | None:
    """The place ending at token ``last`` before ", <state>" (token range), or None."""
    run = _run_before(t, last)
    g = gazetteer()
    known = None
    for k in range(len(run)):  # the longest tail the gazetteer knows
        idx = run[k:]
        if is_city(_name_of(t, idx), state) or _name_of(t, idx).upper() in g.counties.get(state, ()):
            known = idx[0], idx[-1] + 1
            break
    v = vocab()
    if state in v.rules["places"]["ambiguous_states"] and not zip_follows:
        return known
    guess = _guess_before_state(t, run)
    return guess if known is None or (guess is not None and guess[0] < known[0]) else known


def _guess_before_state(t: Text, run: list[int]) -> tuple[int, int] | None:
    """A place no gazetteer lists before a state: its words, without template words before it."""
    keep = list(run)
    while len(keep) > 1 and (_not_place(t.tokens[keep[0]]) or _english_word(t.tokens[keep[0]].word)):
        keep = keep[1:]  # "Patient Lives In Boston": template words before the place
    if not keep or _not_place(t.tokens[keep[0]]) or t.tokens[keep[-1]].possessive:
        return None
    return keep[0], keep[-1] + 1


def _ends_in_place_word(t: Text, idx: list[int]) -> bool:
    return t.tokens[idx[-1]].word in vocab().rules["places"]["place_words"]


def _state_spans(t: Text) -> list[tuple[int, int, str, int]]:
    """A place before a state: "Springfield, MA", "Salt Lake City, UT 84101", "Tulsa, Oklahoma"."""
    out: list[tuple[int, int, str, int]] = []
    g = gazetteer()
    text = t.text
    for i, tok in enumerate(t.tokens[:-1]):
        nxt = t.tokens[i + 1]
        gap = text[tok.end : nxt.start]
        if gap.strip(" \t") != "," or len(gap) > 3 or tok.possessive:
            continue
        state = None
        word = nxt.word
        after = t.after(nxt.end, 12)
        if len(word) == 2 and _STATE_CODE.fullmatch(word):
            if after[:1].isalpha():
                continue
            state = word
        else:
            for code, name in g.states.items():
                if text.startswith(name, nxt.start) and not t.is_word_char(nxt.start + len(name)):
                    state = code
                    after = t.after(nxt.start + len(name), 12)
                    break
        if state is None:
            continue
        zip_follows = bool(re.match("[.,]?[ \t]{1,3}[0-9]{5}", after))
        ext = _before_state(t, i, state, zip_follows)
        if ext is not None:
            out.append((t.tokens[ext[0]].start, t.tokens[ext[1] - 1].end, "CITY", 0))
    return out


def _after_cue(t: Text, i: int, weak: bool) -> tuple[int, int] | None:
    """The place starting at token ``i`` after a place cue (token range), or None."""
    g = gazetteer()
    toks = t.tokens
    run = [i]
    while len(run) < 3 and run[-1] + 1 < len(toks):
        a, b = toks[run[-1]], toks[run[-1] + 1]
        gap = t.text[a.end : b.start]
        if gap.rstrip(".").strip(" \t") != "" or len(gap) > 2 or a.possessive or _not_place(b):
            break
        run.append(run[-1] + 1)
    known = None
    for k in range(len(run), 0, -1):  # the longest head the gazetteer knows
        name = _name_of(t, run[:k]).upper()
        if name in g.state_names or name in g.countries:
            return None  # a state or a country is not smaller than a state
        if weak and (k == 1 and english(toks[run[0]].word)):
            continue  # "in West Nile virus", "from Reading": a word, unless the place has more words
        if is_city(name) or name in g.any_county:
            while k < len(run) and _ends_in_place_word(t, run[: k + 1]):  # "Bellwood Heights"
                k += 1
            known = (run[0], run[k - 1] + 1)
            break
    guess = _guess_after_cue(t, run, weak)
    if known is None or (guess is not None and guess[1] > known[1]):
        return guess
    return known


def _guess_after_cue(t: Text, run: list[int], weak: bool) -> tuple[int, int] | None:
    """A place no gazetteer lists: not an English word, or English words ending in "Springs"."""
    toks = t.tokens
    first = toks[run[0]]
    if _not_place(first) or first.caps:
        return None
    if weak:
        if english(first.word) or first.key in vocab().eponyms:
            return None
        k = 1
        while k < len(run) and _ends_in_place_word(t, run[: k + 1]):  # "in Neimmi Crossing"
            k += 1
        return run[0], run[k - 1] + 1
    # After a strong cue ("lives in") only a real English word is not a place: a Census name that
    # is also a word ("Babe", "Hope", "Reading") is a town as likely as not.
    if all(_english_word(toks[j].word) for j in run) and not _ends_in_place_word(t, run):
        return None
    run = list(run)
    while len(run) > 1 and _english_word(toks[run[-1]].word) and not _ends_in_place_word(t, run):
        run.pop()
    return run[0], run[-1] + 1


def _cue_spans(t: Text) -> list[tuple[int, int, str, int]]:
    """A place after a cue: "lives in Okemah", "resident of Bellwood Heights", "from Lagos" (weak)."""
    v = vocab()
    out: list[tuple[int, int, str, int]] = []
    for rx, weak in ((v.place_cues, False), (v.weak_place_cues, True)):
        for _, _, i, gap in t.cue_hits(rx):
            words = gap_words(gap)
            if words is None or len(words) > (0 if weak else v.window) or any(w.lower() != "the" for w in words):
                continue
            ext = _after_cue(t, i, weak)
            if ext is not None:
                out.append((t.tokens[ext[0]].start, t.tokens[ext[1] - 1].end, "CITY", 0))
    return out


def _county_spans(t: Text) -> list[tuple[int, int, str, int]]:
    """A county: "Cook County", "Orleans Parish", "Los Angeles County"."""
    words = set(vocab().rules["places"]["county_words"])
    out: list[tuple[int, int, str, int]] = []
    for i, tok in enumerate(t.tokens):
        if i == 0 or tok.word not in words:
            continue
        run = _run_before(t, i - 1)
        gap = t.text[t.tokens[i - 1].end : tok.start]
        if gap.strip(" \t") != "" or len(gap) > 2:
            continue
        run = [j for j in run if not _not_place(t.tokens[j])] or []
        if not run or run[-1] != i - 1:
            continue
        out.append((t.tokens[run[0]].start, tok.end, "CITY", 0))
    return out


def place_spans(t: Text) -> list[tuple[int, int, str, int]]:
    """CITY spans ``(start, end, "CITY", 0)``: before a state, after a place cue, before "County";
    never before a word that makes them an institution or an eponym ("Mercy Hospital")."""
    spans = [s for s in [*_state_spans(t), *_cue_spans(t)] if not t.suffix_after(s[1])]
    return [*spans, *_county_spans(t)]
