"""Written-out dates: month names, ordinal days ("4th", "fourth"), with or without a year.

Why a parser beside the patterns: the registry's patterns find where a date could be ("the
fourth of March", "Sept. 4th, 2021", "04-Mar-2021"); this module says whether it is a real
calendar day, so that "March 32nd" or "Feb 30" is not PHI, and gives the normalized form the
digest uses. A day and month without a year are still a date element (Safe Harbor C); they are
checked against a leap year, so "Feb 29" passes.
"""

from __future__ import annotations

import datetime as _dt
import re

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip
_UNITS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
ORDINAL_WORDS = {w: i + 1 for i, w in enumerate(_UNITS)}
ORDINAL_WORDS.update({
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
    "thirtieth": 30, "thirty first": 31,
})  # fmt: skip
ORDINAL_WORDS.update({f"twenty {w}": 20 + i + 1 for i, w in enumerate(_UNITS)})

_TOKEN = re.compile(r"[A-Za-z]+|[0-9]+", re.ASCII)
_FILLER = frozenset({"the", "of", "st", "nd", "rd", "th"})
_LEAP = 2000


def _day(tokens: list[str]) -> tuple[int, list[str]] | None:
    """The day at the start of ``tokens`` (digits or ordinal words) and the tokens after it."""
    if tokens and tokens[0].isdigit():
        return int(tokens[0]), tokens[1:]
    for size in (2, 1):
        word = " ".join(tokens[:size])
        if word in ORDINAL_WORDS:
            return ORDINAL_WORDS[word], tokens[size:]
    return None


def parse_written(value: str, min_year: int, max_year: int) -> tuple[int | None, int, int] | None:
    """``(year or None, month, day)`` of a written date, or None when it is not a calendar day."""
    tokens = [t.lower() for t in _TOKEN.findall(value.replace("-", " "))]
    tokens = [t for t in tokens if t not in _FILLER]
    if not tokens:
        return None
    year: int | None = None
    if len(tokens) >= 3 and tokens[-1].isdigit() and len(tokens[-1]) == 4:
        year = int(tokens.pop())
        if not min_year <= year <= max_year:
            return None
    if tokens[0] in MONTHS:
        month = MONTHS[tokens[0]]
        found = _day(tokens[1:])
    else:
        found = _day(tokens)
        if found is None or len(found[1]) != 1 or found[1][0] not in MONTHS:
            return None
        month = MONTHS[found[1][0]]
        found = (found[0], [])
    if found is None or found[1]:
        return None
    day = found[0]
    try:
        _dt.date(year if year is not None else _LEAP, month, day)
    except (ValueError, OverflowError):  # a day of ten digits is no date either
        return None
    return year, month, day


def iso(parts: tuple[int | None, int, int]) -> str:
    """ISO 8601 form, ``--MM-DD`` when the year is unknown."""
    year, month, day = parts
    return f"{year:04d}-{month:02d}-{day:02d}" if year is not None else f"--{month:02d}-{day:02d}"
