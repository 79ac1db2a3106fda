"""A code identifier quoted in Python's own exception wording is not a person's name.

Why: the name rules read a capitalised word after "name" or "named" as a name, so the sanitizer
turned ``cannot import name 'RunReport'`` into ``cannot import name '[PHI:NAME]'`` and hid what
failed. Fail closed comes first: names are written with inner capitals too (McDonald, MacArthur,
DeShawn, LeBron, DiMaggio, VanDyke), and a stage may build an attribute or module name from a
value. So a NAME match is let through only when both hold:

- it lies inside the quotes of one of Python's exception phrases (``cannot import name '…'``,
  ``No module named '…'``, ``name '…' is not defined``, ``has no attribute '…'``, ``unexpected
  keyword argument '…'``), and
- the quoted token has a shape no person's name has: dotted or underscored parts each of which
  is lower case, holds a digit, or is itself code-shaped; or camel case of two or more capitalised
  English words whose first is at least three letters and no surname prefix (``RunReport``,
  ``StageContext``; not ``McDonald``, ``MacLean``, ``LeBron``, ``DeShawn``, ``PhiScan``).
"""

from __future__ import annotations

import re

from engine.phi.cues import english

_PHRASE = re.compile(
    r"(?:cannot import name|No module named|(?:^|[^A-Za-z])name|has no attribute|module|unexpected keyword argument"
    r"|required (?:positional |keyword-only )?arguments?:|values for argument|object has no attribute)[ ]['\"]\Z"
)
_HUMPS = re.compile(r"(?:[A-Z][a-z]+)+")
_HUMP = re.compile(r"[A-Z][a-z]+")
_PARTS = re.compile(r"[._]")
_NAME_PREFIXES = frozenset({"mac", "van", "von", "fitz", "del", "des", "della", "dal", "san", "ben", "abu", "bin",
                            "ter", "ten", "der", "den", "sha", "tre", "dar", "jam", "lat"})
"""First parts of names written with an inner capital that are three letters or more (MacArthur,
VanDyke, FitzGerald, DelRosario, ShaQuille, TreVon); shorter ones (Mc, De, Le, La, Di, O) are
refused by length."""


def quoted_code_identifier(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` (a NAME match) lies in a quoted code identifier of Python's wording."""
    open_at = max(text.rfind("'", 0, start + 1), text.rfind('"', 0, start + 1))
    if open_at < 0 or start - open_at > 120:
        return False
    quote = text[open_at]
    close_at = text.find(quote, end)
    if close_at < 0 or close_at - end > 120:
        return False
    return _PHRASE.search(text, max(0, open_at - 40), open_at + 1) is not None and code_shaped(
        text[open_at + 1 : close_at])


def code_shaped(token: str) -> bool:
    """A token no person's name is written as (see the module docstring)."""
    if not token or not all(p.isidentifier() for p in token.split(".")):
        return False
    parts = [p for p in _PARTS.split(token) if p]
    if len(parts) > 1:
        return all(p.islower() or any(c.isdigit() for c in p) or _camel_code(p) for p in parts)
    return _camel_code(token)


def _camel_code(word: str) -> bool:
    """Two or more capitalised English words run together, the first of three letters or more and no
    surname prefix."""
    if _HUMPS.fullmatch(word) is None:
        return False
    humps = _HUMP.findall(word)
    first = humps[0].lower()
    return (len(humps) >= 2 and len(first) >= 3 and first not in _NAME_PREFIXES
            and all(english(h) for h in humps))
