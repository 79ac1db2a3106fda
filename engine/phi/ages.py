"""An age column's cell read whole: the short forms ages are written in, and the Safe Harbor aggregate.

Age columns hold more than bare numbers: ``93 y/o``, ``93yoF``, ``101 yrs old``, ``90+ y/o M``,
``93 F``. Safe Harbor (item C) allows an age over 89 only as one aggregate, ``90+``, so the
de-identification's age action writes that for every such cell, and the rescan must tell the
aggregate (compliant, whatever follows it) from an age of 90 or more still written as a number.

The forms are read from the cell after the scanner's normalization (fullwidth digits, no-break
spaces and format characters count as what they look like), so a cell the rules would read as
an age cannot escape the action by its characters.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from engine.phi.normalize import normalize

AGGREGATE = "90+"
"""What Safe Harbor allows for every age over 89 (and what the age action writes for one)."""

_UNIT_YEARS = r"y/o|y\\o|y\.o\.|y\.o|y-o|yo|years?|yrs?\.?|yr\.?|y"
_UNIT_OTHER = r"months?|mos?\.?|mths?|m/o|weeks?|wks?\.?|w/o|days?|d/o"
_SEX = {"m": "M", "f": "F", "male": "M", "female": "F", "man": "M", "woman": "F",
        "wm": "M", "wf": "F", "bm": "M", "bf": "F"}  # fmt: skip
_SHORT = re.compile(
    r"[ \t]*(?P<n>[0-9]{1,3})(?:\.[0-9]+)?[ \t]*(?P<plus>\+)?[ \t]*-?[ \t]*"
    rf"(?:(?P<years>{_UNIT_YEARS})|(?P<other>{_UNIT_OTHER}))?"
    r"(?:[ \t]*-?[ \t]*(?:old|of age))?"
    rf"(?:[ \t]*[-,/]?[ \t]*(?P<sex>{'|'.join(sorted(_SEX, key=len, reverse=True))})\.?)?[ \t]*",
    re.IGNORECASE | re.ASCII,
)
_AGGREGATE_RUN = re.compile(r"(?<![0-9.])90[ \t]*\+")
_NUMBER = re.compile(r"[0-9]+")


class ShortAge(NamedTuple):
    """An age cell read whole: the number, whether it is in years and over 89, whether it is the
    aggregate (``90+``), and a sex letter (``M``, ``F`` or empty)."""

    number: int
    over_89: bool
    aggregate: bool
    sex: str


def read_short_age(text: str) -> ShortAge | None:
    """``text`` read whole as an age in a short form, or None when it is not one.

    ``93``, ``93 y/o``, ``93yoF``, ``101 yrs old``, ``90+ y/o M`` and ``93 F`` are ages in
    years; ``93`` with a unit of months, weeks or days is not over 89 years. ``90+`` (the
    aggregate, with or without a unit) is over 89.
    """
    m = _SHORT.fullmatch(normalize(text))
    if m is None or not m.group("n"):
        return None
    number, plus = int(m.group("n")), m.group("plus") is not None
    if plus and number != 90:
        return None  # "85+" or "100+": a range this reader does not claim
    sex = _SEX[m.group("sex").lower()] if m.group("sex") else ""
    return ShortAge(number, m.group("other") is None and number > 89, plus, sex)


def grouped_age(text: str) -> str | None:
    """The Safe Harbor form of an age cell holding an age over 89 in a short form, else None.

    The aggregate, followed by the cell's sex letter when it had one (``93yoF`` -> ``90+ F``):
    the sex is not one of the eighteen identifiers, and the aggregate holds no age number.
    """
    age = read_short_age(text)
    if age is None or not age.over_89:
        return None
    return f"{AGGREGATE} {age.sex}" if age.sex else AGGREGATE


def holds_age_over_89(text: str) -> bool:
    """Whether an age column's cell still shows an age of 90 or more other than as the aggregate.

    ``90+``, ``90+ F`` and ``90+yoF`` are compliant; ``93``, ``about 93``, ``190+`` and
    ``90+ 93`` are not; a short form in months, weeks or days (``93 mos``) is no age over 89.
    """
    norm = normalize(text)
    age = read_short_age(norm)
    if age is not None:
        return age.over_89 and not age.aggregate
    return any(int(n) > 89 for n in _NUMBER.findall(_AGGREGATE_RUN.sub(" ", norm)))
