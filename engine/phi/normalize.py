"""Unicode normalization before PHI matching, with offsets mapped back to the original text.

Why: the registry's patterns are ASCII. A fullwidth ``536`` (U+FF15...), a zero-width space or a soft
hyphen inside an SSN, or a no-break space inside a phone number would otherwise hide the value
from every pattern. Each non-ASCII character is replaced on its own:

- format characters (Unicode category Cf: zero-width spaces and joiners, soft hyphen, bidi marks,
  byte-order mark) are removed;
- nonspacing combining marks (Mn: the accents of decomposed text, ``e`` + U+0301 as macOS writes
  file names and some exports write cells) are removed, so that ``Marti\u0301nez`` is matched as the
  one word ``Martinez`` and its replacement covers the marks;
- space separators (Zs: no-break, thin, ideographic spaces...) become an ASCII space;
- dash punctuation (Pd: hyphen, non-breaking hyphen, en dash...) and the minus sign become ``-``;
- a letter that decomposes to an ASCII letter and marks takes that letter (``ü`` -> ``u``, ``É`` ->
  ``E``), and a Latin letter no decomposition reaches takes its usual spelling (``ß`` -> ``ss``,
  ``ł`` -> ``l``, ``ø`` -> ``o``): the composed and the decomposed ``José`` match alike, and an
  ASCII pattern sees ``müller@klinik.de`` or ``Hauptstraße`` whole;
- a decimal digit of any script (Arabic-Indic ``٣``, Devanagari ``३``, Thai ``๓``...) becomes its
  ASCII digit, and the year, month and day marks of CJK dates (``年`` ``月`` ``日``, ``년`` ``월`` ``일``)
  become ``-`` ``-`` and a space, so ``2024年3月5日`` reads as ``2024-3-5``; a space after a year or
  month mark is removed, so ``2024년 3월 5일`` reads the same;
- anything else takes its NFKC form (fullwidth digits and letters, the fullwidth at sign, ligatures);
- in an e-mail address written in another script (``用户@例子.中国``, ``иван@пример.рф``: an at sign
  with letters and digits on both sides and a dot after it), each letter or digit no ASCII pattern
  reads becomes ``x`` and an ideographic full stop (``。``, a label separator of an internationalized
  domain name) a dot, so the registry's ASCII e-mail pattern sees the address whole
  (``xx@xx.xx``); the finding's value is still the original text.

ASCII text is returned as is (the common case costs one ``isascii`` call). Matching runs on the
normalized text; an :class:`OffsetMap` turns a span found there into the span of the original
text that produced it, invisible characters inside the value included, so that a finding's
offset and length, and a replacement, cover the original bytes.
"""

from __future__ import annotations

import bisect
import functools
import re
import string
import unicodedata
from collections.abc import Sequence
from typing import AnyStr

import attrs

# A run of non-ASCII characters; a space after a CJK year or month mark belongs to the run (it is
# removed: 2024년 3월 5일 reads as 2024-3-5, as 2024年3月5日 does).
_NON_ASCII_STR = re.compile("(?:[\u5e74\u6708\ub144\uc6d4] ?|[^\x00-\x7f])+")
_NON_ASCII_BYTES = re.compile(b"(?:(?:\xe5\xb9\xb4|\xe6\x9c\x88|\xeb\x85\x84|\xec\x9b\x94) ?|[\x80-\xff])+")
_DASHES = frozenset("\u2212\ufe63")
# Latin letters that no decomposition turns into ASCII ones (also used to fold column headers).
FOLD = str.maketrans({"ß": "ss", "ẞ": "SS", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE",
                      "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D", "\u0131": "i", "ħ": "h", "Ħ": "H", "ŧ": "t",
                      "Ŧ": "T", "ŋ": "ng", "Ŋ": "NG", "ĸ": "q", "ŀ": "l", "Ŀ": "L", "ð": "d", "Ð": "D",
                      "þ": "th", "Þ": "TH", "ŉ": "n"})  # fmt: skip
# CJK year / month / day marks after a number: 2024年3月5日, 2024년 3월 5일
_DATE_MARKS = {"\u5e74": "-", "\u6708": "-", "\u65e5": " ", "\ub144": "-", "\uc6d4": "-", "\uc77c": " "}


# An at sign as written (NFKC makes the fullwidth and small forms ``@``), the ideographic full stops
# an internationalized domain name separates its labels with, the ASCII of a local part and a domain
_ATS = ("@", "\uff20", "\ufe6b")
_IDN_DOTS = frozenset("\u3002\uff61")
_LOCAL = frozenset(string.ascii_letters + string.digits + "._%+-")
_DOMAIN = frozenset(string.ascii_letters + string.digits + ".-")
_MAX_LOCAL, _MAX_DOMAIN = 64, 255  # characters, as the e-mail pattern counts them


@functools.lru_cache(maxsize=4096)
def normalize_char(ch: str) -> str:
    """The replacement of one non-ASCII character (see the module docstring)."""
    cat = unicodedata.category(ch)
    if cat in ("Cf", "Mn"):
        return ""
    if cat == "Zs":
        return " "
    if cat == "Pd" or ch in _DASHES:
        return "-"
    if cat == "Nd":
        return str(unicodedata.decimal(ch))
    if cat[0] == "L":
        mark = _DATE_MARKS.get(ch)
        if mark is not None:
            return mark
        base = "".join(c for c in unicodedata.normalize("NFKD", ch.translate(FOLD)) if not unicodedata.combining(c))
        if base.isascii() and base.isalpha():
            return base
    return unicodedata.normalize("NFKC", ch)


def _word_char(ch: str) -> bool:
    """A non-ASCII character that may stand inside an e-mail address: a letter, mark or digit of
    any script (a Devanagari vowel sign, ``일`` and ``日`` too), or a format character (removed)."""
    return unicodedata.category(ch)[0] in "LMN" or normalize_char(ch) == ""


def _script_letter(ch: str) -> bool:
    """A letter or digit that normalization does not make an ASCII one (``中``, ``и``, ``ع``; not
    ``é``, which reads as ``e``), or a mark (``ो``, a virama: at the end of the address it would
    otherwise be removed and left out of the finding)."""
    cat = unicodedata.category(ch)[0]
    out = normalize_char(ch)
    return cat == "M" or (cat in "LN" and out != "" and not (out.isascii() and out.isalnum()))


def _email_marks_at(text: str, at: int) -> list[tuple[int, str]]:
    """The replacements that make the e-mail address around the at sign ``text[at]`` ASCII: its
    letters and digits of other scripts as ``x``, its ideographic full stops as dots (none when it
    has no such letter, no dot after the at sign, or nothing before it)."""
    start = at
    while at - start < _MAX_LOCAL and start > 0:
        ch = text[start - 1]
        if not (ch in _LOCAL or (not ch.isascii() and _word_char(ch))):
            break
        start -= 1
    end = at + 1
    while end - at - 1 < _MAX_DOMAIN and end < len(text):
        ch = text[end]
        if not (ch in _DOMAIN or ch in _IDN_DOTS or (not ch.isascii() and _word_char(ch))):
            break
        end += 1
    domain = text[at + 1 : end]
    if start == at or not any(c == "." or c in _IDN_DOTS for c in domain.rstrip(".\u3002\uff61")):
        return []
    marks = [(i, "x") for i in range(start, end) if i != at and not text[i].isascii() and _script_letter(text[i])]
    if not any(unicodedata.category(text[i])[0] != "M" for i, _ in marks):
        return []  # only accents: a Latin address, which the patterns read already
    return sorted(marks + [(i, ".") for i in range(at + 1, end) if text[i] in _IDN_DOTS])


def _email_marks(text: str) -> dict[int, str]:
    """:func:`_email_marks_at` for every at sign of ``text``, by character offset."""
    marks: dict[int, str] = {}
    for at_sign in _ATS:
        at = text.find(at_sign)
        while at >= 0:
            marks.update(_email_marks_at(text, at))
            at = text.find(at_sign, at + 1)
    return marks


def _email_marks_bytes(data: bytes) -> dict[int, str]:
    """:func:`_email_marks` of UTF-8 ``data``, by byte offset: each at sign's surroundings decoded
    on their own (a window of whole characters wide enough for the longest address)."""
    marks: dict[int, str] = {}
    for at_sign in (a.encode("utf-8") for a in _ATS):
        at = data.find(at_sign)
        while at >= 0:
            lo, hi = max(0, at - 4 * _MAX_LOCAL), min(len(data), at + len(at_sign) + 4 * _MAX_DOMAIN)
            while lo < at and 0x80 <= data[lo] < 0xC0:  # start and end on whole characters
                lo += 1
            while hi < len(data) and 0x80 <= data[hi] < 0xC0:
                hi -= 1
            try:
                window = data[lo:hi].decode("utf-8")
                offset = len(data[lo:at].decode("utf-8"))
            except UnicodeDecodeError:
                at = data.find(at_sign, at + 1)
                continue
            found = dict(_email_marks_at(window, offset))
            if found:
                pos = lo
                for i, ch in enumerate(window):
                    if i in found:
                        marks[pos] = found[i]
                    pos += len(ch.encode("utf-8"))
            at = data.find(at_sign, at + 1)
    return marks


def canonical(value: str) -> str:
    """The form of a matched value its keyed digest is computed from (before the category's normalizer).

    NFKC, so that composed and decomposed text (``José`` as ``é`` or as ``e`` + U+0301) and
    fullwidth forms give one digest; format characters (zero-width spaces, soft hyphens) removed and
    decimal digits of any script written in ASCII, as when matching. Accents are kept: ``Müller``
    and ``Muller`` stay two values.
    """
    if value.isascii():
        return value
    out = []
    for ch in unicodedata.normalize("NFKC", value):
        if ch.isascii():
            out.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat == "Cf":
            continue
        out.append(str(unicodedata.decimal(ch)) if cat == "Nd" else ch)
    return "".join(out)


@attrs.frozen
class OffsetMap:
    """Maps offsets of a normalized text back to the original one.

    Each changed piece is ``(norm_start, norm_len, orig_start, orig_len)``; text between pieces is
    unchanged and maps one to one. Offsets are in characters for ``str``, in bytes for ``bytes``.
    """

    norm_starts: Sequence[int] = ()
    norm_lens: Sequence[int] = ()
    orig_starts: Sequence[int] = ()
    orig_lens: Sequence[int] = ()

    @property
    def identity(self) -> bool:
        """True when nothing changed."""
        return not self.norm_starts

    def start(self, x: int) -> int:
        """Original offset where normalized unit ``x`` begins (invisible characters before it excluded)."""
        k = bisect.bisect_right(self.norm_starts, x) - 1
        if k < 0:
            return x
        n, nl, o, ol = self.norm_starts[k], self.norm_lens[k], self.orig_starts[k], self.orig_lens[k]
        if x < n + nl:
            return o
        return o + ol + (x - n - nl)

    def end(self, x: int) -> int:
        """Original offset just past normalized unit ``x - 1`` (invisible characters after it excluded)."""
        k = bisect.bisect_left(self.norm_starts, x) - 1
        if k < 0:
            return x
        n, nl, o, ol = self.norm_starts[k], self.norm_lens[k], self.orig_starts[k], self.orig_lens[k]
        if x - 1 < n + nl:
            return o + ol
        return o + ol + (x - n - nl)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalized span ``[start, end)``."""
        if end <= start:
            s = self.start(start)
            return s, s
        return self.start(start), self.end(end)


IDENTITY = OffsetMap()


def _build(text: AnyStr, runs: re.Pattern[AnyStr], encode: bool) -> tuple[AnyStr, OffsetMap]:
    marks = _email_marks_bytes(text) if isinstance(text, bytes) else _email_marks(text)
    norm_starts: list[int] = []
    norm_lens: list[int] = []
    orig_starts: list[int] = []
    orig_lens: list[int] = []
    parts: list[AnyStr] = []
    last = 0
    shift = 0  # normalized offset minus original offset, so far
    for m in runs.finditer(text):
        parts.append(text[last : m.start()])
        pos = m.start()
        run = m.group()
        if isinstance(run, bytes):
            try:
                chars = run.decode("utf-8")
            except UnicodeDecodeError:  # not whole characters: left as is
                parts.append(run)
                last = m.end()
                continue
        else:
            chars = run
        for ch in chars:
            width = len(ch.encode("utf-8")) if encode else 1
            repl = marks.get(pos) if marks else None
            if repl is None:
                repl = "" if ch == " " else normalize_char(ch)  # a space in a run follows a date mark
            piece = repl.encode("utf-8") if encode else repl
            if piece != (ch.encode("utf-8") if encode else ch):
                norm_starts.append(pos + shift)
                norm_lens.append(len(piece))
                orig_starts.append(pos)
                orig_lens.append(width)
                shift += len(piece) - width
            parts.append(piece)  # type: ignore[arg-type]
            pos += width
        last = m.end()
    if not norm_starts:
        return text, IDENTITY
    parts.append(text[last:])
    joined: AnyStr = text[:0].join(parts)
    return joined, OffsetMap(norm_starts, norm_lens, orig_starts, orig_lens)


def normalize_with_map(text: str) -> tuple[str, OffsetMap]:
    """``text`` normalized for matching, and the map of its offsets back to ``text``."""
    if text.isascii():
        return text, IDENTITY
    return _build(text, _NON_ASCII_STR, encode=False)


def normalize_bytes_with_map(data: bytes) -> tuple[bytes, OffsetMap]:
    """UTF-8 ``data`` normalized for matching, and the map of its byte offsets back to ``data``.

    ``data`` must be valid UTF-8 (a run of non-ASCII bytes is then whole characters).
    """
    if data.isascii():
        return data, IDENTITY
    return _build(data, _NON_ASCII_BYTES, encode=True)


def normalize(text: str) -> str:
    """``text`` normalized for matching (see :func:`normalize_with_map`)."""
    return normalize_with_map(text)[0]
