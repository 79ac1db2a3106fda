"""Column headers and file names, checked whole: a label that holds PHI is shown as a token.

Why whole, and why one function: a header cell or a file name travels into every report,
findings file, summary and artifact header. Redacting the matching part
(``Okonkwo_Margaret_[PHI:SSN].csv``) leaves the name beside it, so a label that holds any PHI is
replaced entirely. Underscores, dashes and dots join words in labels (``Okonkwo_Margaret``), so
they are read as spaces too; a label of two or more capitalised words one of which is a known
given name or surname reads as a person's name. Words are read in any cased script (``Çelik``,
``Łukasz``, ``Осипов``): most names are not written in ASCII. Scripts without letter case (Han,
Arabic, Devanagari) give no capital to go by and are not read as names here. Upload, phi_scan, deidentify, summary and
``rflow phi scan`` all call :func:`label_holds_phi`.
"""

from __future__ import annotations

import functools
import re
from pathlib import PurePath

from engine.core.display import printable
from engine.phi import envpin
from engine.phi.cues import english, vocab
from engine.phi.names import dictionaries, is_first_name, is_surname
from engine.phi.sanitizer import phi_category

FILE_NAME_TOKEN = "[PHI:FILE_NAME]"
HEADER_CELL_TOKEN = "[PHI:HEADER_CELL]"
"""A cell of a headerless file's first row (a header row read as data, perhaps) that holds PHI."""
MAX_COLUMN_NAME = 64
_JOINERS = re.compile(r"[_\-.]+")
_JOINERS_NOT_HYPHEN = re.compile(r"[_.]+")
_WORD = re.compile(r"[A-Za-z][a-z]+|[A-Z]{2,}")


def label_holds_phi(text: str) -> bool:
    """Whether a header cell or file name, read whole (and with ``_ - .`` as spaces), holds PHI."""
    return label_category(text) is not None


@functools.lru_cache(maxsize=1 << 16)
def label_category(text: str) -> str | None:
    """The PHI category a header cell or file name holds, read whole (``NAME`` for a person's name), or None.

    Memoized for a wide header: every stage that opens the input reads its header (upload,
    phi_scan, deidentify, summary), and a smaller memo than the header's width keeps none of it.
    """
    spaced = " ".join(_JOINERS.sub(" ", text).split())
    category = phi_category(text) or (phi_category(spaced) if spaced != text else None)
    if category is not None:
        return category
    if _name_like(spaced):
        return "NAME"
    titled = _titled(" ".join(_JOINERS_NOT_HYPHEN.sub(" ", text).split()))  # "jae-won": one word
    return "NAME" if titled is not None and _unknown_pair(titled) else None


_VOWELS = frozenset("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿāăąēĕėęěīį\u0131ōőœūůűų")


def _comma_form(text: str) -> bool:
    """``Family, Given``: two words with one comma between them, the registry's order for a name.

    Only this form lets a label of one case (``NWACHUKWU, MARITES``, ``nwachukwu, marites``) or a
    surname in capitals (``EZE, Adaeze``) read as a name: without the comma, words no dictionary
    knows in one case are the usual research header (``egfr_ckdepi``, ``QTCF INTERVAL``), and a
    header row read as a name is read as data.
    """
    head, comma, tail = text.partition(",")
    return bool(comma) and "," not in tail and len(head.split()) == 1 and len(tail.split()) == 1


def _titled(text: str) -> str | None:
    """A ``Family, Given`` label all in capitals or all in lower case, each word capitalised, so
    the name rules read it as they read ``Nwachukwu, Marites``; None for any other label, or one
    with a word without a vowel (``LDL``, ``crp``: abbreviations, not names)."""
    if not (text.isupper() or text.islower()) or not _comma_form(text):
        return None
    words = text.replace(",", " ").split()
    if not all(not _VOWELS.isdisjoint(w.lower()) and len(w) >= 3 for w in words):
        return None
    return ", ".join(w.strip().capitalize() for w in text.split(","))


def header_cell_category(text: str, letterless: bool) -> str | None:
    """The PHI category of a headerless file's first-row cell read whole as a header cell, or None.

    ``letterless``: the cells below it hold no letter (see
    :func:`engine.phi.columns.letterless_columns`). A name made of English words ("Curt Ring")
    reads like a header ("Heart Rate") to the whole-label rule, so over such a column any cell
    with a name's shape counts as a name: it is no value of that column, and a header word lost
    costs nothing beside a name kept. De-identification replaces these cells by
    :data:`HEADER_CELL_TOKEN` and phi_scan reports them, both through this one function.
    """
    value = text.strip()
    if not value:
        return None
    category = label_category(value)
    if category is None and letterless and name_shaped(value):
        return "NAME"
    return category


_ANY_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_WORD_JOINER = re.compile(r"['\u2019-]")


def _title_word(word: str) -> bool:
    """A capitalised word (``Ngata``, ``Çelik``, ``O'Brien``, ``Jean-Luc``), in any cased script."""
    if word.isascii():
        return _TITLE_WORD.fullmatch(word) is not None
    head, *rest = _WORD_JOINER.split(word)
    return (len(head) >= 2 and head[0].isupper() and head[1:].islower()
            and all(p.islower() or (p[:1].isupper() and p[1:].islower()) for p in rest))


def _words(text: str) -> list[str]:
    """The capitalised or all-capital words of a label (ASCII labels split at camel case too)."""
    if text.isascii():
        return [w for w in _WORD.findall(text) if w[:1].isupper()]
    return [w for w in _ANY_WORD.findall(text) if _title_word(w) or (len(w) >= 2 and w.isupper())]


def _name_like(text: str) -> bool:
    words = _words(text)
    if len(words) < 2:
        return False
    common = dictionaries().common
    # A name word that is also a common English word ("Grace", "Study") does not count.
    if any(w.upper() not in common and (is_first_name(w) or is_surname(w)) for w in words):
        return True
    return _unknown_pair(text)


_TITLE_WORD = re.compile(r"[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)?")
def _particles() -> frozenset[str]:
    """Surname particles written in lower case between name words (``van``, ``de la``, ``van 't``):
    the cue rules' list (``cues.yaml``), one list for every name rule."""
    return vocab().particles


def _unknown_pair(text: str) -> bool:
    """Two or three capitalised words, none a drug, an eponym or a stop word, none an English word
    but the first, which may be a given name (``Bob Kjeldsen``, ``Grace Nwachukwu``):
    a header like that is a person's name as likely as not (most names are in no dictionary, and
    many given names are English words), and a header shown as ``column_N`` costs less than a name
    in every report."""
    split = text.replace(",", " ").split()  # "Nwachukwu, Marites": the comma is no part of a word
    particles = _particles()
    # Lower-case particles inside a name (Mirte de Jode, Ludwig van Beek) are part of it, not words.
    words = [w for i, w in enumerate(split) if not (0 < i < len(split) - 1 and w in particles)]
    # A surname in capitals before a given name ("EZE, Adaeze") is a capitalised word; a word in
    # capitals without a vowel ("CKD") or of two letters ("XA") is an abbreviation.
    if _comma_form(text):
        words = [w.capitalize() if len(w) >= 3 and w.isupper() and not _VOWELS.isdisjoint(w.lower()) else w
                 for w in words]
    if not 2 <= len(words) <= 3 or not all(_title_word(w) for w in words):
        return False
    v, common = vocab(), dictionaries().common
    if any(w.upper() in v.negatives or w.upper() in v.stop for w in words):
        return False
    unknown = [not (english(w) or w.upper() in common) for w in words]
    if len(words) == 2 and text.count(",") == 1 and text.split(",")[1].strip():
        # "PARK, Adaeze": the registry's order, surname first; a word no dictionary knows after
        # the comma, and before it a surname, even one that is an English word too.
        return unknown[1] and (unknown[0] or is_surname(words[0]))
    # Only the first word may be a known word, and only as a given name: surnames hold too many
    # English words (Score, Bell, Price) to vouch for the word beside them.
    return all(unknown[1:]) and (unknown[0] or is_first_name(words[0]))


def safe_file_name(name: str) -> str:
    """A file name as shown: itself (non-printable characters and the raw bytes of a non-UTF-8 name
    escaped, ``\xff``), or :data:`FILE_NAME_TOKEN` plus its extension when it holds PHI."""

    name = printable(name)
    path = PurePath(name)
    if not label_holds_phi(path.stem) and not label_holds_phi(name):
        return name
    suffix = path.suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", path.suffix or "") else ""
    return FILE_NAME_TOKEN + suffix


def safe_column_names(raw: list[str]) -> list[str]:
    """Header names as reported: stripped, and ``column_N`` for empty, over-long or PHI-looking ones.

    Column names travel into reports; a header cell that holds a value (a file without a header)
    must not.
    """
    names: list[str] = []
    seen: set[str] = set()
    with envpin.pinned():  # the PHI engine's settings, read once for the whole header
        for index, cell in enumerate(raw, start=1):
            name = cell.strip()
            if not name or len(name) > MAX_COLUMN_NAME or not name.isprintable() or label_holds_phi(name):
                name = f"column_{index}"
            base, n = name, 2
            while name in seen:
                name, n = f"{base}_{n}", n + 1
            seen.add(name)
            names.append(name)
    return names


def name_shaped(text: str) -> bool:
    """Two to five capitalised words of letters ('"Nick"', "O'Neil", "FAMILY, Given"), surname
    particles between them (``van``, ``de la``): a name's shape,
    whatever the name (most are in no dictionary)."""
    split = text.replace(",", " ").split()
    particles = _particles()
    # Lower-case particles inside a name (Mare van Ginneke, Ana de la Cruz) are part of it.
    words = [w for i, w in enumerate(split) if not (0 < i < len(split) - 1 and w in particles)]
    if not 2 <= len(words) <= 5:
        return False
    caps = 0
    for w in words:
        core = w.strip('"\u201c\u201d()')
        if not core or not core[0].isupper() or not core.replace("'", "").replace("\u2019", "").replace(
                "-", "").replace(".", "").isalpha():
            return False
        caps += len(core) > 1
    return caps >= 2
