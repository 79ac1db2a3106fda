"""Geography of exports from outside the US: UK and Canadian postcodes, Dutch postcodes after a
label or in a postcode column, and European street addresses (the street word first, the number
first, or a street name ending in its street word).

Values are written here from the postal formats (UK postcode areas and unit letters, Canadian
letter-digit alternation, Dutch 4 digits + 2 letters) and street words of several languages, not
copied from the registry. Each case is checked where a user meets it: ``rflow phi scan`` in a
subprocess on both regex paths (identical findings), the output guard, and the de-identified copy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi import find_spans, sanitize
from tests.phi.unseen_support import scan_cli_both

ROOT = Path(__file__).resolve().parents[2]

UK_POSTCODES = [
    "SW1A 1AA", "M1 1AE", "EC1A 1BB", "W1A 0AX", "B33 8TH", "CR2 6XH", "DN55 1PT", "G2 3WT", "EH1 1YZ",
    "BT7 1NN", "CF10 3AT", "sw1a 1aa", "m1 1ae", "SW1A1AA", "ec1a1bb", "LS1 4AP", "NE1 7RU", "ZE1 0AA",
    "Sw1A 1Aa", "Sw1a 1aa", "sw1a 1AA", "Ec1A1bB", "Ls1 4aP",
]  # fmt: skip
CANADIAN = [
    "K1A 0B1", "M5V 3L9", "H2X 1Y4", "V6B 4Y8", "T2P 2M5", "k1a 0b1", "K1A-0B1", "H3Z2Y7", "m5v3l9", "K1a 0b1",
]  # fmt: skip
DUTCH_LABELLED = ["postcode 1012 AB", "Postcode: 3511LX", "zip 2595 BE", "postal code 9711 LM"]
STREETS = [
    "Calle Mayor 10", "Calle de Alcalá 42", "Carrer de Balmes 12", "Avenida da Liberdade 100", "Rua Augusta 25",
    "Rue de la Paix 12", "Rue d'Alsace 4", "12 rue de la Paix", "5 avenue Foch", "3 bd Saint-Germain",
    "Via Roma 5", "Via Roma, 5", "Piazza Navona 3", "Corso Vittorio Emanuele 21", "Plaza Mayor 1",
    "Hauptstraße 5", "Hauptstrasse 5", "Karl-Marx-Straße 12", "Berliner Straße 5a", "Bahnhofstr. 3",
    "Kerkstraat 12", "Prinsengracht 263", "Lange Laan 4", "Storgatan 4", "ul. Marszałkowska 10",
    "al. Jerozolimskie 65/79", "Ulica Długa 8",
]  # fmt: skip
# Clinical text that must stay as written: lab values, codes, doses, versions, units.
NEGATIVES = [
    "vitamin B12 1000 mcg daily", "E2 5ng/mL on day 3", "E2 5ng ml", "G6PD deficiency", "L5 S1 disc",
    "ICD-10 E11.9", "LOINC 2345-7", "CD4 200 cells", "H1N1 2009", "v2.3.1 release", "SpO2 98 %",
    "T2N0M0 staging", "pT2 N1 M0", "GCS E4V5M6", "GCS E4M6V5", "G2P1A0", "B12 1ug", "E2 5ng",
    "M1 5MG tablet", "HbA1c 7.2", "ring 5 times", "the brigade 2",
    "given Via IV 2 mg", "sent Via Fedex",
    "Plaza 3 days", "Avenue 2", "Rue 5", "Weg 5", "1000 IU", "2000 MG", "Rx 1 tab", "NYHA II 2023",
    "BMI 31.2", "ECOG 1", "C3 C4 normal", "S1 S2 heard", "A1C 6.1",
]  # fmt: skip


def scan_both(path: Path) -> list[dict]:
    """The findings of ``rflow phi scan``, checked identical on the native core and on ``re``."""
    return scan_cli_both(path, "unseen-places-test-key-0123", "--limit", "0")


def table(tmp_path: Path, header: str, cells: list[str]) -> Path:
    p = tmp_path / "export.csv"
    with p.open("w", encoding="utf-8", newline="") as fh:
        fh.write(f"id,{header}\n")
        for i, cell in enumerate(cells, 1):
            fh.write(f'{i},"{cell}"\n')
    return p


def spans_of(text: str, category: str) -> list[str]:
    return [text[s.start : s.end] for s in find_spans(text) if s.category == category]


@pytest.mark.parametrize("code", UK_POSTCODES + CANADIAN)
def test_a_postcode_in_free_text_is_one_finding(code: str) -> None:
    text = f"moved, new address near {code} per daughter"
    assert spans_of(text, "POSTCODE") == [code]
    assert code not in sanitize(text)
    assert "[PHI:POSTCODE]" in sanitize(text)


def test_a_canadian_code_run_together_is_a_postcode_even_before_a_word() -> None:
    # the letter rules of Canada Post hold: no lot number can be told from it (no clinical scale
    # has these letters, as T2N0M0 or E4V5M6 have)
    assert spans_of("H3Z2Y7 lot", "POSTCODE") == ["H3Z2Y7"]
    assert spans_of("dispatched to h3z2y7, lot 4", "POSTCODE") == ["h3z2y7"]


def test_rue_before_a_name_is_a_given_name_not_a_street(tmp_path: Path) -> None:
    # Rue is a given name too: without a house number it is a street only before de, du, la, d'
    names = ["Patient Rue Smith", "Mrs Rue Okafor seen today", "pt Rue Lindqvist"]
    streets = ["lives at Rue de la Paix", "moved to Rue d'Alsace", "Rue Oberkampf 12", "12 rue de la Paix"]
    found = scan_both(table(tmp_path, "note", names + streets))
    by_row = {(f["row"], f["category"]) for f in found}
    assert {c for r, c in by_row if r <= len(names)} == {"NAME"}, by_row
    assert {r for r, c in by_row if c == "ADDRESS"} == set(range(len(names) + 1, len(names) + len(streets) + 1))


@pytest.mark.parametrize("text", DUTCH_LABELLED)
def test_a_dutch_postcode_after_a_postcode_label(text: str) -> None:
    value = text.split()[-1] if text[-3] != " " else " ".join(text.split()[-2:])
    assert spans_of(text, "ZIP") == [value]


@pytest.mark.parametrize("street", STREETS)
def test_a_european_street_address_is_an_address_not_a_name(street: str) -> None:
    text = f"Patient lives at {street} with her son."
    assert street in spans_of(text, "ADDRESS")
    assert not any(street.split()[0] in n for n in spans_of(text, "NAME"))
    assert street not in sanitize(text)


@pytest.mark.parametrize("text", NEGATIVES)
def test_clinical_values_are_no_postcode_or_address(text: str) -> None:
    found = [s.category for s in find_spans(text) if s.category in ("POSTCODE", "ADDRESS", "ZIP")]
    assert found == [], (text, found)


# A UK postcode, drawn from its grammar: an area, a district, a sector digit, two unit letters.
AREAS = ["AB", "B", "BS", "CF", "E", "EC", "G", "GL", "L", "LS", "M", "N", "NW", "OX", "S", "SE", "SW", "W", "YO"]
UNIT = "ABDEFGHJLNPQRSTUWXYZ"

def _uk(area: str, district: int, letter: str, sector: int, unit: str, sep: str, case: list[bool]) -> str:
    # a district letter (SW1A, EC1A) follows a one-digit district only
    code = f"{area}{district}{letter if district < 10 else ''}{sep}{sector}{unit}"
    mixed = "".join(c.lower() if low else c for c, low in zip(code, case + [case[-1]] * len(code), strict=False))
    # in capitals with its unit in lower case it is a level (E2 5ng), written so no postcode is
    return code if mixed[-2:].islower() and not any(c.islower() for c in mixed[:-3]) else mixed


uk = st.builds(
    _uk, st.sampled_from(AREAS), st.integers(1, 99), st.sampled_from(["", "A", "W"]), st.integers(0, 9),
    st.text(UNIT, min_size=2, max_size=2), st.sampled_from([" ", ""]), st.lists(st.booleans(), min_size=1),
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(code=uk, before=st.sampled_from(["Home:", "lives near", "address", "moved to", "("]),
       after=st.sampled_from(["", ".", ",", " today", ")"]))  # fmt: skip
def test_generated_uk_postcodes_are_found_and_replaced(code: str, before: str, after: str) -> None:
    text = f"{before} {code}{after}"
    assert code in spans_of(text, "POSTCODE"), text
    assert code not in sanitize(text)


def test_postcodes_and_streets_through_the_cli(tmp_path: Path) -> None:
    # in a note, in a column whose header says nothing, and the negatives in the same note column
    notes = [f"new address {s}, {c}" for s, c in zip(STREETS, UK_POSTCODES + CANADIAN, strict=False)]
    path = table(tmp_path, "note", notes + NEGATIVES)
    found = scan_both(path)
    rows = {f["row"] for f in found if f["category"] == "POSTCODE"}
    assert rows == set(range(1, len(notes) + 1))
    addressed = {f["row"] for f in found if f["category"] == "ADDRESS"}
    assert addressed == set(range(1, len(notes) + 1))
    assert not [f for f in found if f["row"] > len(notes)], "a clinical value was flagged"


@pytest.mark.parametrize("header", ["location", "Postcode", "post_code", "home postcode"])
def test_a_column_of_postcodes_with_or_without_a_telling_header(tmp_path: Path, header: str) -> None:
    codes = UK_POSTCODES + CANADIAN
    found = scan_both(table(tmp_path, header, codes))
    assert {f["row"] for f in found if f["column"] == header} == set(range(1, len(codes) + 1))


def test_a_column_of_dutch_postcodes_under_a_postcode_header(tmp_path: Path) -> None:
    codes = ["1012 AB", "3511 LX", "2595BE", "9711 LM", "6211 CK"]
    found = scan_both(table(tmp_path, "Postcode", codes))
    assert {f["row"] for f in found if f["column"] == "Postcode"} == set(range(1, len(codes) + 1))


def test_deidentify_removes_postcodes_and_streets(tmp_path: Path) -> None:
    from engine.orchestrate import run_manifest

    notes = [f"lives at {s} ({c})" for s, c in zip(STREETS, UK_POSTCODES + CANADIAN, strict=False)]
    data = tmp_path / "export.csv"
    with data.open("w", encoding="utf-8", newline="") as fh:
        fh.write("subject_id,postcode,address,note\n")
        for i, (s, c, n) in enumerate(zip(STREETS, UK_POSTCODES + CANADIAN, notes, strict=False), 1):
            fh.write(f'P-{i:04d},{c},"{s}","{n}"\n')
    report = run_manifest(ROOT / "manifests/demo.yaml", inputs={"dataset": str(data)}, out_dir=tmp_path / "run")
    assert report.status == "completed", [s.status for s in report.steps]
    text = (tmp_path / "run" / "deidentified" / "dataset.csv").read_text(encoding="utf-8")
    for value in [*STREETS, *UK_POSTCODES, *CANADIAN]:
        assert value not in text, value


DUTCH_TOWNS = ["Amsterdam", "UTRECHT", "'s-Hertogenbosch", "Zwolle", "Den Haag"]
DUTCH_CODES = ["1012 AB", "3511LX", "5211 JK", "8011 CW", "2595 BE", "9711 LM", "6211CK"]
# four digits and two capitals that are a dose, a unit, a route or an era, with a capitalised word after
DUTCH_SHAPED = ["1200 MG Daily", "1000 ML NS", "1500 IU Vitamin D", "2020 BC Cohort", "1000 IE Heparine",
                "2500 EH Insuline", "1999 AD Study", "1000MG Tablet", "1130 AM Clinic", "5000 UG Dose"]


def test_a_dutch_postcode_before_its_town_is_found_without_a_label(tmp_path: Path) -> None:
    notes = [f"verhuisd naar Kerkstraat {i}, {c} {t}" for i, (c, t) in
             enumerate(zip(DUTCH_CODES, DUTCH_TOWNS * 2, strict=False), 1)]  # fmt: skip
    found = scan_both(table(tmp_path, "note", notes + DUTCH_SHAPED))
    postcodes = {(f["row"], f["length"]) for f in found if f["category"] == "POSTCODE"}
    assert postcodes == {(i, len(c)) for i, c in enumerate(DUTCH_CODES, 1)}
    assert not [f for f in found if f["row"] > len(notes)], "a dose or a unit was flagged"
    for code, town in zip(DUTCH_CODES, DUTCH_TOWNS * 2, strict=False):
        assert code not in sanitize(f"nieuw adres: {code} {town}")


@pytest.mark.parametrize("header", ["loc", "col_3", "kenmerk"])
def test_an_unlabelled_column_of_dutch_postcodes_is_a_zip_column(tmp_path: Path, header: str) -> None:
    found = scan_both(table(tmp_path, header, DUTCH_CODES))
    assert {f["row"] for f in found if f["column"] == header} == set(range(1, len(DUTCH_CODES) + 1))


@pytest.mark.parametrize("cells", [
    ["1200 MG", "1000 MG", "2000 MG", "1500 MG", "1000 MG"],  # a dose column repeats its unit
    ["1000 ML", "1500 ML", "2000 ML", "1000 IU", "2500 ML"],
    ["1012 AB", "1012 AB", "1012 AB", "1012 AB"],  # one code down the whole column: a site, not people
])  # fmt: skip
def test_a_column_of_doses_in_a_postcode_shape_is_not_a_zip_column(tmp_path: Path, cells: list[str]) -> None:
    assert scan_both(table(tmp_path, "value", cells)) == []
