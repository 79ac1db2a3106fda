"""Checks and normalizers applied to candidate values after a pattern matched.

Patterns alone over-match (any ddd-dd-dddd, any 16 digits); these checks are what keeps the scan
tier precise. Every function takes the matched text and never raises on odd input.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from engine.phi.dates import iso, parse_written
from engine.phi.normalize import canonical, normalize

_NON_DIGIT = re.compile(r"[^0-9]", re.ASCII)
_NON_ALNUM = re.compile(r"[^A-Za-z0-9]", re.ASCII)


_FIRST_LETTER = re.compile("[A-Za-z]")


def digits(value: str) -> str:
    """Only the ASCII digits of ``value``."""
    return _NON_DIGIT.sub("", value)


# --- checksums and number rules -------------------------------------------------------------


_LUHN_DOUBLED = {str(d): (2 * d if d < 5 else 2 * d - 9) for d in range(10)}


def luhn(value: str) -> bool:
    """Luhn (mod 10) check over the digits of ``value``."""
    ds = digits(value)
    if len(ds) < 2:
        return False
    rev = ds[::-1]
    doubled = _LUHN_DOUBLED
    total = sum(map(int, rev[0::2])) + sum(doubled[c] for c in rev[1::2])
    return total % 10 == 0


def card_lengths(ds: str) -> tuple[int, ...]:
    """Valid lengths for the issuer prefix of ``ds`` (empty: no known issuer)."""
    p2, p3, p4, p6 = int(ds[:2]), int(ds[:3]), int(ds[:4]), int(ds[:6])
    if ds[0] == "4":
        return (13, 16, 19)  # Visa
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return (16,)  # Mastercard
    if p2 in (34, 37):
        return (15,)  # American Express
    if p4 == 6011 or p2 == 65 or 644 <= p3 <= 649 or 622126 <= p6 <= 622925:
        return (16, 19)  # Discover
    if 3528 <= p4 <= 3589:
        return (16, 19)  # JCB
    if p2 in (36, 38, 39) or 300 <= p3 <= 305 or p4 == 3095:
        return (14, 16, 19)  # Diners Club
    if p2 == 62:
        return (16, 17, 18, 19)  # UnionPay
    if p4 in (5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763):
        return (12, 13, 14, 15, 16, 17, 18, 19)  # Maestro
    return ()


def card(value: str) -> bool:
    """A payment card: known issuer prefix, a length that issuer uses, Luhn-valid.

    The issuer check is what rejects numeric timestamps that happen to pass Luhn
    (epoch milliseconds start with 1, which no issuer uses).
    """
    ds = digits(value)
    if not 12 <= len(ds) <= 19:
        return False
    if len(set(_NON_DIGIT.findall(value))) > 1:
        return False  # one separator style
    return len(ds) in card_lengths(ds) and luhn(ds)


def ssn(value: str) -> bool:
    """SSA rules: area not 000, 666 or 9xx; group not 00; serial not 0000; one separator style."""
    ds = digits(value)
    if len(ds) != 9:
        return False
    if len(set(_NON_DIGIT.findall(value))) > 1:
        return False
    area, group, serial = ds[:3], ds[3:5], ds[5:]
    if area in ("000", "666") or area[0] == "9":
        return False
    if group == "00" or serial == "0000":
        return False
    # Advertising / SSA-voided example numbers.
    return ds not in ("078051120", "219099999", "123456789")


def nanp(value: str) -> bool:
    """North American Numbering Plan: NPA and NXX start 2-9 and are not N11; 555-01xx is fiction."""
    ds = digits(value)
    if len(ds) == 11 and ds[0] == "1":
        ds = ds[1:]
    if len(ds) != 10:
        return False
    npa, nxx = ds[:3], ds[3:6]
    if npa[0] in "01" or nxx[0] in "01":
        return False
    if npa[1:] == "11" or nxx[1:] == "11":
        return False
    return npa[1] != "9"  # N9X area codes are reserved for expansion


def intl_phone(value: str) -> bool:
    """E.164 allows at most 15 digits; fewer than 8 is not a full number."""
    return 8 <= len(digits(value)) <= 15


def ipv4(value: str) -> bool:
    """Four octets 0-255 without leading zeros (so '01.02.2020' style dates are not IPs)."""
    parts = value.split(".")
    if len(parts) != 4:
        return False
    return all(p.isdigit() and p.isascii() and (len(p) == 1 or p[0] != "0") and int(p) <= 255 for p in parts)


def ipv6(value: str) -> bool:
    """A valid IPv6 address with at least three hex groups (so 'a::b' in code is not flagged).

    Without '::' it must hold a digit: the sanitizer's prefilter relies on that.
    """
    if "::" not in value and not any(c.isdigit() for c in value):
        return False
    if value.count(":") < 2 or sum(1 for g in value.split(":") if g) < 3:
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


_VIN_MAP = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


_VIN_LETTERS_OK = frozenset(_VIN_MAP)


def vin_check_digit(vin: str) -> str | None:
    """The check character (position 9) a 17-character VIN must have, or None if malformed."""
    vin = vin.upper()
    if len(vin) != 17 or not _VIN_LETTERS_OK.issuperset(vin):
        return None
    values = _VIN_MAP
    total = sum(values[c] * w for c, w in zip(vin, _VIN_WEIGHTS))  # noqa: B905 - both are 17 long
    rem = total % 11
    return "X" if rem == 10 else str(rem)


def vin(value: str) -> bool:
    """ISO 3779 / North American VIN: no I, O, Q; valid check digit; some letters and digits."""
    v = value.upper()
    if vin_check_digit(v) != v[8:9]:
        return False
    return not v.isdigit() and len(_NON_DIGIT.sub("", v)) >= 5


# ISO 13616: the length of an IBAN in each country that issues them (the SWIFT IBAN registry)
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def iban(value: str) -> bool:
    """An IBAN: a country that issues them, its length, check digits 02-98 and mod 97 = 1.

    Written compact or in groups split by single spaces; letters upper case. A random code of the
    same shape passes the check one time in 97 and the country length cuts most of those.
    """
    s = value.replace(" ", "")
    check = s[2:4]
    if IBAN_LENGTHS.get(s[:2]) != len(s) or not (check.isascii() and check.isdigit() and "02" <= check <= "98"):
        return False
    total = 0
    for c in s[4:] + s[:4]:
        if "0" <= c <= "9":
            total = (total * 10 + ord(c) - 48) % 97
        elif "A" <= c <= "Z":
            total = (total * 100 + ord(c) - 55) % 97
        else:
            return False
    return total == 1


# --- dates ------------------------------------------------------------------------------------

MIN_YEAR, MAX_YEAR = 1870, 2150

def _valid(y: int, m: int, d: int) -> _dt.date | None:
    if not MIN_YEAR <= y <= MAX_YEAR or not 1 <= m <= 12 or not 1 <= d <= 31:
        return None
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


def _two_digit_year(y: int) -> int:
    """Pivot like strptime's %y: 00-68 -> 2000s, 69-99 -> 1900s."""
    return 2000 + y if y < 69 else 1900 + y


_NUMERIC_DATE = re.compile(r"([0-9]{1,4})([/.-])([0-9]{1,2})([/.-])([0-9]{1,4})", re.ASCII)


def parse_date(value: str) -> _dt.date | None:
    """The calendar date written in any registry form, or None if it is not a real date."""
    v = value.strip()
    m = _NUMERIC_DATE.fullmatch(v)
    if m is not None:
        a, s1, b, s2, c = m.groups()
        if len(a) == 4:
            return _valid(int(a), int(b), int(c)) if len(c) <= 2 else None
        if len(a) > 2 or s1 != s2 or len(c) not in (2, 4) or (s1 == "." and len(c) != 4):
            return None
        year = int(c) if len(c) == 4 else _two_digit_year(int(c))
        # month first (US); a first number over 12 is a day: day first (23.07.1971, 14/02/1945)
        return _valid(year, int(a), int(b)) or _valid(year, int(b), int(a))
    if len(v) == 8 and v.isdigit() and v.isascii():
        return _valid(int(v[:4]), int(v[4:6]), int(v[6:]))
    parts = parse_written(v, MIN_YEAR, MAX_YEAR)
    if parts is None or parts[0] is None:
        return None
    return _valid(parts[0], parts[1], parts[2])


def date_ymd(value: str) -> bool:
    """Year-month-day (ISO or with slashes) that exists on the calendar."""
    m = _NUMERIC_DATE.fullmatch(value.strip())
    return m is not None and len(m.group(1)) == 4 and parse_date(value) is not None


def date_mdy(value: str) -> bool:
    """Month/day/year, or day/month/year when the first number is over 12, that exists on the calendar
    (2- or 4-digit year; dots need 4)."""
    return parse_date(value) is not None


def date_text(value: str) -> bool:
    """Month-name forms (Mar 4, 2021; the fourth of March; 04-Mar-2021) that exist on the calendar."""
    return parse_written(value, MIN_YEAR, MAX_YEAR) is not None


_YMD_TEXT = re.compile(r"([0-9]{4})[ /-]([A-Za-z]{3,9})\.?[ /-]([0-9]{1,2})", re.ASCII)


def date_ymd_text(value: str) -> bool:
    """Year, month name, day (``1932-Feb-06``, ``2021 Mar 4``) that exists on the calendar."""
    m = _YMD_TEXT.fullmatch(value.strip())
    return m is not None and parse_written(f"{m[3]} {m[2]} {m[1]}", MIN_YEAR, MAX_YEAR) is not None


def date_compact(value: str) -> bool:
    """YYYYMMDD that exists on the calendar (used only next to a DOB-like label)."""
    return len(value) == 8 and parse_date(value) is not None


def age_over_89(value: str) -> bool:
    """An age of 90 to 125 years (the patterns only match ages given as an age)."""
    ds = digits(value)
    return ds.isdigit() and 90 <= int(ds) <= 125


def _names() -> Any:
    from engine.phi import names

    return names


def name_pair(value: str) -> bool:
    """A dictionary first name followed by a dictionary surname (see engine/phi/names.py)."""
    return bool(_names().name_pair(value))


def name_strong(value: str) -> bool:
    """Capitalised words after a title or labelled context, not known non-names."""
    return bool(_names().name_strong(value))


def name_known(value: str) -> bool:
    """After a weak context word: at least one dictionary name, not only common words."""
    return bool(_names().name_known(value))


def uk_postcode_case(value: str) -> bool:
    """A UK postcode in any case (``SW1A 1AA``, ``sw1a 1aa``, ``Sw1A 1Aa``) but the shape of an
    analyte and its level: the outward code's letters capitals and the two unit letters lower case
    (``E2 5ng``, ``B12 1ug``: a unit is written in lower case, a hormone or vitamin in capitals)."""
    outward, unit = value[:-3], value[-2:]
    return not (all("a" <= c <= "z" for c in unit) and not any("a" <= c <= "z" for c in outward))


# A clinical scale's code in the letter-digit alternation of a Canadian postal code: the TNM stage
# (T2N0M0), the Glasgow coma scale (E4V5M6, E4M6V5), gravida/para (G2P1A0, G2P1L1).
_SCALE_LETTERS = frozenset({"TNM", "EVM", "EMV", "GPA", "GPL"})


def canada_postcode(value: str) -> bool:
    """A Canadian postal code in any case, with its space or hyphen (``K1A 0B1``, ``k1a-0b1``) or run
    together (``H3Z2Y7``) when it is not a clinical scale's code of that shape (``T2N0M0``, ``E4V5M6``,
    ``G2P1A0``)."""
    return len(value) != 6 or (value[0] + value[2] + value[4]).upper() not in _SCALE_LETTERS


def has_digit(value: str) -> bool:
    """At least one ASCII digit: a labelled identifier is never a plain word ("policy holder")."""
    return _NON_DIGIT.sub("", value) != ""


def not_date(value: str) -> bool:
    """Not a date with separators (``2021-03-04`` after "chart" is a date, not a chart number)."""
    return _NUMERIC_DATE.fullmatch(value.strip()) is None or parse_date(value) is None


_UNITS = "(?:mg|mcg|ug|g|kg|mL|ml|dL|dl|mmHg|mm|cm|units?|IU|mEq|meq|mmol|%|bpm|hrs?|h|mins?|days?|wks?|weeks?)"
_RATIO = re.compile(rf"[0-9]{{1,3}}/[0-9]{{1,3}}|[0-9]{{1,5}}\.[0-9]{{1,3}}{_UNITS}?|[0-9]{{1,5}}{_UNITS}", re.ASCII)
_YEAR = re.compile(r"(?:1[89]|2[01])[0-9]{2}", re.ASCII)


def not_ratio(value: str) -> bool:
    """Not a ratio, score or measurement (``20/20``, ``120/80``, ``1.25mg``, ``100units``): after a
    window of words ("serial blood pressures 120/80") a label's value is an identifier only when
    it is not one."""
    return _RATIO.fullmatch(value.strip()) is None


def not_year(value: str) -> bool:
    """Not a bare year ("chart review of admissions from 2015")."""
    return _YEAR.fullmatch(value.strip()) is None


def ssn_digits(value: str) -> bool:
    """Nine digits in one separator style: any number an SSN label or column announces (SSA rules
    are confidence; a labelled 9xx or 000 area is still a Social Security number to redact)."""
    ds = digits(value)
    return len(ds) == 9 and len({c for c in value if not c.isdigit()}) <= 1


def phone_digits(value: str) -> bool:
    """Ten digits, or eleven with the country code 1; or, written with an international prefix
    (``+``, ``00``, ``011``), 8 to 15 digits (E.164); with a trunk ``0`` (a national number outside
    North America), 9 to 11: any number a phone cue or column announces.
    An extension (from the first letter on: ``x890``, ``ext. 12``) is not counted."""
    ds = digits(_FIRST_LETTER.split(value, maxsplit=1)[0])
    if value.lstrip("( ").startswith(("+", "00", "011")) and not value.lstrip("( ").startswith("+1"):
        return 8 <= len(ds) <= 15
    if value.lstrip("( ").startswith("0"):  # a national number with its trunk 0 (020 7946 0958, 06 12 34 56 78)
        return 9 <= len(ds) <= 11
    return len(ds) == 10 or (len(ds) == 11 and ds[0] == "1")


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "has_digit": has_digit,
    "not_date": not_date,
    "phone_digits": phone_digits,
    "not_ratio": not_ratio,
    "not_year": not_year,
    "ssn_digits": ssn_digits,
    "ssn": ssn,
    "luhn": luhn,
    "card": card,
    "nanp": nanp,
    "intl_phone": intl_phone,
    "ipv4": ipv4,
    "ipv6": ipv6,
    "vin": vin,
    "iban": iban,
    "date_ymd": date_ymd,
    "date_mdy": date_mdy,
    "date_text": date_text,
    "date_compact": date_compact,
    "date_ymd_text": date_ymd_text,
    "age_over_89": age_over_89,
    "uk_postcode_case": uk_postcode_case,
    "canada_postcode": canada_postcode,
    "name_pair": name_pair,
    "name_strong": name_strong,
    "name_known": name_known,
}


# --- normalizers (before the keyed digest) -----------------------------------------------------


def _norm_date(value: str) -> str:
    value = normalize(value)  # 2024年3月5日 reads as 2024-3-5, as when it was matched
    parsed = parse_date(value)
    if parsed:
        return parsed.isoformat()
    written = parse_written(value, MIN_YEAR, MAX_YEAR)
    return iso(written) if written else digits(value)


def _norm_ip(value: str) -> str:
    try:
        return ipaddress.ip_address(value).compressed
    except ValueError:
        return value.lower()


def _norm_text(value: str) -> str:
    """Names and addresses: case, dots and spacing do not change the digest."""
    return " ".join(value.replace(".", " ").replace(",", " ").lower().split())


def _canonical_first(norm: Callable[[str], str]) -> Callable[[str], str]:
    """``norm`` of the value's canonical form (:func:`engine.phi.normalize.canonical`): text written
    composed or decomposed, in fullwidth forms or in other digits, gets one digest."""
    return lambda value: norm(canonical(value))


NORMALIZERS: dict[str, Callable[[str], str]] = {
    name: _canonical_first(norm)
    for name, norm in {
        "text": _norm_text,
        "digits": digits,
        "lower": str.lower,
        "upper_alnum": lambda v: _NON_ALNUM.sub("", v).upper(),
        "date_iso": _norm_date,
        "ip": _norm_ip,
    }.items()
}


# Byte-level fast paths of the normalizers, used by the file scanner on ASCII values; each gives
# the same bytes as ``NORMALIZERS[name](value.decode()).encode()`` (checked by the tests).
_ALL_BYTES = bytes(range(256))
_NON_DIGIT_BYTES = bytes(b for b in _ALL_BYTES if not 48 <= b <= 57)
_NON_ALNUM_BYTES = bytes(b for b in _ALL_BYTES if not (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122))

_STR_ONLY_SPACE = re.compile(rb"[\x1c-\x1f]")  # str.split() splits on these, bytes.split() does not


def _bytes_norm_ip(value: bytes) -> bytes:
    # A dotted quad that passed the ipv4 rule (no leading zeros) is already canonical.
    if b":" not in value:
        return value.lower()
    return _norm_ip(value.decode("ascii")).encode("ascii")


def _bytes_norm_text(value: bytes) -> bytes:
    if _STR_ONLY_SPACE.search(value):
        return _norm_text(value.decode("ascii")).encode("ascii")
    return b" ".join(value.replace(b".", b" ").replace(b",", b" ").lower().split())


BYTES_NORMALIZERS: dict[str, Callable[[bytes], bytes]] = {
    "digits": lambda v: v.translate(None, _NON_DIGIT_BYTES),
    "lower": bytes.lower,
    "upper_alnum": lambda v: v.translate(None, _NON_ALNUM_BYTES).upper(),
    "ip": _bytes_norm_ip,
    "text": _bytes_norm_text,
}
