"""Hypothesis strategies and builders for valid values of every PHI category (shared by tests)."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from engine.phi.validators import IBAN_LENGTHS, luhn, vin_check_digit

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def card_number(prefix: str, length: int, body: str) -> str:
    """A Luhn-valid card number with ``prefix`` and ``length`` digits."""
    digits = (prefix + body)[: length - 1].ljust(length - 1, "7")
    for check in "0123456789":
        if luhn(digits + check):
            return digits + check
    raise AssertionError("unreachable")


def vin_number(body: str) -> str:
    """A 17-character VIN built from ``body`` with its check digit in position 9."""
    chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    raw = "".join(chars[ord(c) % len(chars)] for c in body.ljust(17, "1"))[:17]
    raw = "1HG" + raw[3:8] + "0" + raw[9:13] + "1234"
    return raw[:8] + (vin_check_digit(raw) or "0") + raw[9:]


ssn = st.builds(
    lambda a, g, s: f"{a:03d}-{g:02d}-{s:04d}",
    st.integers(1, 899).filter(lambda a: a != 666),
    st.integers(1, 99),
    st.integers(1, 9999),
).filter(lambda v: v != "123-45-6789")
_npa = st.integers(200, 999).filter(lambda n: str(n)[1:] != "11" and str(n)[1] != "9")
_nxx = st.integers(200, 999).filter(lambda n: str(n)[1:] != "11")
phone = st.builds(
    lambda a, b, c, fmt: fmt.format(a=a, b=b, c=c),
    _npa,
    _nxx,
    st.integers(0, 9999).map(lambda n: f"{n:04d}"),
    st.sampled_from(["{a}-{b}-{c}", "({a}) {b}-{c}", "{a}.{b}.{c}", "+1 {a}-{b}-{c}"]),
)
email = st.builds(
    lambda u, d, t: f"{u}@{d}.{t}",
    st.from_regex(r"[a-z][a-z0-9._]{0,12}[a-z0-9]", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z]", fullmatch=True),
    st.sampled_from(["com", "org", "net", "edu", "io"]),
)
date = st.builds(
    lambda d, fmt: fmt(d),
    st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)),
    st.sampled_from(
        [
            lambda d: d.isoformat(),
            lambda d: f"{d.month}/{d.day}/{d.year}",
            lambda d: f"{d.month:02d}-{d.day:02d}-{d.year}",
            lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
            lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
        ]
    ),
)
ipv4 = st.builds(lambda a, b, c, d: f"{a}.{b}.{c}.{d}", *(st.integers(0, 255) for _ in range(4)))
card = st.builds(
    lambda pl, body: card_number(pl[0], pl[1], body),
    st.sampled_from([("4", 16), ("51", 16), ("37", 15), ("6011", 16), ("4", 13)]),
    st.from_regex(r"[0-9]{18}", fullmatch=True),
)
vin = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=17, max_size=17).map(vin_number)


def iban_number(country: str, body: str, grouped: bool) -> str:
    """An IBAN of ``country`` (its registered length) whose check digits make mod 97 = 1."""
    bban = "".join("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[ord(c) % 36] for c in body.ljust(30, "7"))
    bban = bban[: IBAN_LENGTHS[country] - 4]
    rest = int("".join(str(int(c, 36)) for c in bban + country + "00")) % 97
    compact = f"{country}{98 - rest:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4)) if grouped else compact


iban = st.builds(iban_number, st.sampled_from(sorted(IBAN_LENGTHS)), st.text(min_size=1, max_size=30), st.booleans())
mrn = st.from_regex(r"[A-Z]{0,2}[0-9]{6,9}", fullmatch=True)
zip5 = st.from_regex(r"[0-9]{5}", fullmatch=True)
url = st.builds(lambda h, p: f"https://{h}.example.org/{p}", st.from_regex(r"[a-z]{3,10}", fullmatch=True),
                st.from_regex(r"[a-z0-9]{0,12}", fullmatch=True))  # fmt: skip



def uk_postcode(area: str, district: int, letter: str, sector: int, unit: str, sep: str, low: bool) -> str:
    """A UK postcode from its grammar: area, district (a letter only after a one-digit one), sector, unit."""
    code = f"{area}{district}{letter if district < 10 else ''}{sep}{sector}{unit}"
    return code.lower() if low else code


_UK_AREAS = ["AB", "B", "BS", "CF", "CR", "DN", "E", "EC", "EH", "G", "L", "LS", "M", "N", "NW", "S", "SW", "W", "YO"]
_UNIT = "ABDEFGHJLNPQRSTUWXYZ"
_CA_FIRST, _CA_LETTER = "ABCEGHJKLMNPRSTVXY", "ABCEGHJKLMNPRSTVWXYZ"
postcode = st.builds(
    uk_postcode, st.sampled_from(_UK_AREAS), st.integers(1, 99), st.sampled_from(["", "A", "W"]), st.integers(0, 9),
    st.text(_UNIT, min_size=2, max_size=2), st.sampled_from([" ", ""]), st.booleans(),
) | st.builds(
    lambda a, b, c, d, e, f, sep: f"{a}{b}{c}{sep}{d}{e}{f}",
    st.sampled_from(_CA_FIRST), st.integers(0, 9), st.sampled_from(_CA_LETTER), st.integers(0, 9),
    st.sampled_from(_CA_LETTER), st.integers(0, 9), st.sampled_from([" ", "-"]),
)  # fmt: skip
_STREET_NAMES = ["Mayor", "de la Paix", "Roma", "Augusta", "de Balmes", "Vittorio Emanuele", "da Liberdade",
                 "Navona", "Garibaldi", "del Sol", "Mickiewicza", "Jerozolimskie"]  # fmt: skip
street = st.builds(
    lambda form, word, name, compound, n, letter: form.format(w=word, s=name, c=compound, n=f"{n}{letter}"),
    st.sampled_from(["{w} {s} {n}", "{w} {s}, {n}", "{n} rue {s}", "{c} {n}"]),
    st.sampled_from(["Calle", "Via", "Rue", "Rua", "Avenida", "Piazza", "Plaza", "Corso", "ul.", "al.", "Ulica"]),
    st.sampled_from(_STREET_NAMES),
    st.sampled_from(["Hauptstrasse", "Kerkstraat", "Lindenweg", "Prinsengracht", "Storgatan", "Bahnhofstr.",
                     "Berliner Strasse", "Karl-Marx-Strasse", "Lange Laan", "Marktplatz"]),
    st.integers(1, 400), st.sampled_from(["", "a", "B"]),
)  # fmt: skip

# (category, strategy of (text containing the value, value))
IN_CONTEXT = {
    "SSN": ssn.map(lambda v: (f"ssn {v} on file", v)),
    "PHONE": phone.map(lambda v: (f"call {v} today", v)),
    "EMAIL": email.map(lambda v: (f"mail {v} now", v)),
    "DATE": date.map(lambda v: (f"seen {v} in clinic", v)),
    "IP": ipv4.map(lambda v: (f"from host {v} at", v)),
    "CREDIT_CARD": card.map(lambda v: (f"card {v} used", v)),
    "VIN": vin.map(lambda v: (f"car {v} parked", v)),
    "MRN": mrn.map(lambda v: (f"MRN: {v} admitted", v)),
    "ZIP": zip5.map(lambda v: (f"state and zip MA {v} USA", v)),  # "Boston, MA" would add a CITY
    "URL": url.map(lambda v: (f"see {v} for more", v)),
    "HEALTH_PLAN": mrn.map(lambda v: (f"member id {v} active", v)),
    "ACCOUNT": mrn.map(lambda v: (f"acct # {v} billed", v)),
    "LICENSE": mrn.map(lambda v: (f"license {v} valid", v)),
    "DEVICE": mrn.map(lambda v: (f"serial number {v} implanted", v)),
    "POSTCODE": postcode.map(lambda v: (f"home near {v} since", v)),
    "ADDRESS": street.map(lambda v: (f"lives at {v} now", v)),
}
