"""Labelled synthetic corpus for the PHI scanner: identifier columns, free-text notes, clean columns.

Every PHI value is placed by construction, so the expected findings are known exactly:
``labels`` holds one ``(row, column, category)`` per identifier written. Clean clinical columns
(ICD-10, LOINC, lab values, vitals, record ids, dosages) must produce no finding at all.

    python bench/phi_corpus.py --rows 2000 --out /tmp/corpus.csv   # writes corpus.csv + corpus.labels.jsonl
    python bench/phi_corpus.py --names --rows 2000 --out /tmp/names.csv  # + name/address/age columns, notes

``--names`` (issue 10) adds name, address, city and age columns, a column of names that no pattern
matches (``pt_alias``, names outside the dictionaries), and notes that mention patients, clinicians
and relatives with and without context words, plus hard negatives (drug names, eponyms, clinical
place names, month names used as words) that must not be flagged. The default corpus is unchanged,
so throughput figures stay comparable with issue 4's.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.phi.validators import luhn, vin_check_digit

IDENTIFIER_COLUMNS = {
    "mrn": "MRN", "ssn": "SSN", "phone": "PHONE", "email": "EMAIL", "dob": "DATE", "zip": "ZIP",
    "ip_address": "IP", "card_number": "CREDIT_CARD", "vin": "VIN", "member_id": "HEALTH_PLAN",
    "account_no": "ACCOUNT", "device_serial": "DEVICE", "website": "URL",
}  # fmt: skip
CLEAN_COLUMNS = ("record_id", "icd10", "loinc", "lab_value", "bp", "pain", "dosage", "visit_year")
COLUMNS = ("record_id", *IDENTIFIER_COLUMNS, "address", *CLEAN_COLUMNS[1:], "note")
STATES = ["MA", "NY", "CA", "TX", "IL", "WA", "FL", "OH", "GA", "PA"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WORDS = (  # noqa: SIM905
    "patient seen today for follow up of type two diabetes and hypertension reports good adherence "
    "to medication no new complaints denies chest pain shortness of breath plan continue current "
    "regimen recheck labs in three months counselled on diet exercise and foot care"
).split()
ICD10 = ["E11.9", "I10", "J45.909", "E78.5", "N18.3", "F32.9", "K21.9", "M54.5", "Z79.4", "E66.9"]
LOINC = ["2345-7", "4548-4", "2093-3", "2571-8", "718-7", "6690-2", "777-3", "2160-0", "14682-9"]
DOSES = ["500 mg", "10 mg daily", "0.5 mg/kg", "1-2 tablets", "20 units", "81 mg", "5 mL bid"]


class Gen:
    """Valid values of every category from one seeded RNG (fast: no Faker in the hot loop)."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        try:
            from faker import Faker

            fake = Faker("en_US")
            fake.seed_instance(seed)
            self.streets = [fake.street_address().replace(",", "") for _ in range(300)]
            self.cities = [fake.city() for _ in range(300)]
            self.users = [fake.user_name() for _ in range(300)]
        except ImportError:  # Faker is a dev dependency; fall back to fixed pools
            self.streets = [f"{n} Main St" for n in range(1, 300)]
            self.cities = ["Springfield", "Riverside", "Fairview", "Franklin"]
            self.users = [f"user{n}" for n in range(300)]

    def digits(self, n: int) -> str:
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def ssn(self) -> str:
        area = self.r.choice([a for a in range(1, 900) if a != 666][:: self.r.randint(1, 3)])
        return f"{area:03d}-{self.r.randint(1, 99):02d}-{self.r.randint(1, 9999):04d}"

    def phone(self) -> str:
        def code() -> str:
            while True:
                c = f"{self.r.randint(2, 9)}{self.r.randint(0, 8)}{self.r.randint(0, 9)}"
                if c[1:] != "11":
                    return c

        a, b, c = code(), code(), self.digits(4)
        return self.r.choice([f"{a}-{b}-{c}", f"({a}) {b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}"])

    def email(self) -> str:
        dom = self.r.choice(["example.org", "mail.example.com", "clinic.example.net"])
        return f"{self.r.choice(self.users)}{self.r.randint(1, 999)}@{dom}"

    def date(self) -> str:
        y, m, d = self.r.randint(1930, 2023), self.r.randint(1, 12), self.r.randint(1, 28)
        return self.r.choice(
            [f"{y}-{m:02d}-{d:02d}", f"{m}/{d}/{y}", f"{m:02d}/{d:02d}/{y}", f"{MONTHS[m - 1]} {d}, {y}"]
        )

    def zip(self) -> str:
        return f"{self.r.randint(1001, 99950):05d}"

    def ip(self) -> str:
        if self.r.random() < 0.15:
            return f"2001:db8:{self.r.randint(1, 0xFFFF):x}::{self.r.randint(1, 0xFFFF):x}"
        return ".".join(str(self.r.randint(1, 254)) for _ in range(4))

    def card(self) -> str:
        prefix, length = self.r.choice([("4", 16), ("51", 16), ("37", 15), ("6011", 16)])
        body = prefix + self.digits(length - len(prefix) - 1)
        num = next(body + c for c in "0123456789" if luhn(body + c))
        return num if self.r.random() < 0.5 or length != 16 else " ".join(num[i : i + 4] for i in range(0, 16, 4))

    def vin(self) -> str:
        chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
        raw = self.r.choice(["1HG", "JH4", "WBA", "5YJ"]) + "".join(self.r.choice(chars) for _ in range(8))
        raw = raw[:8] + "0" + raw[9:] + self.digits(6)
        return raw[:8] + (vin_check_digit(raw) or "0") + raw[9:]

    def ident(self, prefix: str) -> str:
        return f"{prefix}{self.digits(self.r.randint(6, 9))}"

    def url(self) -> str:
        return f"https://portal.example.org/patients/{self.digits(6)}"

    def clean(self, col: str) -> str:
        r = self.r
        return {
            "record_id": lambda: f"R{self.digits(8)}",
            "icd10": lambda: r.choice(ICD10),
            "loinc": lambda: r.choice(LOINC),
            "lab_value": lambda: f"{r.uniform(0.1, 300):.1f}",
            "bp": lambda: f"{r.randint(90, 180)}/{r.randint(50, 110)}",
            "pain": lambda: f"{r.randint(0, 10)}/10",
            "dosage": lambda: r.choice(DOSES),
            "visit_year": lambda: str(r.randint(1990, 2024)),
        }[col]()


def note(g: Gen, n_words: int) -> tuple[str, list[str]]:
    """Free text with 0-2 labelled or self-evident identifiers; returns the text and their categories."""
    words = [g.r.choice(WORDS) for _ in range(n_words)]
    cats: list[str] = []
    inserts = {
        "PHONE": lambda: f"call back at {g.phone()}",
        "DATE": lambda: f"last seen {g.date()}",
        "MRN": lambda: f"MRN: {g.ident('A')}",
        "EMAIL": lambda: f"emailed {g.email()}",
        "SSN": lambda: f"SSN {g.ssn()} verified",
        "ZIP": lambda: f"lives in {g.r.choice(g.cities)}, {g.r.choice(STATES)} {g.zip()}",
    }
    for cat in g.r.sample(sorted(inserts), g.r.randint(0, 2)):
        words.insert(g.r.randint(0, len(words)), inserts[cat]() + ",")
        cats.append(cat)
    return " ".join(words), cats


def rows(n: int, seed: int = 7, note_words: int = 40) -> Iterator[tuple[list[str], list[tuple[str, str]]]]:
    """``(cells, [(column, category), ...])`` for ``n`` rows."""
    g = Gen(seed)
    makers = {
        "mrn": lambda: g.ident("MRN"), "ssn": g.ssn, "phone": g.phone, "email": g.email, "dob": g.date,
        "zip": g.zip, "ip_address": g.ip, "card_number": g.card, "vin": g.vin,
        "member_id": lambda: g.ident("MBR"), "account_no": lambda: g.ident("AC"),
        "device_serial": lambda: g.ident("SN"), "website": g.url,
    }  # fmt: skip
    for _ in range(n):
        cells: list[str] = []
        labels: list[tuple[str, str]] = []
        for col in COLUMNS:
            if col in IDENTIFIER_COLUMNS:
                cells.append(makers[col]())
                labels.append((col, IDENTIFIER_COLUMNS[col]))
            elif col == "address":
                cells.append(f"{g.r.choice(g.streets)}, {g.r.choice(g.cities)}, {g.r.choice(STATES)} {g.zip()}")
                labels.append((col, "ZIP"))
            elif col == "note":
                text, cats = note(g, note_words)
                cells.append(text)
                labels.extend((col, c) for c in cats)
            else:
                cells.append(g.clean(col))
        yield cells, labels


# --- issue 10: names, addresses, ages ------------------------------------------------------------

NAME_COLUMNS = (
    "record_id",
    "patient_name",
    "first_name",
    "last_name",
    "pt_alias",
    "address",
    "city",
    "age",
    "lab_value",
    "dosage",
    "icd10",
    "note",
)
NAME_CLEAN_COLUMNS = ("record_id", "lab_value", "dosage", "icd10")
# Names outside the Census dictionaries (a column of these is found by its header only).
ALIASES = [
    "Okafor",
    "Adeyemi",
    "Nwosu",
    "Xiong",
    "Oyelaran",
    "Zbigniew",
    "Thandiwe",
    "Kwabena",
    "Eleni",
    "Siobhan",
    "Ngozi",
    "Chiamaka",
    "Oluwaseun",
    "Tariq",
    "Yusuf",
    "Ijeoma",
    "Bongani",
    "Anjali",
]
TITLES = ["Dr.", "Dr", "Mr.", "Mrs.", "Ms.", "Mrs", "Mr"]
RELATIONS = ["mother", "father", "wife", "husband", "daughter", "son", "sister", "brother"]
CLINICIANS_ROLE = ["Attending", "PCP", "Surgeon", "Nurse"]
HARD_NEGATIVES = [
    "started Lasix 40 mg daily",
    "Warfarin held for procedure",
    "history of Parkinson disease",
    "Crohn's disease in remission",
    "Apgar score 9 at five minutes",
    "West Nile virus titer negative",
    "Lyme disease ruled out",
    "may return in March if needed",
    "will follow up in May",
    "Hope this helps",
    "Grace period for refills",
    "Bell palsy resolved",
    "Graves disease on methimazole",
    "Wilson disease screen sent",
    "Down syndrome clinic",
    "Cushing syndrome workup",
    "Hodgkin lymphoma survivor",
    "Glasgow coma scale 15",
    "Babinski sign negative",
    "Addison disease stable",
    "glucose 93 mg/dL",
    "HR 95 bpm",
    "SpO2 97 percent",
    "Coumadin clinic visit",
    "Tylenol 650 mg prn",
    "Mercy Hospital discharge summary",
    "Review Of Systems negative",
    "Patient Education provided",
    "Patient Portal message sent",
    "Chief Complaint chest pain",
]


class NameGen:
    """Names, addresses and ages from Faker's en_US lists (SSA first names, Census surnames)."""

    def __init__(self, g: Gen, seed: int) -> None:
        self.g = g
        try:
            from faker import Faker

            fake = Faker("en_US")
            fake.seed_instance(seed + 1)
            self.first = [fake.first_name() for _ in range(2000)]
            self.last = [fake.last_name() for _ in range(2000)]
        except ImportError:  # pragma: no cover - Faker is a dev dependency
            self.first = ["Maria", "James", "Linda", "Robert", "Susan", "Carlos"]
            self.last = ["Gonzalez", "Smith", "Nguyen", "Johnson", "Patel", "Okafor"]

    def person(self) -> tuple[str, str]:
        return self.g.r.choice(self.first), self.g.r.choice(self.last)

    def street(self) -> str:
        return self.g.r.choice(self.g.streets)

    def age(self) -> int:
        return self.g.r.choice([self.g.r.randint(18, 89), self.g.r.randint(90, 104)])


def name_note(g: Gen, ng: NameGen) -> tuple[str, list[tuple[str, str]]]:
    """A note with 1-3 mentions and one hard negative; returns the text and ``(kind, value)`` per mention.

    Kinds: NAME_CONTEXT (after a title, label or relation word), NAME_FREE (a first name and a
    surname without a context word), ADDRESS, CITY, ZIP, AGE_OVER_89. ``value`` is the PHI text.
    """
    r = g.r
    words = [r.choice(WORDS) for _ in range(12)]
    found: list[tuple[str, str]] = []

    def context_name() -> tuple[str, list[tuple[str, str]]]:
        first, last = ng.person()
        kind = r.randrange(5)
        if kind == 0:
            return f"seen by {r.choice(TITLES)} {last}", [("NAME_CONTEXT", last)]
        if kind == 1:
            return f"{r.choice(TITLES)} {first} {last} reviewed", [("NAME_CONTEXT", f"{first} {last}")]
        if kind == 2:
            return f"Patient: {first} {last}", [("NAME_CONTEXT", f"{first} {last}")]
        if kind == 3:
            return f"{r.choice(RELATIONS)}: {first} {last}", [("NAME_CONTEXT", f"{first} {last}")]
        return f"signed by {first} {last}", [("NAME_CONTEXT", f"{first} {last}")]

    def free_name() -> tuple[str, list[tuple[str, str]]]:
        first, last = ng.person()
        text = r.choice(["{} called", "spoke to the family; {} agrees", "{} was updated"]).format(f"{first} {last}")
        return text, [("NAME_FREE", f"{first} {last}")]

    def street() -> tuple[str, list[tuple[str, str]]]:
        value = ng.street()
        return f"lives at {value}", [("ADDRESS", value)]

    def city_zip() -> tuple[str, list[tuple[str, str]]]:
        city, zip5 = r.choice(g.cities), g.zip()
        return f"moved to {city}, {r.choice(STATES)} {zip5}", [("CITY", city), ("ZIP", zip5)]

    def age() -> tuple[str, list[tuple[str, str]]]:
        n = str(r.randint(90, 104))
        return r.choice([f"age {n}", f"{n}-year-old", f"{n} y/o", f"aged {n}"]), [("AGE_OVER_89", n)]

    inserts = {
        "NAME_CONTEXT": context_name,
        "NAME_FREE": free_name,
        "ADDRESS": street,
        "CITY+ZIP": city_zip,
        "AGE_OVER_89": age,
    }
    for kind in r.sample(sorted(inserts), r.randint(1, 3)):
        text, mentions = inserts[kind]()
        words.insert(r.randint(0, len(words)), text + ".")
        found.extend(mentions)
    words.insert(r.randint(0, len(words)), r.choice(HARD_NEGATIVES) + ".")
    return " ".join(words), found


def name_rows(n: int, seed: int = 7) -> Iterator[tuple[list[str], list[tuple[str, str]]]]:
    """Rows of the issue-10 corpus and their ``(column, category)`` labels."""
    g = Gen(seed)
    ng = NameGen(g, seed)
    for _ in range(n):
        first, last = ng.person()
        city, state, zip5 = g.r.choice(g.cities), g.r.choice(STATES), g.zip()
        age = ng.age()
        text, cats = name_note(g, ng)
        cells = [
            g.clean("record_id"),
            f"{first} {last}",
            first,
            last,
            g.r.choice(ALIASES),
            f"{ng.street()}, {city}, {state} {zip5}",
            city,
            str(age),
            g.clean("lab_value"),
            g.clean("dosage"),
            g.clean("icd10"),
            text,
        ]
        labels = [
            ("patient_name", "NAME"),
            ("first_name", "NAME"),
            ("last_name", "NAME"),
            ("pt_alias", "NAME"),
            ("address", "ADDRESS"),
            ("address", "CITY"),
            ("address", "ZIP"),
            ("city", "CITY"),
        ]
        if age >= 90:
            labels.append(("age", "AGE_OVER_89"))
        labels.extend(("note", kind, value) for kind, value in cats)  # type: ignore[misc]
        yield cells, labels


def write(path: Path, n: int, seed: int = 7, note_words: int = 40, names: bool = False) -> Path:
    """Write ``path`` and ``<stem>.labels.jsonl`` (one JSON object per expected finding)."""
    labels_path = path.with_suffix(".labels.jsonl")
    with path.open("w", newline="") as out, labels_path.open("w") as lab:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(NAME_COLUMNS if names else COLUMNS)
        generated = name_rows(n, seed) if names else rows(n, seed, note_words)
        for i, (cells, labels) in enumerate(generated, start=1):
            w.writerow(cells)
            for label in labels:
                entry: dict[str, object] = {"row": i, "column": label[0], "category": label[1]}
                if len(label) > 2:  # note mentions carry their (synthetic) text so spans can be checked
                    entry["value"] = label[2]
                lab.write(json.dumps(entry) + "\n")
    return labels_path


def dense_block(n: int, seed: int = 11) -> bytes:
    """``n`` CSV rows (no header) as bytes, for the throughput benchmark."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for cells, _ in rows(n, seed, note_words=40):
        w.writerow(cells)
    return buf.getvalue().encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("/tmp/phi_corpus.csv"))
    ap.add_argument("--names", action="store_true", help="the issue-10 corpus (names, addresses, ages)")
    args = ap.parse_args()
    labels = write(args.out, args.rows, args.seed, names=args.names)
    print(f"wrote {args.out} and {labels}")


if __name__ == "__main__":
    main()
