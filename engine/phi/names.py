"""First-name and surname dictionaries, and the checks that decide whether capitalised words are a name.

Why dictionaries and not a model: nothing may be downloaded at run time, and a name without a
title ("Maria Gonzalez called") has no format a pattern could catch. The dictionaries are the
public-domain 1990 US Census name files, compacted into ``names.json`` by
``bench/make_name_dictionaries.py`` (source and licence in docs/phi.md).

Evidence rules (the registry's NAME patterns pick which check applies):

- ``name_strong``: after a title or a labelled context ("Dr.", "Patient:", "signed by"): any
  capitalised words, unless the first one is a known non-name ("Patient Education").
- ``name_known``: after a weaker context word ("mother", "spoke with", "Patient" without a colon):
  at least one word is in a dictionary and the words are not all common English words.
- ``name_pair``: no context: a first name followed by a surname. A first name that is a function
  word or virtue ("Will", "May", "Hope", "Gene") never qualifies alone; a pair of two common words
  ("Holly Springs", "Forest Green") needs a context word unless the first is a frequent name
  ("Heather Brown").
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import attrs

from engine.phi.cues import Text, Token, english, gap_words, vocab

DICTIONARY = Path(__file__).with_name("names.json")
FREQUENT_FIRST_NAME = 100
"""Per 100,000 people (0.1%): a first name this frequent is a name even when it is also a word."""


@attrs.frozen
class NameDictionaries:
    """The loaded dictionaries: upper-case names with their frequency per 100,000, and the flags."""

    first: dict[str, int]
    surnames: dict[str, int]
    common: frozenset[str]
    needs_context: frozenset[str]
    never: frozenset[str]
    source: str


@functools.cache
def dictionaries() -> NameDictionaries:
    """The shipped dictionaries (loaded once per process, ~50 ms)."""
    doc = json.loads(DICTIONARY.read_text(encoding="ascii"))
    first_names = doc["first_names"].split()
    surnames = doc["surnames"].split()
    return NameDictionaries(
        first=dict(zip(first_names, doc["first_names_per_100k"], strict=True)),
        surnames=dict(zip(surnames, doc["surnames_per_100k"], strict=True)),
        common=frozenset(doc["common_words"].split()),
        needs_context=frozenset(doc["needs_context"].split()),
        never=frozenset(doc["never"].split()),
        source=doc["source"],
    )


def not_names() -> frozenset[str]:
    """Capitalised words that follow a cue but are not names (``stop_words`` in cues.yaml)."""
    return vocab().stop


def _key(word: str) -> str:
    return word.replace("'", "").replace(".", "").upper()


def _parts(word: str) -> list[str]:
    """A word's lookup keys: itself, and each part of a hyphenated name."""
    key = _key(word)
    return [key, *key.split("-")] if "-" in key else [key]


def _words(value: str) -> list[str]:
    return [w for w in value.replace("\t", " ").split(" ") if w and not (len(w) <= 2 and w.endswith("."))]


def is_first_name(word: str) -> bool:
    """``word`` is in the first-name dictionary (case-insensitive)."""
    d = dictionaries()
    return any(p in d.first for p in _parts(word))


def is_surname(word: str) -> bool:
    """``word`` (or a part of a hyphenated ``word``) is in the surname dictionary."""
    d = dictionaries()
    return any(p in d.surnames for p in _parts(word))


def name_pair(value: str) -> bool:
    """A first name, an optional middle name or initial, and a surname, without any context word."""
    words = _words(value)
    if len(words) < 2 or len(words) > 3:
        return False
    d = dictionaries()
    first, last = _key(words[0]), words[-1]
    if first in d.needs_context or first in d.never or first not in d.first or not is_surname(last):
        return False
    if first in not_names():
        return False
    if len(words) == 3 and not (is_first_name(words[1]) or is_surname(words[1])):
        return False
    # Two common English words ("Holly Springs", "Forest Green") are not enough without a context
    # word, unless the first is a frequent name ("Heather Brown", "Crystal Miller").
    both_words = first in d.common and all(p in d.common for p in _parts(last))
    return not both_words or d.first[first] >= FREQUENT_FIRST_NAME


def name_strong(value: str) -> bool:
    """Capitalised words after a title or labelled context, unless they are known non-names."""
    words = _words(value)
    if not words:
        return False
    stop = not_names()
    never = dictionaries().never
    return not any(_key(w) in stop or _key(w) in never for w in words)


def name_known(value: str) -> bool:
    """After a weak context word: some word is a dictionary name and not all are common words."""
    if not name_strong(value):
        return False
    d = dictionaries()
    words = _words(value)
    known = [w for w in words if is_first_name(w) or is_surname(w)]
    if not known:
        return False
    return not all(p in d.common or p in d.needs_context for w in words for p in _parts(w))


def is_name_cell(value: str) -> bool:
    """A whole table cell that reads as a person's name: every word a dictionary name.

    Used to classify columns by their values ("Gonzalez", "Maria", "Gonzalez, Maria").
    """
    words = [
        w
        for w in value.replace(",", " ").split()
        if not (len(w) <= 2 and w.rstrip(".").isalpha() and len(w.rstrip(".")) == 1)
    ]
    if not words or len(words) > 4 or not all(w[:1].isalpha() and w[:1].isupper() for w in words):
        return False
    d = dictionaries()
    if all(_key(w) in d.common for w in words):
        return False
    return all(is_first_name(w) or is_surname(w) for w in words)


# --- cue rules over tokens (engine/phi/cues.py) -------------------------------------------------
#
# Strength of the evidence before a name: a title takes any capitalised word that is not a stop
# word; a cue (role, phrase, label) takes a word that is a dictionary name or not an English word;
# without a cue two words must pair up with a dictionary (see _pair).

TITLE, LABEL, CUE, PAIR = "title", "label", "cue", "pair"
CUES = (LABEL, CUE)
_NICKNAME_MARKS = str.maketrans({c: " " for c in "\"'()\u201c\u201d\u2018\u2019"})


def _negative(tok: Token, strength: str, alone: bool) -> bool:
    """``tok`` cannot start a name found with ``strength`` evidence."""
    v = vocab()
    key = tok.key
    if key in v.stop or key in v.credentials:
        return True
    if strength == TITLE:
        return False
    if key in v.negatives or (key in v.eponyms and (alone or tok.possessive)):
        return True
    if tok.caps and not (is_first_name(tok.word) or is_surname(tok.word)):
        # "patient HR 95", "per CDC": an acronym; after a label ("PATIENT: ADEBAYO") a long word is a name
        return strength != LABEL or len(tok.word) < 4 or english(tok.word)
    return tok.initial or _english_only(tok)


def _caps_run(t: Text, i: int) -> bool:
    """Tokens ``i`` and ``i+1`` are two capitalised words in capitals, neither English nor a negative,
    one of four letters or more: a name in capitals, not an acronym ("per CDC")."""
    if i + 1 >= len(t.tokens):
        return False
    a, b = t.tokens[i], t.tokens[i + 1]
    if not (a.caps and b.caps) or _joined(t, a, b) != (True, False) or max(len(a.word), len(b.word)) < 4:
        return False
    v = vocab()
    return not any(
        english(x.word) or x.key in v.negatives or x.key in v.stop or x.key in v.credentials for x in (a, b)
    )


def _english_only(tok: Token) -> bool:
    """An English word that no dictionary knows as a name ("Stable", "Protocol")."""
    return english(tok.word) and not (is_first_name(tok.word) or is_surname(tok.word))


def _state_like(tok: Token) -> bool:
    """Two capitals after a comma are a state code or a credential, never a given name."""
    return tok.caps and len(tok.word) == 2


def _particle(tok: Token) -> bool:
    """A capitalised particle of a surname ("Van", "DE", "La")."""
    return len(tok.word) > 1 and tok.word.lower() in vocab().particles


def _more(tok: Token) -> bool:
    """``tok`` may continue a name: an initial, a particle, a dictionary name or not an English word."""
    v = vocab()
    if _particle(tok):
        return True
    key = tok.key
    if key in v.stop or key in v.credentials or key in v.negatives:
        return False
    return tok.initial or not _english_only(tok)


def _joined(t: Text, a: Token, b: Token) -> tuple[bool, bool]:
    """Whether ``b`` continues the name ending at ``a``, and whether they are joined by a comma."""
    gap = t.text[a.end : b.start]
    if a.possessive:
        return False, False
    if gap.startswith(".") and a.initial:
        gap = gap[1:]
    if gap and gap.strip(" \t") == "" and len(gap) <= 3:
        return True, False
    stripped = gap.strip(" \t")
    if stripped == "," and len(gap) <= 3:
        return True, True
    # Nicknames in quotes or parentheses ('Margaret "Peggy" Okonkwo') and lower-case particles.
    words = gap.translate(_NICKNAME_MARKS).split()
    if len(gap) <= 16 and all(w in vocab().particles for w in words) and not any(c in gap for c in ",.;:\n"):
        return True, False
    return False, False


def _blocked(tok: Token) -> bool:
    """A stop word, credential, department or drug: never a part of a name after a cue."""
    v = vocab()
    return tok.key in v.stop or tok.key in v.credentials or tok.key in v.negatives


def _surname_given(t: Text, i: int) -> bool:
    """Tokens ``i`` and ``i+1`` read "SURNAME, Given" after a cue or title ("Patient: EZE, Yasaman",
    "seen by Ng, Wei"): a surname of any length, in capitals or Title Case, a comma, then a Title Case
    given name. The cue and the comma are the evidence, so neither word needs a dictionary; the given
    name must be a dictionary first name or no English word ("seen by ENT, Recommend ..." is no name),
    and a Title Case surname no English word either when the given name is one."""
    toks = t.tokens
    if i + 1 >= len(toks):
        return False
    a, b = toks[i], toks[i + 1]
    if a.initial or b.initial or b.caps or _state_like(b) or _joined(t, a, b) != (True, True):
        return False
    v = vocab()
    if _blocked(a) or _blocked(b) or (a.caps and a.key in v.abbreviations) or b.key in v.eponyms:
        return False
    if _particle(b) and not a.caps:
        return False
    if b.key in dictionaries().needs_context and _word_follows(t, b):
        return False  # "seen by ENT, Will follow up"
    return is_first_name(b.word) or not _english_only(b)


def _word_follows(t: Text, tok: Token) -> bool:
    """A lower-case word follows ``tok``: a given name that is also a word ("Will", "May") is
    then read as the word ("Will follow up", "patient Grace period")."""
    follows = t.after(tok.end, 2).lstrip(" \t")[:1]
    return follows.isalpha() and follows.islower()


def _extent(t: Text, i: int, strength: str) -> tuple[int, int] | None:
    """Token range ``[i, j)`` of the name starting at token ``i``, or None if it is no name."""
    v = vocab()
    toks = t.tokens
    first = toks[i]
    paired = strength == PAIR  # _pair has checked the first two tokens
    lead = _particle(first) and strength != PAIR  # "Dr. Van der Berg", "DE LA FUENTE"
    caps_run = strength in CUES and _caps_run(t, i)  # "Seen by REXDONDLOU LITAI"
    inverted = strength != PAIR and _surname_given(t, i)  # "Patient: EZE, Yasaman"
    paired = paired or inverted
    if not (paired or lead or first.initial or caps_run) and _negative(first, strength, alone=False):
        return None
    j = i + 1
    comma = False
    while j < len(toks) and j - i < v.max_words:
        ok, with_comma = _joined(t, toks[j - 1], toks[j])
        if not ok or (with_comma and comma):
            break
        nxt = toks[j]
        checked = paired and j == i + 1
        if with_comma and _state_like(nxt):
            break  # "Okemah, OK 74859": a place and its state
        surname_caps = toks[j - 1].caps and not nxt.caps  # "VAN DER WESTHUIZEN, Adebayo"
        if (
            not checked
            and with_comma
            and not (is_first_name(nxt.word) or ((not paired or surname_caps) and not _english_only(nxt)))
        ):
            break
        if not checked and not _more(nxt):
            break
        comma = comma or with_comma
        j += 1
    while j - i > (2 if inverted else 1) and (toks[j - 1].initial or _particle(toks[j - 1])):  # the next sentence's
        j -= 1
    if all(_particle(toks[k]) for k in range(i, j)):
        return None
    if first.initial and j - i == 1:
        return None
    if j - i == 1 and strength != TITLE and first.key in v.eponyms:
        return None
    if j - i == 1 and strength in CUES and first.key in dictionaries().needs_context and _word_follows(t, first):
        return None  # "patient Grace period", "will May return": a word, not a name
    if t.suffix_after(toks[j - 1].end):
        return None
    return i, j


def _pair(t: Text, i: int) -> bool:
    """Tokens ``i`` and ``i+1`` (or ``i+2``) are a name without any cue word."""
    toks = t.tokens
    if i + 1 >= len(toks):
        return False
    a, b = toks[i], toks[i + 1]
    ok, comma = _joined(t, a, b)
    if not ok or (a.caps != b.caps and not comma) or a.initial or (comma and _state_like(b)):
        return False
    v = vocab()
    d = dictionaries()
    if any(x.key in v.negatives or x.key in v.stop or x.key in v.credentials for x in (a, b)):
        return False
    if comma:  # "Okonkwo, Margaret": a surname-like word, then a dictionary first name
        if b.initial or a.key in v.eponyms or _english_only(a):
            return False
        if a.caps and not b.caps and len(a.word) >= 4 and not _wordlike(b) and not _wordlike(a):
            return True  # "OKONKWO, Adebayo": a surname in capitals, the registry form
        if (
            not b.caps
            and ((a.caps and len(a.word) >= 4) or "-" in a.word)
            and not _wordlike(a)
            and a.key not in v.abbreviations
            and b.key in d.first
            and b.key not in d.never
            and not _word_follows(t, b)
        ):
            return True  # "OKONKWO, Hope", "Vasquez-Trinh, Grant": a given name that is also a word
        return b.key in d.first and b.key not in d.needs_context
    third = toks[i + 2] if i + 2 < len(toks) else None
    joined3 = third is not None and _joined(t, b, third) == (True, False) and third.caps == a.caps
    if (joined3 and third is not None and name_pair(f"{a.word} {b.word} {third.word}")) or name_pair(
        f"{a.word} {b.word}"
    ):
        return True
    if b.initial or a.key in v.eponyms or b.key in v.eponyms:
        return False
    first_known = a.key in d.first and a.key not in d.needs_context and a.key not in d.common
    last_known = b.key in d.surnames
    # A dictionary first name and a word no dictionary knows ("Margaret Okonkwo"), or the reverse
    # ("Adaeze Johnson"): the known half is the evidence, the unknown half must not be English.
    if first_known and not _wordlike(b) and len(b.word) > 2:
        return True  # "Margaret Okonkwo", "Mary Ann"
    return last_known and not _wordlike(a) and not is_first_name(a.word) and len(a.word) > 2


def _wordlike(tok: Token) -> bool:
    """An English word, counting names that are also words ("Point", "Scale", "West")."""
    return english(tok.word) or tok.key in dictionaries().common


def _leading_particles(gap: str, words: list[str]) -> list[str]:
    """The particles that end a gap and begin a surname ("Dr. van der Westhuizen")."""
    particles = vocab().particles
    k = len(words)
    while k > 0 and words[k - 1] in particles:
        k -= 1
    tail = words[k:]
    return tail if tail and gap.rstrip(" \t").endswith(tail[-1]) else []


def name_spans(t: Text) -> list[tuple[int, int, str, int]]:
    """NAME spans ``(start, end, "NAME", rank)``: after titles and cues (rank 0), pairs (rank 1)."""
    v = vocab()
    toks = t.tokens
    out: list[tuple[int, int, str, int]] = []
    claimed = -1

    def add(i: int, strength: str, start: int | None = None) -> None:
        nonlocal claimed
        ext = _extent(t, i, strength)
        if ext is not None:
            a, b = ext
            while strength == PAIR and a > 0 and _joined(t, toks[a - 1], toks[a]) == (True, False):
                before = toks[a - 1]
                nickname = any(c in t.text[before.end : toks[a].start] for c in "\"'(\u201c")
                if not (_particle(before) or (nickname and _more(before) and not _wordlike(before))):
                    break
                a -= 1  # "DE LA FUENTE, Adebayo", 'Tuomas "Sasha" Kowalczuk'
            out.append((toks[a].start if start is None else start, toks[b - 1].end, "NAME", int(strength == PAIR)))
            if strength not in CUES:
                claimed = max(claimed, toks[b - 1].end)

    # Cues: a role, phrase or label, a gap of separators and at most `window` filler words.
    cue_words: set[int] = set()  # tokens inside a cue ("Caregiver Pham, ..." is no pair)
    for s, e, i, gap in t.cue_hits(v.name_cues):
        cue_words.update(range(t.token_at(s) or 0, i))
        words = gap_words(gap)
        if words is None or toks[i].word in v.titles:
            continue  # a title after the cue ("spoke with Prof. Eze") is the title rule's
        particles = _leading_particles(gap, words)
        words = words[: len(words) - len(particles)]
        words = [w for w in words if w.capitalize() not in v.titles]  # "seen by dr. Adebayo"
        if len(words) > v.window or any(w.lower() not in v.fillers for w in words):
            continue
        add(i, LABEL if ":" in gap else CUE, e + gap.index(particles[0]) if particles else None)
    for i, tok in enumerate(toks):
        if tok.word in v.titles and i + 1 < len(toks) and not tok.possessive:
            gap = t.text[tok.end : toks[i + 1].start]
            rest = gap.removeprefix(".")
            words = rest.split()
            blank = rest[:1] in (" ", "\t") and len(gap) <= 16 and "\n" not in gap
            if blank and _leading_particles(rest, words) == words:
                add(i + 1, TITLE, tok.end + gap.index(words[0]) if words else None)
                continue
        if tok.start >= claimed and i not in cue_words and _pair(t, i):
            add(i, PAIR)
    return out
