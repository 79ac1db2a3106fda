"""Value makers for the unseen-forms PHI corpus: phones, SSNs, e-mails, identifiers, names, places.

Why apart from the corpus writer: one module per job (values here, files and notes in
bench/phi_corpus_unseen.py). Formats come from how real exports write them (payer cards,
licences, device labels, camera file names), with random letters and digits, never from the
detector's patterns.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from phi_unseen_vocab import (
    CODAS,
    FAMILY,
    GIVEN,
    NICKNAMES,
    NUCLEI,
    ONSETS,
    PLACE_SUFFIXES,
    TOWNS,
)  # fmt: skip

UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
FORMAT_CHARS = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e"]
NO_BREAK_SPACES = ["\u00a0", "\u202f", "\u2007"]
FULLWIDTH = {**{c: chr(0xFF10 + int(c)) for c in "0123456789"}, "-": "\uff0d", "@": "\uff20", ".": "\uff0e",
             "(": "\uff08", ")": "\uff09"}  # fmt: skip
PHONE_FORMATS = ["{a}-{b}-{c}", "({a}) {b}-{c}", "{a}.{b}.{c}", "{a} {b} {c}", "+1 {a} {b} {c}", "1-{a}-{b}-{c}",
                 "{a}{b}{c}", "({a}){b}-{c}", "{a}/{b}-{c}", "+1 ({a}) {b}-{c}", "{a}-{b}-{c} x{x}",
                 "+1.{a}.{b}.{c}"]  # fmt: skip
INTERNATIONAL = ["+44 20 #### ####", "+44 7### ######", "+49 30 ########", "+33 6 ## ## ## ##", "+91 9#### #####",
                 "+234 80# ### ####", "+61 4## ### ###", "+52 55 #### ####", "+81 3-####-####", "+27 82 ### ####",
                 "0044 20 #### ####", "011 44 20 #### ####", "+353 87 ### ####", "+90 532 ### ## ##",
                 "+63 917 ### ####", "+20 10 #### ####", "(+254) 7## ######"]  # fmt: skip
# category -> (label wordings, value formats: L a letter, D a digit, anything else literal)
ID_KINDS = {
    "HEALTH_PLAN": (["insurance ID", "Insurance No.", "member ID#", "Medicaid no", "Medicare beneficiary identifier",
                     "MBI", "subscriber number", "policy #", "plan ID", "health plan number", "beneficiary no.",
                     "payer ID card"], ["LLL-DD-DDDDD", "LDDDDDDD", "LLLDDDDDDDDD", "DLLDLLDLLDD", "LLL DDDDDDD"]),
    "LICENSE": (["driver's licence", "driver license #", "DL no.", "licence number", "state ID card", "passport number",
                 "passport no", "nursing licence"], ["LDDD-DDDD-DDDD", "LDDDDDDD", "DD-LLL-DDDD", "LLDDDDDDD"]),
    "CERTIFICATE": (["birth certificate no.", "certificate number", "death certificate #", "cert. no",
                     "marriage certificate"], ["DDD-DDDD-DDDDDD", "LL-DDDD-DDDDDD", "CERT-DDDD-DDDDD"]),
    "ENROLMENT": (["enrolment number", "enrollment ID", "registration no.", "study enrolment #",
                   "participant enrollment number"], ["ENR/DDDD/DDDD", "LL-DDDDD", "DDDL-DDDD", "LLDDDDLL"]),
    "DEVICE": (["pacemaker serial", "device serial number", "implant S/N", "insulin pump SN", "hearing aid serial",
                "UDI", "CGM transmitter ID", "ICD generator serial"], ["DLDLLDDD", "LLL-DDDDD-L", "DDDDLLDDDDD"]),
    "ACCOUNT": (["account number", "billing acct", "acct no.", "patient account #", "hospital account",
                 "guarantor account"], ["LLDDDDDDD", "DDDD-LLL-DDDD", "LDDDDDDDDD"]),
}  # fmt: skip
GLUED_FORMS = [("MRN{v}", "MRN"), ("MRN#{v}", "MRN"), ("ref:MRN{v}/ED", "MRN"), ("[MRN{v}]", "MRN"),
               ("MRN{v}-v2", "MRN"), ("chartno{v}", "MRN"), ("ptMRN={v}", "MRN"), ("SSN{v}", "SSN"),
               ("acct{v}", "ACCOUNT"), ("acctno.{v}", "ACCOUNT"), ("policy#{v}", "HEALTH_PLAN")]  # fmt: skip
ZIP_CUES = ["zip code is {v}", "ZIP (home): {v}", "postal code on file {v}", "zipcode per registration form {v}",
            "zip of residence - {v}", "mailing ZIP, confirmed today, {v}", "Zip/Postal: {v}", "home zip {v}",
            "zip code where she lives is {v}"]  # fmt: skip
UNICODE_CUES = {"SSN": ["SS#", "social security", "SSN on intake", "soc sec no.", "SSN"],
                "PHONE": ["call", "cell", "tel.", "phone", "contact on"],
                "EMAIL": ["e-mail", "email address", "contact via", "mail to"]}  # fmt: skip
PHOTO_CUES = ["photo saved as", "image file", "wound photo uploaded:", "see attached photo", "clinical photograph",
              "picture:", "ID photo on file", "dermatology image"]  # fmt: skip
BIOMETRIC_CUES = ["fingerprint template", "iris scan template id", "voiceprint enrolled as", "palm vein template",
                  "facial recognition template", "retina scan template", "biometric ID"]  # fmt: skip
BODY_PARTS = ["leg", "sacrum", "face", "heel"]
HOSTS = ["kwaabamail", "zhoupost", "tevitanet", "mbelemail", "riverbend-health", "sundaraweb", "lakeshoreclinic",
         "postbox-ua", "oasi-mail"]  # fmt: skip


@dataclass
class Plant:
    """One planted value: what it is (Safe Harbor kind), which failure class, which wording."""

    category: str
    case: str
    form: str
    value: str
    parts: tuple[str, ...] = ()  # pieces any of which surviving is a leak (default: the value)


def obfuscate(value: str, r: random.Random) -> tuple[str, str]:
    """``value`` with format characters, soft hyphens, fullwidth forms or no-break spaces; and how."""
    how = r.choice(["zero-width", "soft hyphen", "fullwidth", "no-break space", "fullwidth + zero-width"])
    text = value
    if "fullwidth" in how:
        text = "".join(FULLWIDTH.get(c, c) for c in text)
    if how == "no-break space":
        seps = [i for i, c in enumerate(text) if c in "- "] if "@" not in value else []
        if seps:
            nb = r.choice(NO_BREAK_SPACES)
            text = "".join(nb if i in seps else c for i, c in enumerate(text))
        else:  # an e-mail: around the @
            text = text.replace("@", r.choice(NO_BREAK_SPACES) + "@", 1)
    if how in ("zero-width", "soft hyphen", "fullwidth + zero-width"):
        chars = ["\u00ad"] if how == "soft hyphen" else FORMAT_CHARS
        for _ in range(r.randint(1, 3)):
            k = r.randint(1, len(text) - 1)
            text = text[:k] + r.choice(chars) + text[k:]
    return text, how


def canonical(text: str) -> str:
    """What a reader sees: NFKC, format characters removed, spaces plain (used to check survival)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(" " if c.isspace() else c for c in text if unicodedata.category(c) != "Cf")


class Ids:
    """Seeded makers of identifier values."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def digits(self, n: int) -> str:
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def pattern(self, fmt: str) -> str:
        r = self.r
        return "".join(r.choice(UPPER) if c == "L" else r.choice("0123456789") if c == "D" else c for c in fmt)

    def syllable_name(self, n: int | None = None) -> str:
        r = self.r
        parts = [r.choice(ONSETS) + r.choice(NUCLEI) + r.choice(CODAS) for _ in range(n or r.randint(2, 3))]
        return "".join(parts).capitalize()

    def given(self) -> str:
        return self.r.choice(GIVEN) if self.r.random() < 0.5 else self.syllable_name()

    def family(self) -> str:
        return self.r.choice(FAMILY) if self.r.random() < 0.5 else self.syllable_name()

    def nickname(self) -> str:
        return self.r.choice(NICKNAMES) if self.r.random() < 0.5 else self.syllable_name(2)

    def ascii_name(self) -> str:
        return self.syllable_name(3)

    def town(self) -> str:
        return self.r.choice(TOWNS)

    def invented_place(self) -> str:
        return self.syllable_name(2) + self.r.choice(PLACE_SUFFIXES)

    def name_cell(self) -> Plant:
        g, f = self.given(), self.family()
        forms = {"Given Family": (f"{g} {f}", (g, f)), "FAMILY, Given": (f"{f.upper()}, {g}", (f.upper(), g)),
                 "GIVEN FAMILY": (f"{g} {f}".upper(), (g.upper(), f.upper())), "Family, Given": (f"{f}, {g}", (f, g)),
                 "Given M. Family": (f"{g} {self.r.choice(UPPER)}. {f}", (g, f))}  # fmt: skip
        form = self.r.choice(sorted(forms))
        value, parts = forms[form]
        return Plant("NAME", "name_column", form, value, parts)

    def _phone(self, area: str, exchange: str, line: str) -> tuple[str, str]:
        fmt = self.r.choice(PHONE_FORMATS)
        return fmt.format(a=area, b=exchange, c=line, x=self.digits(3)), fmt

    def phone_unassigned(self) -> Plant:
        """A number the North American plan rejects: N11 or 0/1-leading codes, N9X areas, 555 lines."""
        r = self.r
        kind = r.choice(["N11 area", "N11 exchange", "555 exchange", "area 0/1", "exchange 0/1", "N9X area"])
        area = f"{r.randint(2, 9)}{r.randint(0, 8)}{r.randint(0, 9)}"
        if area[1:] == "11":
            area = area[0] + "12"
        exchange = f"{r.randint(2, 9)}{r.randint(0, 9)}{r.randint(2, 9)}"
        line = self.digits(4)
        if kind == "N11 area":
            area = f"{r.randint(2, 9)}11"
        elif kind == "N11 exchange":
            exchange = f"{r.randint(2, 9)}11"
        elif kind == "555 exchange":
            exchange, line = "555", (f"01{self.digits(2)}" if r.random() < 0.5 else line)
        elif kind == "area 0/1":
            area = f"{r.randint(0, 1)}{self.digits(2)}"
        elif kind == "exchange 0/1":
            exchange = f"{r.randint(0, 1)}{self.digits(2)}"
        else:
            area = f"{r.randint(2, 9)}9{r.randint(0, 9)}"
        value, fmt = self._phone(area, exchange, line)
        return Plant("PHONE", "phone_nanp_invalid", f"{kind} / {fmt}", value)

    def phone_international(self) -> Plant:
        fmt = self.r.choice(INTERNATIONAL)
        value = "".join(self.r.choice("0123456789") if c == "#" else c for c in fmt)
        return Plant("PHONE", "phone_international", fmt, value)

    def phone_valid(self) -> str:
        r = self.r
        area = f"{r.randint(2, 9)}{r.randint(0, 8)}{r.randint(2, 9)}"
        exchange = f"{r.randint(2, 9)}{r.randint(2, 9)}{r.randint(2, 9)}"
        return self._phone(area, exchange if exchange != "555" else "556", self.digits(4))[0]

    def ssn(self) -> str:
        area = self.r.choice([a for a in range(1, 900) if a != 666])
        return f"{area:03d}-{self.r.randint(1, 99):02d}-{self.r.randint(1, 9999):04d}"

    def email_parts(self) -> tuple[str, str, str]:
        r = self.r
        g, f = self.syllable_name().lower(), self.syllable_name().lower()
        local = r.choice([f"{g}.{f}", f"{g[0]}{f}{r.randint(1, 99)}", f"{g}_{f[:3]}", f"{f}{r.randint(1950, 2005)}"])
        return local, r.choice(HOSTS), r.choice(["org", "com", "net", "co.uk", "edu"])

    def unicode_value(self, category: str | None = None) -> Plant:
        cat = category or self.r.choice(["SSN", "PHONE", "EMAIL"])
        parts: tuple[str, ...] = ()
        if cat == "SSN":
            plain = self.ssn()
        elif cat == "PHONE":
            plain = self.phone_valid()
        else:
            local, host, tld = self.email_parts()
            plain, parts = f"{local}@{host}.{tld}", (local,)
        value, how = obfuscate(plain, self.r)
        return Plant(cat, "unicode", how, value, parts or (plain,))

    def labelled_id(self, category: str, case: str = "labelled_id_letters") -> Plant:
        fmt = self.r.choice(ID_KINDS[category][1])
        return Plant(category, case, fmt, self.pattern(fmt))

    def photo(self) -> Plant:
        r = self.r
        ymd = f"{r.randint(2015, 2024)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}"
        forms = {"IMG_date_time.jpg": f"IMG_{ymd}_{self.digits(6)}.jpg", "DSCnnnnn.JPG": f"DSC{self.digits(5)}.JPG",
                 "PXL_date_n.jpg": f"PXL_{ymd}_{self.digits(9)}.jpg",
                 "family_part_mmdd.jpeg": f"{self.family().lower()}_{r.choice(BODY_PARTS)}_{ymd[4:]}.jpeg",
                 "ptnnnn_face.png": f"pt{self.digits(4)}_face.png",
                 "wound_given_n.heic": f"wound_{self.given()}_{r.randint(1, 9)}.heic",
                 "scan_n.tiff": f"scan_{self.digits(6)}.tiff"}  # fmt: skip
        form = r.choice(sorted(forms))
        return Plant("PHOTO", "photo_biometric", form, forms[form])

    def biometric(self) -> Plant:
        hexd = "0123456789ABCDEF"
        h = lambda n: "".join(self.r.choice(hexd) for _ in range(n))  # noqa: E731
        forms = {"FP-hhhh-hhhh": f"FP-{h(4)}-{h(4)}", "IRIS-nnnnnnnn": f"IRIS-{self.digits(8)}",
                 "VP-nnnnn-L": f"VP-{self.digits(5)}-{self.r.choice(UPPER)}",
                 "BIO-TPL-xxxxx": f"BIO-TPL-{self.pattern('LDLDL')}", "PVnnnnnnn": f"PV{self.digits(7)}",
                 "FACE-hhhhhh": f"FACE-{h(6)}", "RT_nnnnn": f"RT_{self.digits(5)}"}  # fmt: skip
        form = self.r.choice(sorted(forms))
        return Plant("BIOMETRIC", "photo_biometric", form, forms[form])
