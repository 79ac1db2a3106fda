"""Hypothesis strategies for PHI in forms the detector was not written from, and a DEMO run.

Values are drawn from random letters and digits and from the hand-written word lists of the
unseen-forms corpus (bench/phi_unseen_vocab.py, bench/phi_unseen_ids.py), never from the
detector's registry or dictionaries. Each strategy yields an :class:`Item`: the planted value, the
pieces any of which left in the output is a leak, a note sentence holding it, and, for cases that
have one, a column header it could stand under.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from engine.orchestrate import run_manifest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from phi_corpus_unseen import (  # noqa: E402
    AGE_CONTEXT,
    AGE_FORMS,
    DATE_CUES,
    EMAIL_CUES,
    EMAIL_OBFUSCATED,
    MONTHS,
    ORDINAL_WORDS,
    PHONE_CUES,
    _ordinal,
)
from phi_unseen_ids import (  # noqa: E402
    BIOMETRIC_CUES,
    FORMAT_CHARS,
    FULLWIDTH,
    GLUED_FORMS,
    ID_KINDS,
    INTERNATIONAL,
    NO_BREAK_SPACES,
    PHONE_FORMATS,
    PHOTO_CUES,
    UNICODE_CUES,
    ZIP_CUES,
)
from phi_unseen_vocab import (  # noqa: E402
    CODAS,
    COUNTIES,
    FAMILY,
    GEO_CUES,
    GIVEN,
    HARD_NEGATIVES,
    NAME_CUES,
    NICKNAMES,
    NUCLEI,
    ONSETS,
    PLACE_SUFFIXES,
    ROLES,
    STATES,
    TITLES,
    TOWNS,
)


@dataclass(frozen=True)
class Item:
    """One planted value and where it can stand."""

    category: str
    value: str
    parts: tuple[str, ...]
    sentence: str  # a note sentence holding ``value``
    headers: tuple[str, ...] = ()  # column headers the bare value could stand under (none: notes only)


def digits(n: int, m: int | None = None) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=m or n)


def _pattern(fmt: str) -> st.SearchStrategy[str]:
    parts = [st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ") if c == "L" else digits(1) if c == "D" else st.just(c)
             for c in fmt]  # fmt: skip
    return st.tuples(*parts).map("".join)


syllable = st.builds(lambda o, n, c: o + n + c, st.sampled_from(ONSETS), st.sampled_from(NUCLEI),
                     st.sampled_from(CODAS))  # fmt: skip
made_up_name = st.lists(syllable, min_size=2, max_size=3).map(lambda s: "".join(s).capitalize())
given_name = st.one_of(st.sampled_from(GIVEN), made_up_name)
family_name = st.one_of(st.sampled_from(FAMILY), made_up_name)


@st.composite
def names(draw: st.DrawFn) -> Item:
    given, family = draw(given_name), draw(family_name)
    parts: tuple[str, ...]
    style = draw(st.sampled_from(["full", "caps", "nickname", "family, given"]))
    if style == "caps":
        value, parts = f"{given} {family}".upper(), (given.upper(), family.upper())
    elif style == "nickname":
        nick = draw(st.one_of(st.sampled_from(NICKNAMES), made_up_name))
        value, parts = f'{given} "{nick}" {family}', (given, nick, family)
    elif style == "family, given":
        value, parts = f"{family.upper()}, {given}", (family.upper(), given)
    else:
        value, parts = f"{given} {family}", (given, family)
    title, role = draw(st.sampled_from(TITLES)), draw(st.sampled_from(ROLES))
    cue = draw(st.sampled_from(NAME_CUES)).format(title=title, role=role)
    sentence = f"{cue.rstrip()} {value} {draw(st.sampled_from(['updated.', 'agrees with plan.', 'at bedside.']))}"
    return Item("NAME", value, parts, sentence[0].upper() + sentence[1:],
                ("Patient", "Resident", "Full name", "Client", "Participant"))  # fmt: skip


@st.composite
def unassigned_phones(draw: st.DrawFn) -> Item:
    """Numbers the North American plan rejects: N11 or 0/1-leading codes, N9X areas, 555 lines."""
    kind = draw(st.sampled_from(["N11 area", "N11 exchange", "555", "area 0/1", "exchange 0/1", "N9X area"]))
    area = draw(st.sampled_from("23456789")) + draw(st.sampled_from("02345678")) + draw(digits(1))
    exchange = draw(st.sampled_from("23456789")) + draw(digits(1)) + draw(st.sampled_from("23456789"))
    line = draw(digits(4))
    lead = draw(st.sampled_from("23456789"))
    if kind == "N11 area":
        area = lead + "11"
    elif kind == "N11 exchange":
        exchange = lead + "11"
    elif kind == "555":
        exchange = "555"
    elif kind == "area 0/1":
        area = draw(st.sampled_from("01")) + draw(digits(2))
    elif kind == "exchange 0/1":
        exchange = draw(st.sampled_from("01")) + draw(digits(2))
    else:
        area = lead + "9" + draw(digits(1))
    value = draw(st.sampled_from(PHONE_FORMATS)).format(a=area, b=exchange, c=line, x=draw(digits(2, 4)))
    return _phone_item(draw, value)


@st.composite
def international_phones(draw: st.DrawFn) -> Item:
    fmt = draw(st.sampled_from(INTERNATIONAL))
    value = "".join(draw(digits(1)) if c == "#" else c for c in fmt)
    return _phone_item(draw, value)


def _phone_item(draw: st.DrawFn, value: str) -> Item:
    cue = draw(st.sampled_from(PHONE_CUES))
    return Item("PHONE", value, (value,), f"{cue[0].upper()}{cue[1:]} {value}.",
                ("Contact Tel", "Mobile", "Phone (home)", "Tel.", "Daytime number"))  # fmt: skip


@st.composite
def obfuscated(draw: st.DrawFn, plain: str) -> str:
    """``plain`` with format characters, soft hyphens, fullwidth forms or no-break spaces drawn in."""
    text = plain
    if draw(st.booleans()):
        text = "".join(FULLWIDTH.get(c, c) for c in text)
    if draw(st.booleans()):
        nb = draw(st.sampled_from(NO_BREAK_SPACES))
        if "@" in plain:  # pasted e-mails get a no-break space next to the @
            text = text.replace("@", nb + "@", 1) if draw(st.booleans()) else text.replace("@", "@" + nb, 1)
        else:
            text = "".join(nb if c in "- " else c for c in text)
    inserts = draw(st.lists(st.tuples(st.integers(1, len(text) - 1), st.sampled_from(FORMAT_CHARS)),
                            min_size=0 if text != plain else 1, max_size=3))  # fmt: skip
    for pos, ch in sorted(inserts, reverse=True):
        text = text[:pos] + ch + text[pos:]
    return text


ssn_plain = st.builds(lambda a, g, s: f"{a:03d}-{g:02d}-{s:04d}", st.integers(1, 899).filter(lambda a: a != 666),
                      st.integers(1, 99), st.integers(1, 9999))  # fmt: skip
phone_plain = st.builds(lambda a, b, c: f"({a}) {b}-{c}", st.integers(201, 989).filter(lambda n: str(n)[1:] != "11"),
                        st.integers(202, 989).filter(lambda n: str(n)[1:] != "11" and n != 555), digits(4))  # fmt: skip
email_local = st.from_regex(r"[a-z]{3,8}[._]?[a-z]{2,8}[0-9]{0,3}", fullmatch=True)
email_host = st.from_regex(r"[a-z]{4,10}(-[a-z]{2,5})?", fullmatch=True)
tld = st.sampled_from(["org", "com", "net", "edu", "co.uk"])


@st.composite
def unicode_values(draw: st.DrawFn, category: str) -> Item:
    parts: tuple[str, ...]
    headers: tuple[str, ...]
    if category == "SSN":
        plain = draw(ssn_plain)
        parts, headers = (plain,), ("Soc Sec #", "Social security no", "SSN")
    elif category == "PHONE":
        plain = draw(phone_plain)
        parts, headers = (plain,), ("Contact Tel", "Mobile")
    else:
        local = draw(email_local)
        plain, parts, headers = f"{local}@{draw(email_host)}.{draw(tld)}", (local,), ("E-mail", "Contact email")
    value = draw(obfuscated(plain))
    cue = draw(st.sampled_from(UNICODE_CUES[category]))
    return Item(category, value, parts, f"{cue} {value}.", headers)


ID_HEADERS = {"HEALTH_PLAN": ("Insurance No.", "Payer ID"), "LICENSE": ("Licence", "Driver lic"),
              "CERTIFICATE": ("Birth Cert", "Certificate"), "ENROLMENT": ("Enrolment Ref", "Registration"),
              "DEVICE": ("Implant S/N", "Pump serial"), "ACCOUNT": ("Billing Acct", "Guarantor acct")}  # fmt: skip


@st.composite
def labelled_ids(draw: st.DrawFn) -> Item:
    category = draw(st.sampled_from(sorted(ID_KINDS)))
    labels, formats = ID_KINDS[category]
    value = draw(st.sampled_from(formats).flatmap(_pattern))
    gap = draw(st.sampled_from([" ", ": ", " is ", " on file is ", " (per front desk) ", " recorded as ", " # ",
                                ", checked today, ", " number "]))  # fmt: skip
    headers = ID_HEADERS[category]
    return Item(category, value, (value,), f"{draw(st.sampled_from(labels))}{gap}{value}.", headers)


@st.composite
def zips_after_label(draw: st.DrawFn) -> Item:
    value = draw(digits(5)) + draw(st.one_of(st.just(""), digits(4).map(lambda d: "-" + d)))
    cue = draw(st.sampled_from(ZIP_CUES))
    return Item("ZIP", value, (value,), cue.format(v=value) + ".", ("Postal Code", "Post code", "Home postcode"))


@st.composite
def glued_ids(draw: st.DrawFn) -> Item:
    form, category = draw(st.sampled_from(GLUED_FORMS))
    value = draw(digits(9) if category == "SSN" else digits(7, 9))
    return Item(category, value, (value,), f"See {form.format(v=value)} for prior imaging.")


@st.composite
def written_dates(draw: st.DrawFn) -> Item:
    d = draw(st.dates(dt.date(1920, 1, 1), dt.date(2030, 12, 28)))
    month, mon = MONTHS[d.month - 1], MONTHS[d.month - 1][:3]
    forms = [f"{d.day} {mon} {d.year}", f"{d.day:02d}-{mon}-{d.year}", f"{d.day:02d}{mon.upper()}{d.year}",
             f"{month} {_ordinal(d.day)}, {d.year}", f"the {_ordinal(d.day)} of {month} {d.year}",
             f"{d.strftime('%A')}, {d.day} {month} {d.year}", f"{mon}. {d.day} {d.year}"]  # fmt: skip
    if d.day <= len(ORDINAL_WORDS):
        forms += [f"the {ORDINAL_WORDS[d.day - 1]} of {month}", f"{month} the {ORDINAL_WORDS[d.day - 1]}"]
    value = draw(st.sampled_from(forms))
    headers = ("Birth Date", "Date of birth") if str(d.year) in value else ()
    return Item("DATE", value, (value,), f"{draw(st.sampled_from(DATE_CUES)).capitalize()} {value}.", headers)


@st.composite
def short_ages(draw: st.DrawFn) -> Item:
    value = draw(st.sampled_from(AGE_FORMS)).format(n=draw(st.integers(90, 115)))
    return Item("AGE", value, (value,), draw(st.sampled_from(AGE_CONTEXT)).format(a=value) + ".", ("Age", "Pt age"))


@st.composite
def places(draw: st.DrawFn) -> Item:
    made_up = st.builds(str.__add__, made_up_name, st.sampled_from(PLACE_SUFFIXES))
    town = draw(st.one_of(st.sampled_from(TOWNS), made_up))
    kind = draw(st.sampled_from(["town", "town, ST", "county", "made-up county", "the town of"]))
    if kind == "town, ST":
        value, parts = f"{town}, {draw(st.sampled_from(STATES))}", (town,)
    elif kind == "county":
        value = draw(st.sampled_from(COUNTIES))
        parts = (value.rsplit(" ", 1)[0],)
    elif kind == "made-up county":
        base = draw(made_up_name)
        value, parts = f"{base} County", (base,)
    elif kind == "the town of":
        value, parts = f"the town of {town}", (town,)
    else:
        value, parts = town, (town,)
    cue = draw(st.sampled_from(GEO_CUES))
    return Item("GEO", value, parts, f"{cue.capitalize()} {value}.", ("Hometown", "County of residence", "Town"))


@st.composite
def obfuscated_emails(draw: st.DrawFn) -> Item:
    local = draw(email_local)
    value = draw(st.sampled_from(EMAIL_OBFUSCATED)).format(l=local, h=draw(email_host), t=draw(tld))
    return Item("EMAIL", value, (value, local), f"{draw(st.sampled_from(EMAIL_CUES)).capitalize()} {value}.",
                ("E-mail", "Contact email"))  # fmt: skip


@st.composite
def photos_and_templates(draw: st.DrawFn) -> Item:
    if draw(st.booleans()):
        stem = draw(st.sampled_from(["IMG_{d8}_{d6}", "DSC{d5}", "PXL_{d8}_{d6}", "{name}_wound_{d4}", "pt{d4}_face",
                                     "scan_{d6}", "{name}{d4}_photo"]))  # fmt: skip
        value = stem.format(d8=draw(digits(8)), d6=draw(digits(6)), d5=draw(digits(5)), d4=draw(digits(4)),
                            name=draw(made_up_name).lower()) + draw(st.sampled_from([".jpg", ".JPG", ".jpeg", ".png",
                                                                                     ".heic", ".tiff"]))  # fmt: skip
        cue, category, headers = draw(st.sampled_from(PHOTO_CUES)), "PHOTO", ("Photo file", "Image")
    else:
        value = draw(st.sampled_from(["FP-LDDL-DDLD", "IRIS-DDDDDDDD", "VP-DDDDD-L", "BIO-TPL-LDLDL", "PVDDDDDDD",
                                      "FACE-DLDLDD"]).flatmap(_pattern))  # fmt: skip
        cue, category, headers = draw(st.sampled_from(BIOMETRIC_CUES)), "BIOMETRIC", ("Fingerprint template", "Iris ID")
    return Item(category, value, (value,), f"{cue[0].upper()}{cue[1:]} {value}.", headers)


CASES: dict[str, st.SearchStrategy[Item]] = {
    "name_cue": names(),
    "phone_nanp_invalid": unassigned_phones(),
    "phone_international": international_phones(),
    "unicode_ssn": unicode_values("SSN"),
    "unicode_phone": unicode_values("PHONE"),
    "unicode_email": unicode_values("EMAIL"),
    "labelled_id_letters": labelled_ids(),
    "zip_after_label": zips_after_label(),
    "glued": glued_ids(),
    "date_written": written_dates(),
    "age_short": short_ages(),
    "geography": places(),
    "email_obfuscated": obfuscated_emails(),
    "photo_biometric": photos_and_templates(),
}
hard_negatives = st.lists(st.sampled_from(HARD_NEGATIVES), min_size=1, max_size=3, unique=True)


# Each example is one pipeline run: few examples of many rows each, and no shrinking (a failure
# reports every value left, which says more than one shrunk value).
RUNS = settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip


def deidentify(header: list[str], rows: list[list[str]]) -> list[list[str]]:
    """The DEMO pipeline's de-identified copy of a CSV with ``header`` and ``rows`` (header first)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "export.csv"
        with src.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows([header, *rows])
        report = run_manifest(ROOT / "manifests/demo.yaml", inputs={"dataset": str(src)}, out_dir=Path(tmp) / "run")
        assert report.status == "completed", [s.status for s in report.steps]
        copy = Path(tmp) / "run" / "deidentified" / "dataset.csv"
        with copy.open(newline="", encoding="utf-8") as fh:
            return list(csv.reader(fh))


ENGINES = ("auto", "re")


def scan_cli(path: Path, engine: str, key: str, *extra: str) -> list[dict]:
    """The findings of ``rflow phi scan --format json`` (a subprocess) on one regex path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFLOW_PHI")}
    env.update(PYTHONPATH=str(ROOT), RFLOW_PHI_KEY=key, RFLOW_PHI_REGEX=engine)
    r = subprocess.run(
        [sys.executable, "-m", "engine", "phi", "scan", str(path), "--format", "json", *extra],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["findings"]


def scan_cli_both(path: Path, key: str, *extra: str) -> list[dict]:
    """The findings, checked identical on the native core and on ``re``."""
    native, python = (scan_cli(path, engine, key, *extra) for engine in ENGINES)
    assert native == python
    return native
