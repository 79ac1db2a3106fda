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


@functools.cache
def not_names() -> frozenset[str]:
    """Capitalised words that follow a title or label but are not names (from the registry)."""
    from engine.phi.registry import load_registry

    try:
        words = load_registry().category("NAME").params.get("not_names", ())
    except KeyError:
        words = ()
    return frozenset(w.upper() for w in words)


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
