"""Validators and per-category behaviour of the scan tier, including the hard negatives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi import scan_text
from engine.phi import validators as v


def cats(text: str) -> list[str]:
    return [f.category for f in scan_text(text)]


@pytest.mark.parametrize(
    ("value", "ok"),
    [("123-45-6788", True), ("000-12-3456", False), ("666-12-3456", False), ("912-12-3456", False),
     ("123-00-4567", False), ("123-45-0000", False), ("078-05-1120", False), ("123-45 6788", False)],
)  # fmt: skip
def test_ssn_rules(value: str, ok: bool) -> None:
    assert v.ssn(value) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [("4111111111111111", True), ("4111111111111112", False), ("378282246310005", True),
     ("5555555555554444", True), ("1700000000004", False), ("4111-1111 1111-1111", False)],
)  # fmt: skip
def test_card_luhn_and_issuer(value: str, ok: bool) -> None:
    assert v.card(value) is ok


def test_timestamp_passing_luhn_is_not_a_card() -> None:
    ts = "1700000000004"  # epoch milliseconds; passes Luhn
    assert v.luhn(ts)
    assert cats(f"ts={ts} ok") == []


@pytest.mark.parametrize(
    ("value", "ok"),
    [("617-555-0199", True), ("(212) 555-0100", True), ("+1 617 555 0199", True), ("011-555-0199", False),
     ("911-555-0199", False), ("617-911-0199", False), ("617-155-0199", False), ("696-555-0199", False)],
)  # fmt: skip
def test_nanp(value: str, ok: bool) -> None:
    assert v.nanp(value) is ok


@pytest.mark.parametrize(("value", "ok"), [("10.0.0.1", True), ("256.1.1.1", False), ("01.02.2020", False)])
def test_ipv4(value: str, ok: bool) -> None:
    assert v.ipv4(value) is ok


@pytest.mark.parametrize(("value", "ok"), [("fe80::1ff:fe23:4567:890a", True), ("a::b", False), ("::", False)])
def test_ipv6(value: str, ok: bool) -> None:
    assert v.ipv6(value) is ok


def test_vin_check_digit() -> None:
    assert v.vin("1HGCM82633A004352")
    assert not v.vin("1HGCM82643A004352")
    assert not v.vin("12345678901234567")  # digits only: not a VIN even if the check digit fits


@pytest.mark.parametrize(
    ("value", "ok"),
    [("2020-02-29", True), ("2021-02-29", False), ("2021-13-01", False), ("3/4/81", True),
     ("Jan 5, 2020", True), ("31 April 2020", False), ("5.10.2020", True), ("5.10.20", False)],
)  # fmt: skip
def test_calendar_dates(value: str, ok: bool) -> None:
    assert (v.parse_date(value) is not None) is ok


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSN 123-45-6788", ["SSN"]),
        ("MRN: A1234567", ["MRN"]),
        ("patient id 99887766", ["MRN"]),
        ("member id: XYZ123456", ["HEALTH_PLAN"]),
        ("acct # 12345678", ["ACCOUNT"]),
        ("driver's license D1234567", ["LICENSE"]),
        ("serial number SN-88812", ["DEVICE"]),
        ("zip: 02139", ["ZIP"]),
        ("Cambridge, MA 02139", ["CITY", "ZIP"]),
        ("IP 192.168.1.20", ["IP"]),
        ("fe80::1ff:fe23:4567:890a", ["IP"]),
        ("https://portal.example.com/x", ["URL"]),
        ("DOB 19800101", ["DATE"]),
        ("Jan 5, 2020", ["DATE"]),
        ("5 March 2020", ["DATE"]),
        ("card 4111 1111 1111 1111", ["CREDIT_CARD"]),
        ("VIN 1HGCM82633A004352", ["VIN"]),
        ("tel +44 20 7946 0958", ["PHONE"]),
        ("j.doe@example.org", ["EMAIL"]),
    ],
)
def test_scan_tier_categories(text: str, expected: list[str]) -> None:
    assert cats(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "BP 120/80 mmHg", "pain 5/10", "ICD-10 E11.9 and I10", "LOINC 2345-7 glucose", "HbA1c 7.2 %",
        "glucose 110 mg/dL", "Na 140 mmol/L", "record R000123", "encounter ENC-000045678",
        "metformin 500 mg po bid", "0.5 mg/kg", "1-2 tablets", "year 2019", "in 2020 the study",
        "12345", "temp 37.5 C", "HR 72 bpm", "SpO2 98%", "weight 80.5 kg", "ratio 3:1",
        "version 2.10", "id 550e8400-e29b-41d4-a716-446655440000", "10:22:33", "cell count 5000",
    ],
)  # fmt: skip
def test_hard_negatives_are_not_flagged(text: str) -> None:
    assert cats(text) == []


def test_bare_year_is_not_a_date() -> None:
    assert cats("born in 1980") == []


@pytest.mark.parametrize("name", sorted(v.BYTES_NORMALIZERS))
@pytest.mark.parametrize("value", ["123-45-6788", "John.Doe@Example.ORG", "MRN-00A12", "(617) 555-0199", "x"])
def test_byte_normalizers_agree_with_text_normalizers(name: str, value: str) -> None:
    assert v.BYTES_NORMALIZERS[name](value.encode()) == v.NORMALIZERS[name](value).encode()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40), st.sampled_from(sorted(v.BYTES_NORMALIZERS)))
def test_byte_normalizers_agree_on_any_ascii(value: str, name: str) -> None:
    assert v.BYTES_NORMALIZERS[name](value.encode()) == v.NORMALIZERS[name](value).encode()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 -.ABCDEFGHJKLMNPRSTUVWXYZ", max_size=22))
def test_card_and_vin_rules_match_their_reference(value: str) -> None:
    ds = "".join(c for c in value if c.isdigit())
    seps = {c for c in value if not c.isdigit()}
    reference_card = 12 <= len(ds) <= 19 and len(seps) <= 1 and len(ds) in v.card_lengths(ds) and _reference_luhn(ds)
    assert v.card(value) == reference_card
    up = value.upper()
    reference_vin = (
        v.vin_check_digit(up) == up[8:9] and any(c.isalpha() for c in up) and sum(c.isdigit() for c in up) >= 5
    )
    assert v.vin(value) == reference_vin


def _reference_luhn(ds: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(ds)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0
