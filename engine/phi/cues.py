"""Cue rules for names and places: the shared tokens and vocabularies.

Names and places have no format a pattern could check; what marks them is a cue ("Dr.",
"spoke with", "daughter", "lives in", ", MA", "County"), a dictionary, or both. The rules are data
(``cues.yaml``) evaluated by plain code over capitalised *tokens*: no regular expression here uses
lookaround, so the same rules run on an automaton-only engine. Boundaries are checked by looking at
the character before and after a token or cue; windows are counts of words.

The rules over the tokens are :mod:`engine.phi.names` and :mod:`engine.phi.places`; their matches
join the registry's through :mod:`engine.phi.cue_matches`.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from engine.phi import core_plan, native_text
from engine.phi.fastform import case_trie

HERE = Path(__file__).parent
RULES = HERE / "cues.yaml"
NEGATIVES = HERE / "negatives.json"

# Capitalised tokens. In str mode accented Latin letters count; bytes are viewed as latin-1 (one
# character per byte, so offsets are byte offsets) and every non-ASCII byte is a lower-case letter
# (the tail of a UTF-8 sequence).
_STR_UP, _STR_LO = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿĀ-ɏ"
_BYTES_UP, _BYTES_LO = "A-Z", "a-z\x80-\xff"
_WORD_CHARS_STR = re.compile(f"[0-9_{_STR_UP}{_STR_LO}]")
_WORD_CHARS_BYTES = re.compile(f"[0-9_A-Za-z{_BYTES_LO}]")


def token_prefixes(prefixes: Sequence[str]) -> list[str]:
    """The token prefixes in the order the token regex tries them: longest first."""
    return sorted(prefixes, key=len, reverse=True)


def _token_regex(up: str, lo: str, prefixes: Sequence[str]) -> re.Pattern[str]:
    pre = "|".join(re.escape(p) for p in token_prefixes(prefixes))
    letters = f"A-Za-z{up}{lo}"
    return re.compile(f"(?:(?:{pre}))?[{up}][{letters}]*(?:['\u2019-][{letters}]+)*")


@attrs.frozen
class Token:
    """A capitalised word: ``text[start:end]``; ``word`` without a trailing possessive ``'s``."""

    start: int
    end: int
    word: str
    possessive: bool

    @property
    def key(self) -> str:
        """Upper-case ASCII lookup key (accents dropped, apostrophes and dots removed)."""
        return word_key(self.word)

    @property
    def caps(self) -> bool:
        """ALL CAPITALS (two letters or more)."""
        word = self.word
        if word.isascii():  # letters, apostrophes and hyphens only: every other character is a letter
            return len(word) >= 2 and word.isupper()
        letters = [c for c in word if c.isalpha()]
        return len(letters) >= 2 and all(c.isupper() for c in letters)

    @property
    def initial(self) -> bool:
        """A single capital letter ("J" of "J. Okonkwo")."""
        return len(self.word) == 1


@functools.lru_cache(maxsize=65536)
def word_key(word: str) -> str:
    """A word as the vocabularies key it: ASCII-folded, apostrophes and dots removed, upper case."""
    if not word.isascii():
        word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")
    return word.replace("'", "").replace("\u2019", "").replace(".", "").upper()


def char_key(char: str) -> str:
    """The lookup key of one character: a word's key is its characters' keys joined (NFKD keeps
    each character's ASCII part in place, and the rest is per character)."""
    return word_key(char)


def _phrase_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    """Phrases as one case-insensitive alternation, longest first, any run of blanks between words.

    Spelt as a case trie (``[Dd][Rr]...``, grouped by first letter) rather than ``(?i:...)``: ``re``
    then skips, at each position, every phrase whose first letter does not fit, which made the
    name cues about 9x cheaper on dense data (docs/benchmarks.md).
    """
    alts = sorted({p.lower() for p in phrases}, key=lambda p: (-len(p), p))  # one order in every process
    return re.compile(case_trie(alts).replace("\\ ", "[ \t]+"))


_GATE = "[^0-9_A-Za-z]"
"""One character that is no ASCII word character: where a cue phrase can start."""


@functools.lru_cache(maxsize=16)
def word_start(rx: re.Pattern[str]) -> re.Pattern[str]:
    """``rx`` behind one character of :data:`_GATE`, searched in the text with a blank in front.

    Why: a cue counts only at the start of a word (``Text.cue_hits``). Left alone, ``re`` enters
    the phrase alternation at every letter; behind a leading character class it skips in C to the
    next blank or punctuation mark, about five times fewer entries on dense notes. The spans are
    those of ``rx`` at word starts, found left to right without overlap. No lookaround: the gate is
    consumed, so the native core runs the same pattern.
    """
    return re.compile(f"{_GATE}(?:{rx.pattern})", rx.flags)


@attrs.frozen
class Vocab:
    """Everything the rules read: ``cues.yaml`` lists, compiled cue regexes, negative word sets."""

    rules: dict[str, Any]
    titles: frozenset[str]
    particles: frozenset[str]
    fillers: frozenset[str]
    credentials: frozenset[str]
    stop: frozenset[str]
    negatives: frozenset[str]
    """Departments, brand and generic drugs: never a name or a place after a cue."""
    eponyms: frozenset[str]
    abbreviations: frozenset[str]
    """Clinical abbreviations: in capitals never a surname before ", Given"."""
    suffixes: frozenset[str]
    english: frozenset[str]
    separators: str
    window: int
    max_words: int

    # The regexes compile on first use: where the native core runs the cue rules, start-up needs
    # none of them (their translation ships in core_plan.json).
    @functools.cached_property
    def name_cues(self) -> re.Pattern[str]:
        """Role words and phrases before a name (``Dr.``, ``seen by``)."""
        return _phrase_regex([*self.rules["names"]["roles"], *self.rules["names"]["phrases"]])

    @functools.cached_property
    def place_cues(self) -> re.Pattern[str]:
        """Phrases before a place (``lives in``)."""
        return _phrase_regex(self.rules["places"]["cues"])

    @functools.cached_property
    def weak_place_cues(self) -> re.Pattern[str]:
        """Phrases before a place that need a known place after them (``in``)."""
        return _phrase_regex(self.rules["places"]["weak_cues"])

    @functools.cached_property
    def token_str(self) -> re.Pattern[str]:
        """Capitalised tokens of a ``str`` text."""
        return _token_regex(_STR_UP, _STR_LO, self.rules["names"]["prefixes"])

    @functools.cached_property
    def token_bytes(self) -> re.Pattern[str]:
        """Capitalised tokens of a text read as bytes, one character per byte."""
        return _token_regex(_BYTES_UP, _BYTES_LO, self.rules["names"]["prefixes"])


def _upper(words: Iterable[str]) -> frozenset[str]:
    return frozenset(word_key(w) for w in words)


def read_rules(data: bytes | None = None) -> dict[str, Any]:
    """``cues.yaml`` (its bytes ``data`` when already read), parsed."""
    from ruamel.yaml import YAML

    # The C parser where ruamel.yaml.clib is installed (the same document, several times faster).
    text = (RULES.read_bytes() if data is None else data).decode("utf-8")
    rules: dict[str, Any] = YAML(typ="safe").load(text)
    return rules


@functools.cache
def vocab() -> Vocab:
    """The loaded rules and word lists (once per process)."""
    plan = core_plan.shipped()  # cues.yaml as data, where it was made from these very bytes
    data = RULES.read_bytes()
    same = plan is not None and plan["cue_rules_sha256"] == hashlib.sha256(data).hexdigest()
    rules: dict[str, Any] = plan["cue_rules"] if plan is not None and same else read_rules(data)
    neg = json.loads(NEGATIVES.read_text(encoding="ascii"))
    names = rules["names"]
    return Vocab(
        rules=rules,
        titles=frozenset(names["titles"]),
        particles=frozenset(names["particles"]),
        fillers=frozenset(names["fillers"]),
        credentials=_upper(names["credentials"]),
        stop=_upper(names["stop_words"]),
        negatives=_upper([*names["departments"], *names["brand_drugs"], *neg["drugs"].split()]),
        eponyms=_upper(names["eponyms"]),
        abbreviations=_upper(names["abbreviations"]),
        suffixes=frozenset(s.lower() for s in names["suffixes"]),
        english=frozenset(neg["english"].upper().split()),
        separators=rules["separators"] and "".join(rules["separators"]),
        window=int(rules["window"]),
        max_words=int(rules["max_words"]),
    )


@attrs.frozen
class Text:
    """A text being scanned, its capitalised tokens and boundary checks."""

    text: str
    tokens: list[Token]
    starts: list[int]
    word_chars: re.Pattern[str]

    def is_word_char(self, index: int) -> bool:
        """``text[index]`` is a letter, digit or underscore (False outside the text)."""
        return 0 <= index < len(self.text) and self.word_chars.match(self.text, index) is not None

    def token_at(self, pos: int) -> int | None:
        """Index of the token starting at ``pos`` or later, or None."""
        i = bisect.bisect_left(self.starts, pos)
        return i if i < len(self.tokens) else None

    def cue_hits(self, rx: re.Pattern[str]) -> Iterator[tuple[int, int, int, str]]:
        """``(start, end, token, gap)`` for every whole-word match of the cue ``rx`` followed by a
        token: the match's span, the index of the next capitalised token and the text between them."""
        # Searched after a blank put in front, the gated match (gate, phrase) at [s, e) of the padded
        # text is the phrase at [s, e - 1) of the text.
        for s, e in native_text.spans(word_start(rx), " " + self.text):
            e -= 1
            if self.is_word_char(s - 1) or self.is_word_char(e):
                continue
            i = self.token_at(e)
            if i is not None:
                yield s, e, i, self.text[e : self.tokens[i].start]

    def suffix_after(self, end: int) -> bool:
        """The word after ``end`` (past a possessive) makes what precedes it an eponym or an
        institution ("Parkinson disease", "Mercy Hospital", "West Nile virus")."""
        rest = self.after(end, 40)
        if rest[:2] in ("'s", "\u2019s"):
            rest = rest[2:]
        rest = rest.lstrip(" \t")
        word = rest.split(" ", 1)[0].strip(".,;:()").lower() if rest else ""
        return word in vocab().suffixes

    def after(self, end: int, limit: int = 40) -> str:
        """Up to ``limit`` characters after ``end`` on the same line."""
        chunk = self.text[end : end + limit]
        cut = chunk.find("\n")
        return chunk if cut < 0 else chunk[:cut]


def tokenize(text: str, bytes_mode: bool) -> Text:
    """The capitalised tokens of ``text`` that start on a word boundary."""
    v = vocab()
    rx = v.token_bytes if bytes_mode else v.token_str
    word_chars = _WORD_CHARS_BYTES if bytes_mode else _WORD_CHARS_STR
    tokens: list[Token] = []
    for m in rx.finditer(text):
        s, e = m.span()
        if (s and word_chars.match(text, s - 1)) or word_chars.match(text, e):
            continue  # inside a longer word or code ("SpO2", "x_Name")
        word = m.group()
        possessive = False
        if len(word) > 2 and word[-2] in "'\u2019" and word[-1] in "sS":
            word, e, possessive = word[:-2], e - 2, True
        if bytes_mode and not word.isascii():
            word = word.encode("latin-1").decode("utf-8", "replace")
        tokens.append(Token(s, e, word, possessive))
    return Text(text, tokens, [t.start for t in tokens], word_chars)


def gap_words(gap: str) -> list[str] | None:
    """The words of a gap between a cue and a value, or None when it holds anything else.

    Blanks, the declared separators and words are allowed; a newline, digits or other
    punctuation end the window.
    """
    v = vocab()
    if "\n" in gap or "\r" in gap or len(gap) > 32:
        return None
    words: list[str] = []
    for part in gap.replace("\t", " ").split(" "):
        core = part.strip(v.separators).removesuffix(".")
        if not core:
            continue
        if not core.isalpha():
            return None
        words.append(core)
    return words


def english(word: str) -> bool:
    """``word`` is a common English word (SCOWL small list) that is not a Census name."""
    return word_key(word) in vocab().english
