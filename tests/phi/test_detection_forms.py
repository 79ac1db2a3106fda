"""Property tests per category: forms real exports use, generated without looking at the patterns.

Values are random letters and digits; cue phrases are drawn from how people write them (case,
punctuation, a few words between cue and value) and combined at random. Hard negatives (pain
scores, blood pressure, codes, lab values, doses, bare record numbers) must stay unflagged.
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi import find_spans, sanitize, scan_file

FAST = settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _case(draw: st.DrawFn, text: str) -> str:
    return draw(st.sampled_from([text, text.lower(), text.upper(), text.title()]))


@st.composite
def cue_sentence(draw: st.DrawFn, cues: list[str], value: str) -> tuple[str, str]:
    """``<lead> <cue><separator><filler><value> <tail>`` and the value."""
    cue = _case(draw, draw(st.sampled_from(cues)))
    sep = draw(st.sampled_from([": ", " ", " # ", " #", ":", " - ", "= ", " no. ", " number "]))
    filler = draw(st.sampled_from(["", "is ", "on file: ", "on card ", "listed as ", "was "]))
    lead = draw(st.sampled_from(["", "Per intake, ", "Note - ", "pt states ", "(", "Updated: "]))
    tail = draw(st.sampled_from(["", ".", " today", ", verified", ";", ")"]))
    return f"{lead}{cue}{sep}{filler}{value}{tail}", value


@st.composite
def alnum_id(draw: st.DrawFn) -> str:
    """An identifier with letters and digits in one of the shapes issuers use."""
    letters = draw(st.text(UPPER, min_size=0, max_size=3))
    groups = draw(st.lists(st.text(DIGITS, min_size=2, max_size=6), min_size=1, max_size=3))
    joiner = draw(st.sampled_from(["-", ""]))
    body = joiner.join(groups)
    value = f"{letters}{joiner if letters else ''}{body}" if letters else body
    return value if len(value) >= 6 else value + draw(st.text(DIGITS, min_size=6, max_size=6))


def _flagged(text: str, value: str, token: str) -> bool:
    clean = sanitize(text)
    return value not in clean and token in clean


LABELLED = {
    "[PHI:HEALTH_PLAN]": ["health plan beneficiary number", "Member ID", "subscriber no", "policy number",
                          "Medicaid ID", "insurance id", "beneficiary"],
    "[PHI:LICENSE]": ["licence no", "License", "driver's license", "DL", "certificate", "DEA", "NPI"],
    "[PHI:ACCOUNT]": ["acct", "Account number", "enrolment no", "enrollment id", "billing account"],
    "[PHI:DEVICE]": ["serial no", "S/N", "device id", "UDI", "IMEI", "implant serial"],
    "[PHI:MRN]": ["MRN", "medical record number", "chart no", "patient ID", "med rec no"],
    "[PHI:OTHER_ID]": ["passport no", "employee id", "badge number", "national id"],
    "[PHI:BIOMETRIC]": ["fingerprint template", "iris scan", "voiceprint id", "face template"],
}  # fmt: skip
labelled_case = st.sampled_from(sorted(LABELLED)).flatmap(
    lambda tok: alnum_id().flatmap(lambda v: cue_sentence(LABELLED[tok], v)).map(lambda tv: (tok, *tv))
)


@FAST
@given(labelled_case)
def test_labelled_identifiers_with_letters_a_few_words_after_their_label(case: tuple[str, str, str]) -> None:
    token, text, value = case
    # a value that is also a calendar date ("01-01-00") may be redacted as the date it looks like
    assert _flagged(text, value, token) or _flagged(text, value, "[PHI:DATE]"), sanitize(text)


@FAST
@given(st.text(DIGITS, min_size=10, max_size=10), st.sampled_from(["{a}-{b}-{c}", "({a}) {b}-{c}", "{a}.{b}.{c}",
                                                                   "{a}{b}{c}", "+1 {a} {b} {c}"]),
       st.data())  # fmt: skip
def test_any_ten_digits_after_a_contact_cue_are_a_phone(digits: str, shape: str, data: st.DataObject) -> None:
    value = shape.format(a=digits[:3], b=digits[3:6], c=digits[6:])
    cues = ["call", "Phone", "tel.", "cell", "reach", "reach her at", "contact number", "Mobile", "fax", "pager"]
    text, _ = data.draw(cue_sentence(cues, value))
    assert _flagged(text, value, "[PHI:PHONE]"), sanitize(text)


@FAST
@given(st.integers(0, 199), st.text(DIGITS, min_size=7, max_size=7))
def test_bare_numbers_without_a_cue_keep_the_nanp_rules(area: int, rest: str) -> None:
    # area codes 000-199 are never assigned: without a cue such a number is not a phone
    text = f"ref {area:03d}{rest} noted"
    assert [s for s in find_spans(text) if s.category == "PHONE"] == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(DIGITS, min_size=10, max_size=10), min_size=3, max_size=8))
def test_every_cell_of_a_phone_column_is_a_phone(tmp_path: Path, numbers: list[str]) -> None:
    path = tmp_path / "contacts.csv"
    rows = [f"{i},{n[:3]}-{n[3:6]}-{n[6:]}" for i, n in enumerate(numbers)]
    path.write_text("record,Phone Number\n" + "\n".join(rows) + "\n")
    found = [f for f in scan_file(path) if f.column == "Phone Number"]
    assert [f.category for f in found] == ["PHONE"] * len(numbers)


ZIP_HEADERS = ["postal", "Postcode", "zip_code", "ZIP Code", "zip5", "Patient ZIP (5-digit)", "home_postal_code"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(DIGITS, min_size=5, max_size=5), min_size=3, max_size=8),
       st.sampled_from(ZIP_HEADERS))
def test_zip_columns_under_other_headers(tmp_path: Path, zips: list[str], header: str) -> None:
    path = tmp_path / "zips.csv"
    path.write_text(f'id,"{header}"\n' + "\n".join(f"{i},{z}" for i, z in enumerate(zips)) + "\n")
    found = [f for f in scan_file(path) if f.column == header]
    assert [f.category for f in found] == ["ZIP"] * len(zips)


@FAST
@given(st.text(DIGITS, min_size=5, max_size=5), st.data())
def test_a_zip_a_few_words_after_its_label(zip5: str, data: st.DataObject) -> None:
    text, _ = data.draw(cue_sentence(["zip", "ZIP code", "postal code", "zipcode"], zip5))
    assert _flagged(text, zip5, "[PHI:ZIP]"), sanitize(text)


ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
            "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
            "eighteenth", "nineteenth", "twentieth", "twenty-first", "twenty-second", "twenty-third",
            "twenty-fourth", "twenty-fifth", "twenty-sixth", "twenty-seventh", "twenty-eighth",
            "twenty-ninth", "thirtieth", "thirty-first"]  # fmt: skip


def _suffix(day: int) -> str:
    return "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _written(d: dt.date, form: int, abbrev: int) -> str:
    full = calendar.month_name[d.month]
    short = calendar.month_abbr[d.month]
    month = [full, short, short + ("." if short != full else ""),
             "Sept." if d.month == 9 else full][abbrev]  # fmt: skip
    nth = f"{d.day}{_suffix(d.day)}"
    forms = [
        f"the {ORDINALS[d.day - 1]} of {month}", f"{d.day} {month} {d.year}",
        f"{d.day:02d}-{month.rstrip('.')}-{d.year}",
        f"{month} {nth}, {d.year}", f"{nth} {month}", f"{nth} of {month}, {d.year}", f"{month} {nth}",
        f"{month} the {ORDINALS[d.day - 1]}", f"{ORDINALS[d.day - 1].title()} of {month} {d.year}",
    ]  # fmt: skip
    return forms[form]


@FAST
@given(st.dates(dt.date(1901, 1, 1), dt.date(2099, 12, 31)), st.integers(0, 8), st.integers(0, 3))
def test_dates_written_out_or_abbreviated(d: dt.date, form: int, abbrev: int) -> None:
    value = _written(d, form, abbrev)
    text = f"Seen on {value} for follow-up"
    spans = [s for s in find_spans(text) if s.category == "DATE"]
    assert spans and spans[0].start <= text.index(value) and spans[0].end >= text.index(value) + len(value), value


@FAST
@given(st.sampled_from([(2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31), (1, 32)]), st.integers(0, 1))
def test_days_that_are_not_on_the_calendar_are_not_dates(month_day: tuple[int, int], year: int) -> None:
    month, day = month_day
    name = calendar.month_name[month]
    value = f"{name} {day}{_suffix(day)}" + (", 2021" if year else "")
    assert [s for s in find_spans(f"on {value} we met") if s.category == "DATE"] == []


AGE_FORMS = ["{n} y/o", "{n}yo", "{n} y.o.", "{n}-year-old", "aged {n}", "age: {n}", "{n} yo F", "{n}yoM",
             "{n} year old", "Age {n}", "{n} yrs old"]  # fmt: skip


@FAST
@given(st.integers(90, 119), st.sampled_from(AGE_FORMS))
def test_ages_over_89_in_short_forms(age: int, form: str) -> None:
    text = f"Pt is a {form.format(n=age)} with CHF"
    assert [s.category for s in find_spans(text)].count("AGE_OVER_89") == 1, text


@FAST
@given(st.integers(18, 89), st.sampled_from(AGE_FORMS))
def test_ages_up_to_89_are_not_age_phi(age: int, form: str) -> None:
    text = f"Pt is a {form.format(n=age)} with CHF"
    assert "AGE_OVER_89" not in [s.category for s in find_spans(text)]


LOWER = "abcdefghijklmnopqrstuvwxyz"
EMAIL_SHAPES = ["{u} [at] {h} [dot] {t}", "{u}[at]{h}[dot]{t}", "{u} (at) {h} (dot) {t}", "{u}(at){h}.{t}",
                "{u} {{at}} {h} {{dot}} {t}", "{u} at {h} dot {t}", "{u} AT {h} DOT {t}", "{u} @ {h} . {t}"]

FILE_STEMS = st.text(LOWER + DIGITS, min_size=1, max_size=2).flatmap(
    lambda head: st.text(LOWER + DIGITS + "_-", max_size=18).map(head.__add__)
)
PHOTO_CUES = ["photo", "Photo:", "picture", "image file", "headshot", "attached", "wound photo"]


@FAST
@given(st.text(LOWER, min_size=2, max_size=10), st.text(LOWER, min_size=2, max_size=10),
       st.sampled_from(["org", "com", "net", "edu"]),
       st.sampled_from(EMAIL_SHAPES))
def test_obfuscated_emails(user: str, host: str, tld: str, shape: str) -> None:
    value = shape.format(u=user, h=host, t=tld)
    text = f"please write to {value} soon"
    clean = sanitize(text)
    assert clean == "please write to [PHI:EMAIL] soon", clean


@FAST
@given(FILE_STEMS,
       st.sampled_from(["jpg", "jpeg", "JPG", "png", "tif", "tiff", "dcm", "heic", "bmp"]),
       st.sampled_from(PHOTO_CUES))
def test_image_file_names_after_their_cue(stem: str, ext: str, cue: str) -> None:
    value = f"{stem}.{ext}"
    text = f"{cue} {value} uploaded"
    assert _flagged(text, value, "[PHI:PHOTO]"), sanitize(text)


@FAST
@given(st.sampled_from([
    "pain {a}/10", "BP {b}/{c}", "ICD-10 {L}{a}{a}.{a}", "LOINC {b}-{a}", "K+ {a}.{a} mmol/L", "Hgb {a}{a}.{a} g/dL",
    "dose {b} mg", "metformin {b} mg BID", "at {a}{a}:{a}{a}", "record {b}{c}{b}", "batch {c}{b}", "visit 2021",
    "score {a} of 10", "wt {b} kg", "HR {b} bpm", "march {a} times", "may {a} days",
]), st.integers(0, 9), st.integers(100, 999), st.integers(60, 99), st.sampled_from(UPPER))  # fmt: skip
def test_hard_negatives_stay_unflagged(shape: str, a: int, b: int, c: int, letter: str) -> None:
    text = shape.format(a=a, b=b, c=c, L=letter)
    assert find_spans(text) == [], text


@FAST
@given(st.integers(10**12, 2 * 10**12))
def test_millisecond_timestamps_are_not_cards(ts: int) -> None:
    assert [s for s in find_spans(f"ts={ts}") if s.category == "CREDIT_CARD"] == []


def test_a_letter_glued_to_a_labelled_value_by_a_hyphen_is_part_of_the_value() -> None:
    # "A" is a word of the window's form, but "A-01-01-00" is one token: the window word ends only
    # where a value would (the value's right boundary), so the whole identifier is the value.
    for text in ["acct: A-01-01-00", "acct: A-12-34-56", "Account number A-011-01 on file"]:
        clean = sanitize(text)
        assert clean.count("[PHI:ACCOUNT]") == 1 and "A-" not in clean, clean
    assert sanitize("MRN: A 1234567") == "MRN: A [PHI:MRN]"  # a word before the value still stands apart
