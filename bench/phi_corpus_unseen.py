"""Labelled corpus of PHI in forms the detector was not written from, with hard negatives.

Why: a corpus written next to the rules scores 1.00 and proves nothing about new exports. This
one is written from how clinical exports and notes read: phones the NANP plan rejects and foreign
numbers, Unicode format characters and fullwidth digits, alphanumeric identifiers a few words
after many wordings of their label, identifiers glued to their label, dates written out, short
90+ age forms, names from many languages and random syllables after cues, towns, counties and
invented places, obfuscated e-mails, photo file names and biometric template ids; plus a CSV with
no header row, PHI in a column header and in the file name. Every planted value is labelled
(file, line, row, column, category, case, form, span), so recall can be computed per case.

    python bench/phi_corpus_unseen.py --rows 3000 --out /tmp/unseen     # writes the files + labels.jsonl

Seeded: the same ``--seed`` gives the same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from phi_unseen_ids import (
    BIOMETRIC_CUES,
    GLUED_FORMS,
    ID_KINDS,
    PHOTO_CUES,
    UNICODE_CUES,
    ZIP_CUES,
    Ids,
    Plant,
)  # fmt: skip
from phi_unseen_vocab import (
    COUNTIES,
    DRUGS,
    FILLER,
    GEO_CUES,
    HARD_NEGATIVES,
    ICD10,
    LOINC,
    NAME_CUES,
    ROLES,
    STATES,
    TITLES,
)  # fmt: skip

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]  # fmt: skip
ORDINAL_WORDS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                 "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
                 "eighteenth", "nineteenth", "twentieth", "twenty-first", "twenty-second", "twenty-third",
                 "twenty-fourth", "twenty-fifth", "twenty-sixth", "twenty-seventh", "twenty-eighth"]  # fmt: skip
DATE_CUES = ["seen on", "admitted", "last visit", "surgery scheduled for", "DOB", "born", "discharged on",
             "date of injury", "returns", "fell at home on", "vaccinated", "biopsy taken"]  # fmt: skip
AGE_FORMS = ["{n} y/o", "{n}yo", "{n} y.o.", "{n}-yo", "{n} yrs old", "{n}yr", "{n} YO", "{n}y", "{n}-y/o",
             "{n} yo", "{n}yoF", "{n} y/o M", "{n}yoM", "{n} yr old"]  # fmt: skip
AGE_CONTEXT = ["{a} woman presents with cough", "a {a} gentleman, lives alone", "{a}, independent in ADLs",
               "pt is a {a} with CHF", "{a} admitted from home"]  # fmt: skip
PHONE_CUES = ["call back on", "reachable at", "cell:", "ph.", "Tel", "contact number is", "her mobile",
              "left voicemail at", "pager", "wife's number", "best # is", "fax", "daughter can be reached on",
              "home phone", "alt contact"]  # fmt: skip
EMAIL_OBFUSCATED = ["{l} [at] {h} [dot] {t}", "{l} at {h} dot {t}", "{l}(at){h}(dot){t}", "{l} AT {h} DOT {t}",
                    "{l} @ {h} . {t}", "{l}{{at}}{h}{{dot}}{t}", "{l} [@] {h} [.] {t}", "{l}@{h}[.]{t}"]  # fmt: skip
EMAIL_CUES = ["prefers e-mail", "email is", "write to", "contact by mail:", "portal bounced, use"]
CLEAN_COLUMNS = ("ICD-10", "LOINC", "Result", "BP", "Pain", "GCS", "Medication", "Dose",
                 "Temp C", "SpO2", "Collected at", "Seq")  # fmt: skip


@dataclass
class Label:
    """Where a planted value sits. ``line`` is the 1-based physical line; ``row`` the data row."""

    file: str
    line: int
    row: int
    column: str
    kind: str  # column | note | header | file_name | negative
    category: str
    case: str
    form: str
    value: str
    parts: list[str] = field(default_factory=list)
    start: int = 0  # character span in the cell (or the file name)
    end: int = 0
    byte_start: int = 0  # byte span in the file
    byte_end: int = 0


Sentence = tuple[str, list[tuple[Plant, int]]]


class Gen(Ids):
    """Planted values and note sentences of every case from one seeded RNG."""

    def date(self) -> dt.date:
        return dt.date(self.r.randint(1925, 2024), self.r.randint(1, 12), self.r.randint(1, 28))

    def date_written(self, with_year: bool = True) -> Plant:
        d, r = self.date(), self.r
        mon, month, ordn = MONTHS[d.month - 1][:3], MONTHS[d.month - 1], _ordinal(d.day)
        forms = {
            "d Mon yyyy": f"{d.day} {mon} {d.year}", "dd-Mon-yyyy": f"{d.day:02d}-{mon}-{d.year}",
            "ddMONyyyy": f"{d.day:02d}{mon.upper()}{d.year}",
            "dd-MON-yy": f"{d.day:02d}-{mon.upper()}-{d.year % 100:02d}",
            "Month ordinal, yyyy": f"{month} {ordn}, {d.year}", "ordinal Month yyyy": f"{ordn} {month} {d.year}",
            "the ordinal of Month yyyy": f"the {ordn} of {month} {d.year}",
            "Weekday, d Month yyyy": f"{d.strftime('%A')}, {d.day} {month} {d.year}",
            "Mon. d yyyy": f"{mon}. {d.day} {d.year}", "yyyy-Mon-dd": f"{d.year}-{mon}-{d.day:02d}",
        }  # fmt: skip
        if not with_year:
            forms = {"the ordinal-word of Month": f"the {ORDINAL_WORDS[d.day - 1]} of {month}",
                     "Month the ordinal-word": f"{month} the {ORDINAL_WORDS[d.day - 1]}",
                     "ordinal of Month": f"{ordn} of {month}", "Mon ordinal": f"{mon} {ordn}"}  # fmt: skip
        form = r.choice(sorted(forms))
        return Plant("DATE", "date_written", form, forms[form])

    def age(self) -> Plant:
        form = self.r.choice(AGE_FORMS)
        return Plant("AGE", "age_short", form, form.format(n=self.r.randint(90, 109)))

    def zip_value(self) -> str:
        z = f"{self.r.randint(1001, 99950):05d}"
        return z if self.r.random() < 0.7 else f"{z}-{self.digits(4)}"

    def place(self) -> Plant:
        r = self.r
        kind = r.choice(["town", "town, ST", "county", "invented", "invented, ST", "the town of", "invented county"])
        town = self.town() if "invented" not in kind else self.invented_place()
        if kind in ("town, ST", "invented, ST"):
            value, parts = f"{town}, {r.choice(STATES)}", (town,)
        elif kind == "county":
            value = r.choice(COUNTIES)
            parts = (value.rsplit(" ", 1)[0],)
        elif kind == "invented county":
            base = self.syllable_name(2)
            value, parts = f"{base} County", (base,)
        elif kind == "the town of":
            value, parts = f"the town of {town}", (town,)
        else:
            value, parts = town, (town,)
        return Plant("GEO", "geography", kind, value, parts)

    # --- note sentences: (text, [(plant, start offset in text)]) ---------------------------------

    def s_phone(self) -> Sentence:
        p = self.phone_unassigned() if self.r.random() < 0.7 else self.phone_international()
        return _after(self.r.choice(PHONE_CUES) + " ", p, ".")

    def s_unicode(self) -> Sentence:
        p = self.unicode_value()
        return _after(self.r.choice(UNICODE_CUES[p.category]) + " ", p, ".")

    def s_labelled(self) -> Sentence:
        cat = self.r.choice(sorted(ID_KINDS))
        labels, _ = ID_KINDS[cat]
        gap = self.r.choice([" ", ": ", " is ", " on file is ", " on the card reads ", " (per front desk) ",
                             " noted as ", " recorded as ", " - confirmed - ", ", checked today, ", " # ",
                             " number ", " as given by the daughter "])  # fmt: skip
        p = self.labelled_id(cat)
        return _after(f"{self.r.choice(labels)}{gap}", p, ".")

    def s_zip(self) -> Sentence:
        z = self.zip_value()
        cue = self.r.choice(ZIP_CUES)
        head, tail = cue.split("{v}")
        return _after(head, Plant("ZIP", "zip_after_label", cue, z), tail + ".")

    def s_glued(self) -> Sentence:
        form, cat = self.r.choice(GLUED_FORMS)
        value = self.digits(9) if cat == "SSN" else self.digits(self.r.randint(7, 9))
        head, tail = form.split("{v}")
        return _after(f"see {head}", Plant(cat, "glued", form, value), tail + " for prior imaging.")

    def s_date(self) -> Sentence:
        p = self.date_written(with_year=self.r.random() < 0.6)
        return _after(self.r.choice(DATE_CUES) + " ", p, ".")

    def s_age(self) -> Sentence:
        p = self.age()
        head, tail = self.r.choice(AGE_CONTEXT).split("{a}")
        return _after(head, p, tail + ".")

    def s_name(self) -> Sentence:
        r = self.r
        cue = r.choice(NAME_CUES)
        lead = cue.format(title=r.choice(TITLES), role=r.choice(ROLES))
        given, family = self.given(), self.family()
        parts: tuple[str, ...]
        style = r.choice(["full", "full", "caps", "nickname", "family", "family, given"])
        if "{title}" in cue and style in ("full", "family"):
            value, parts = family, (family,)
        elif style == "caps":
            value, parts = f"{given} {family}".upper(), (given.upper(), family.upper())
        elif style == "nickname":
            nick = self.nickname()
            value, parts = f'{given} "{nick}" {family}', (given, nick, family)
        elif style == "family, given":
            value, parts = f"{family.upper()}, {given}", (family.upper(), given)
        else:
            value, parts = f"{given} {family}", (given, family)
        tail = r.choice([" updated on plan.", " agrees with discharge.", ", questions answered.", " at bedside."])
        return _after(lead.rstrip() + " ", Plant("NAME", "name_cue", f"{cue} / {style}", value, parts), tail)

    def s_geo(self) -> Sentence:
        return _after(self.r.choice(GEO_CUES) + " ", self.place(), ".")

    def s_email(self) -> Sentence:
        p = self.email_obfuscated()
        return _after(self.r.choice(EMAIL_CUES) + " ", p, ".")

    def s_photo(self) -> Sentence:
        if self.r.random() < 0.5:
            return _after(self.r.choice(PHOTO_CUES) + " ", self.photo(), ".")
        return _after(self.r.choice(BIOMETRIC_CUES) + " ", self.biometric(), ".")

    def email_obfuscated(self) -> Plant:
        local, host, tld = self.email_parts()
        form = self.r.choice(EMAIL_OBFUSCATED)
        return Plant("EMAIL", "email_obfuscated", form, form.format(l=local, h=host, t=tld), (local,))

    def note(self) -> tuple[str, list[tuple[Plant, int]]]:
        """A note with 3-5 planted values, 1-2 hard negatives and filler, in random order."""
        r = self.r
        makers: list[Callable[[], Sentence]] = [
            self.s_phone, self.s_unicode, self.s_labelled, self.s_zip, self.s_glued, self.s_date, self.s_age,
            self.s_name, self.s_geo, self.s_email, self.s_photo,
        ]  # fmt: skip
        sentences = [m() for m in r.sample(makers, r.randint(3, 5))]
        for neg in r.sample(HARD_NEGATIVES, r.randint(1, 2)):
            written = neg[0].upper() + neg[1:]
            sentences.append((written + ".", [(Plant("NEGATIVE", "hard_negative", "phrase", written), 0)]))
        sentences += [(f, []) for f in r.sample(FILLER, r.randint(1, 2))]
        r.shuffle(sentences)
        out, plants, pos = [], [], 0
        for text, ps in sentences:
            plants += [(p, pos + off) for p, off in ps]
            out.append(text)
            pos += len(text) + 1
        return " ".join(out), plants

    def clean(self, col: str) -> str:
        r = self.r
        return {
            "record_id": lambda: f"R{self.digits(8)}", "ICD-10": lambda: r.choice(ICD10),
            "LOINC": lambda: r.choice(LOINC), "Result": lambda: f"{r.uniform(0.1, 300):.1f}",
            "BP": lambda: f"{r.randint(90, 180)}/{r.randint(50, 110)}", "Pain": lambda: f"{r.randint(0, 10)}/10",
            "GCS": lambda: r.choice([str(r.randint(3, 15)), "E4V5M6", "E3V4M6"]), "Medication": lambda: r.choice(DRUGS),
            "Dose": lambda: r.choice(["500 mg", "5 mg BID", "0.5 mg/kg", "18 units", "81 mg", "2 puffs q4h"]),
            "Temp C": lambda: f"{r.uniform(35.5, 40.1):.1f}", "SpO2": lambda: f"{r.randint(85, 100)}%",
            "Collected at": lambda: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}",
            "Seq": lambda: str(r.randint(1, 99999)),
        }[col]()  # fmt: skip




def _after(head: str, plant: Plant, tail: str) -> Sentence:
    text = head[0].upper() + head[1:] + plant.value + tail if head else plant.value + tail
    return text, [(plant, len(head))]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --- files -----------------------------------------------------------------------------------------

MAIN_IDENTIFIERS: dict[str, Callable[[Gen], Plant | None]] = {
    "Patient": lambda g: g.name_cell(),
    "Contact Tel": lambda g: (lambda x: g.phone_unassigned() if x < 0.6 else g.phone_international() if x < 0.8
                             else g.unicode_value("PHONE"))(g.r.random()),
    "Soc Sec #": lambda g: g.unicode_value("SSN"),
    "E-mail": lambda g: g.unicode_value("EMAIL") if g.r.random() < 0.5 else g.email_obfuscated(),
    "Insurance No.": lambda g: g.labelled_id("HEALTH_PLAN", "labelled_id_column"),
    "Licence": lambda g: g.labelled_id("LICENSE", "labelled_id_column"),
    "Birth Cert": lambda g: g.labelled_id("CERTIFICATE", "labelled_id_column"),
    "Enrolment Ref": lambda g: g.labelled_id("ENROLMENT", "labelled_id_column"),
    "Implant S/N": lambda g: g.labelled_id("DEVICE", "labelled_id_column"),
    "Billing Acct": lambda g: g.labelled_id("ACCOUNT", "labelled_id_column"),
    "Postal Code": lambda g: Plant("ZIP", "zip_column", "header not zip", g.zip_value()),
    "Birth Date": lambda g: g.date_written(),
    "Age": lambda g: g.age() if g.r.random() < 0.6 else None,
    "Hometown": lambda g: g.place() if g.r.random() < 0.5 else Plant("GEO", "geography", "town", t := g.town(), (t,)),
    "County of residence": lambda g: (lambda b: Plant("GEO", "geography", "county column", f"{b} County", (b,)))(
        g.syllable_name(2) if g.r.random() < 0.5 else g.r.choice(COUNTIES).rsplit(" ", 1)[0]),
    "Photo file": lambda g: g.photo(),
    "Fingerprint template": lambda g: g.biometric(),
}  # fmt: skip
MAIN_HEADER = ["record_id", *MAIN_IDENTIFIERS, *CLEAN_COLUMNS, "Clinical note"]
HEADERLESS: dict[str, Callable[[Gen], Plant]] = {
    "name": lambda g: Plant("NAME", "headerless", "full", f"{(a := g.given())} {(b := g.family())}", (a, b)),
    "phone": lambda g: Plant("PHONE", "headerless", "valid NANP", g.phone_valid()),
    "ssn": lambda g: Plant("SSN", "headerless", "ddd-dd-dddd", g.ssn()),
    "email": lambda g: Plant("EMAIL", "headerless", "plain", "{}@{}.{}".format(*g.email_parts())),
    "dob": lambda g: Plant("DATE", "headerless", "iso", g.date().isoformat()),
}


def csv_cell(value: str) -> str:
    """The cell as Python's csv writer (QUOTE_MINIMAL, comma) writes it."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


class Writer:
    """Writes CSV lines and the byte spans of labelled values."""

    def __init__(self, path: Path) -> None:
        self.path, self.name = path, path.name
        self.lines: list[bytes] = []
        self.size = 0
        self.labels: list[Label] = []

    def row(self, cells: list[str], marks: dict[int, list[tuple[Plant, int, str]]], row: int) -> None:
        line_no, out, pos = len(self.lines) + 1, "", self.size
        for i, cell in enumerate(cells):
            prefix = out + ("," if i else "")
            written = csv_cell(cell)
            quoted = written != cell
            for plant, start, kind in marks.get(i, []):
                inner = cell[:start].replace('"', '""')
                value = plant.value.replace('"', '""')
                b0 = pos + len((prefix + ('"' if quoted else "") + inner).encode())
                self.labels.append(Label(
                    self.name, line_no, row, cells_header(self, i), kind, plant.category, plant.case, plant.form,
                    plant.value, list(plant.parts or (plant.value,)), start, start + len(plant.value),
                    b0, b0 + len(value.encode())))  # fmt: skip
            out = prefix + written
        data = (out + "\n").encode()
        self.lines.append(data)
        self.size += len(data)

    def save(self) -> None:
        self.path.write_bytes(b"".join(self.lines))


def cells_header(w: Writer, i: int) -> str:
    header = getattr(w, "header", None)
    return header[i] if header else f"column {i + 1}"


def write_main(g: Gen, path: Path, rows: int) -> Writer:
    w = Writer(path)
    w.header = MAIN_HEADER  # type: ignore[attr-defined]
    w.row(MAIN_HEADER, {}, 0)
    for n in range(1, rows + 1):
        cells, marks = [], {}
        for i, col in enumerate(MAIN_HEADER):
            if col in MAIN_IDENTIFIERS:
                plant = MAIN_IDENTIFIERS[col](g)
                cells.append(plant.value if plant else str(g.r.randint(18, 89)))
                if plant:
                    marks[i] = [(plant, 0, "column")]
            elif col == "Clinical note":
                text, plants = g.note()
                cells.append(text)
                marks[i] = [(p, off, "negative" if p.category == "NEGATIVE" else "note") for p, off in plants]
            else:
                cells.append(g.clean(col))
        w.row(cells, marks, n)
    return w


def write_headerless(g: Gen, path: Path, rows: int) -> Writer:
    w = Writer(path)
    for n in range(1, rows + 1):
        plants = [make(g) for make in HEADERLESS.values()]
        clean = [g.clean(c) for c in ("ICD-10", "BP", "Result", "Medication")]
        note, notes = g.note()
        cells = [p.value for p in plants] + clean + [note]
        marks = {i: [(p, 0, "column")] for i, p in enumerate(plants)}
        marks[len(cells) - 1] = [(p, off, "negative" if p.category == "NEGATIVE" else "note") for p, off in notes]
        w.row(cells, marks, n)
    return w


def write_header_phi(g: Gen, path: Path, rows: int) -> Writer:
    """PHI in column headers: a name, an SSN with a label word, an e-mail address."""
    given, family, ssn = g.given(), g.family(), g.ssn()
    local, host, tld = g.email_parts()
    heads = [
        ("record_id", None),
        (f"{given} {family}", Plant("NAME", "header_phi", "name header", f"{given} {family}", (given, family))),
        (f"SSN {ssn}", Plant("SSN", "header_phi", "ssn header", ssn)), ("Result", None),
        (f"{local}@{host}.{tld}", Plant("EMAIL", "header_phi", "email header", f"{local}@{host}.{tld}", (local,))),
    ]  # fmt: skip
    w = Writer(path)
    header = [h for h, _ in heads]
    w.header = header  # type: ignore[attr-defined]
    w.row(header, {i: [(p, header[i].index(p.value), "header")] for i, (_, p) in enumerate(heads) if p}, 0)
    for n in range(1, rows + 1):
        w.row([g.clean("record_id"), g.clean("Result"), g.clean("Seq"), g.clean("Result"), g.clean("BP")], {}, n)
    return w


def write_file_name_phi(g: Gen, out: Path, rows: int) -> Writer:
    """An export named after its patient: ``Family_Given_SSN.csv`` with clean content."""
    given, family, ssn = g.ascii_name(), g.ascii_name(), g.ssn()
    name = f"{family}_{given}_{ssn}.csv"
    w = Writer(out / name)
    w.header = ["record_id", "Result", "BP"]  # type: ignore[attr-defined]
    w.row(w.header, {}, 0)  # type: ignore[attr-defined]
    for n in range(1, rows + 1):
        w.row([g.clean("record_id"), g.clean("Result"), g.clean("BP")], {}, n)
    w.labels.append(Label(name, 0, 0, "", "file_name", "NAME", "file_name_phi", "Family_Given_SSN.csv", name,
                          [family, given, ssn], 0, len(name)))  # fmt: skip
    return w


def write(out: Path, rows: int = 3000, seed: int = 17) -> dict[str, Any]:
    """Write every corpus file under ``out`` and ``labels.jsonl``; returns the corpus description."""
    out.mkdir(parents=True, exist_ok=True)
    g = Gen(seed)
    writers = [
        write_main(g, out / "unseen.csv", rows),
        write_headerless(g, out / "unseen_headerless.csv", max(50, rows // 10)),
        write_header_phi(g, out / "unseen_header.csv", 40),
        write_file_name_phi(g, out, 40),
    ]
    with (out / "labels.jsonl").open("w", encoding="utf-8") as fh:
        for w in writers:
            w.save()
            for label in w.labels:
                fh.write(json.dumps(asdict(label), ensure_ascii=False) + "\n")
    desc: dict[str, Any] = {
        "seed": seed, "rows": rows, "files": [w.name for w in writers], "clean_columns": list(CLEAN_COLUMNS),
        "labels": sum(len(w.labels) for w in writers),
    }  # fmt: skip
    (out / "corpus.json").write_text(json.dumps(desc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return desc


def load_labels(out: Path) -> list[Label]:
    return [Label(**json.loads(line)) for line in (out / "labels.jsonl").read_text(encoding="utf-8").splitlines()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--out", type=Path, default=Path("/tmp/phi_unseen"))
    args = ap.parse_args()
    desc = write(args.out, args.rows, args.seed)
    print(f"wrote {', '.join(map(str, desc['files']))} and labels.jsonl ({desc['labels']} labels) in {args.out}")


if __name__ == "__main__":
    main()
