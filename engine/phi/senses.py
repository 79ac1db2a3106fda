"""A label word used in another sense introduces no identifier.

"account for 25000 steps" (a verb), "a lot of 10000 units", "certificate of 25000" (a quantity), "zip lock bag of 12345"
(a compound noun), "record high of 12345", "member of 12345 households": the word is one of a
category's labels, but what follows or precedes it gives it another meaning, so the number after
it is no account, device lot, ZIP or record number. The words are data (``label_senses`` in
registry.yaml); this module checks them on a labelled match's text, in code, like a validator: no
lookaround, so an automaton-only engine runs the same rule by calling this check on its match.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import attrs

_WORD = re.compile(r"[a-z]+")


_PREVIOUS = re.compile(r"(?:^|[^A-Za-z])([A-Za-z]+)[ \t]+\Z")
"""The word right before a label, blanks between."""


def _text(text: str | bytes) -> str:
    return text.decode("latin-1") if isinstance(text, bytes) else text


def _words(text: str | bytes) -> list[str]:
    return _WORD.findall(_text(text).lower())


_WORD_THEN_NUMBER = re.compile(r"([A-Za-z]+)[ \t]+[0-9][0-9,.]*(?:[^0-9A-Za-z,.]|\Z)")
"""A value that is a word, blanks, then a number (and nothing glued to it)."""
_VALUE_TOKEN = re.compile(r"[^ \t\r\n,;|]*")


def _has_letter(data: str | bytes, value_start: int) -> bool:
    """Whether the token starting at ``value_start`` (up to a blank, comma, semicolon or bar) holds a letter."""
    token = _VALUE_TOKEN.match(_text(data[value_start : value_start + 64]))
    return token is not None and any(ch.isalpha() for ch in token.group())


@attrs.frozen
class LabelSenses:
    """``after[w]``: words that, right after a label's first word ``w``, give it another sense;
    ``before[w]``: words that do so right before it ("into account", "on account of")."""

    after: Mapping[str, frozenset[str]]
    before: Mapping[str, frozenset[str]]

    @classmethod
    def from_doc(cls, doc: Mapping[str, Mapping[str, Sequence[str]]] | None) -> LabelSenses:
        doc = doc or {}

        def table(key: str) -> dict[str, frozenset[str]]:
            return {w.lower(): frozenset(x.lower() for x in ws) for w, ws in (doc.get(key) or {}).items()}

        return cls(table("after"), table("before"))

    def other_sense(self, data: str | bytes, start: int, value_start: int) -> bool:
        """The label of the match ``data[start:value_start]`` is a word in another sense."""
        words = _words(data[start:value_start])
        if not words:
            return False
        first = words[0]
        if len(words) > 1 and words[1] in self.after.get(first, ()):
            # An amount is a number: a value with a letter ("certificate of KTW-55-10293") is a code.
            return not _has_letter(data, value_start)
        if len(words) == 1 and first in self.after:
            # In capitals the sense word can read as the value's letter prefix ("CERTIFICATE OF 25000").
            lead = _WORD_THEN_NUMBER.match(_text(data[value_start : value_start + 64]))
            if lead is not None and lead.group(1).lower() in self.after[first]:
                return True
        before = self.before.get(first)
        if before and len(words) == 1:  # "in a lot 12345", not "a lot number AB12345"
            prev = _PREVIOUS.search(_text(data[max(0, start - 24) : start]))
            return prev is not None and prev.group(1).lower() in before
        return False
