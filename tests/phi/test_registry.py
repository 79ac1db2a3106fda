"""The canonical registry: schema-valid, complete, and load-time rules that keep patterns honest."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from engine.phi import PhiRegistryError, load_registry
from engine.phi.registry import DEFAULT_REGISTRY, build_registry, normalize_column, validate_document

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "phi-registry.v1.schema.json").read_text())


def _doc() -> dict[str, Any]:
    doc: dict[str, Any] = YAML(typ="safe", pure=True).load(DEFAULT_REGISTRY.read_text())
    return doc


def test_schema_is_draft_2020_12_with_id() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"].endswith("2020-12/schema") and SCHEMA["$id"]


def test_shipped_registry_is_valid_and_complete() -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(_doc())
    assert validate_document(_doc()) == []
    names = {c.name for c in load_registry().categories}
    required = {"SSN", "MRN", "PHONE", "EMAIL", "DATE", "ZIP", "IP", "URL", "HEALTH_PLAN", "ACCOUNT",
                "LICENSE", "CREDIT_CARD", "VIN", "DEVICE"}  # fmt: skip
    assert required <= names


def test_guard_tier_is_a_superset_of_scan() -> None:
    reg = load_registry()
    assert {p.id for p in reg.scan.patterns} < {p.id for p in reg.guard.patterns}


LEFT = {"left": "[A-Za-z0-9]"}


def _with_pattern(regex: str, boundary: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_doc())
    pattern = {"id": "x-test", "tier": "scan", "regex": regex, "boundary": boundary or LEFT, **extra}
    doc["categories"][1]["patterns"].append(pattern)
    return doc


@pytest.mark.parametrize(
    ("regex", "problem"),
    [
        (r"\d{9}", "\\d"),
        (r"([0-9]{9})", "unnamed"),
        (r"(?P<other>[0-9]{9})", "only named group"),
        (r"(?:[0-9]", "does not compile"),
        (r"(?<![A-Za-z0-9])[0-9]{9}", "lookaround"),
        (r"[0-9]{9}(?![0-9])", "lookaround"),
        (r"(?=[0-9])[0-9A-Z]{9}", "lookaround"),
        (r"(?<=MRN )[0-9]{9}", "lookaround"),
        (r"[0-9]{9}+", "possessive"),
        (r"(?>[0-9]{9})", "atomic"),
        (r"(?P<value>[0-9])(?P=value)[0-9]{7}", "back-reference"),
        (r"\b[0-9]{9}", "anchor or word boundary"),
        (r"^[0-9]{9}", "anchor or word boundary"),
        (r"[0-9]{9}[A-Z]{1,2000}", "repeat bound"),
        (r"[0-9]*", "empty string"),
    ],
)
def test_bad_patterns_are_refused(regex: str, problem: str) -> None:
    problems = validate_document(_with_pattern(regex))
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("boundary", "problem"),
    [
        ({"left": "[0-9]"}, "must exclude at least [A-Za-z0-9]"),
        ({"left": "[A-Za-z0-9]{2}"}, "one character class"),
        ({"left": "[A-Za-z0-9]", "right": "[0-9]{3}"}, "one- or two-character"),
        ({"left": "[A-Za-z0-9]", "right": "(?![0-9])"}, "lookaround"),
    ],
)
def test_bad_boundaries_are_refused(boundary: dict[str, str], problem: str) -> None:
    problems = validate_document(_with_pattern("[0-9]{9}", boundary))
    assert any(problem in p for p in problems), problems


def test_a_pattern_without_a_boundary_fails_the_schema() -> None:
    doc = _with_pattern("[0-9]{9}")
    del doc["categories"][1]["patterns"][-1]["boundary"]
    assert any("fails 'required'" in p for p in validate_document(doc))


def _declared_regexes(doc: dict[str, Any]) -> list[str]:
    out = [doc["label_separator"], doc["prefilter"], doc["label_boundary"]["right"], doc["label_window"]["word"]]
    for cat in doc["categories"]:
        if "value" in cat:
            out.append(cat["value"]["regex"])
        for pat in cat["patterns"]:
            out.append(pat["regex"])
            out.extend(v for k, v in pat["boundary"].items())
            out.extend([pat["followed_by"]] if "followed_by" in pat else [])
            out.extend([pat["not_followed_by"]["gap"]] if "gap" in pat.get("not_followed_by", {}) else [])
    return out


def test_every_declared_regex_is_in_the_shared_dialect() -> None:
    """Every regex of the shipped registry: no lookaround etc. (and compiles under RE2 if installed)."""
    from engine.phi.dialect import dialect_problem

    regexes = _declared_regexes(_doc())
    assert len(regexes) > 40
    assert [r for r in regexes if dialect_problem(r)] == []
    for r in regexes:
        assert "(?<" not in r.replace("(?P<", "") and "(?=" not in r and "(?!" not in r


def test_re2_compiles_every_declared_regex() -> None:
    re2 = pytest.importorskip("re2", reason="google-re2 is not installed: the parse check above still applies")
    for r in _declared_regexes(_doc()):
        re2.compile(r)
    with pytest.raises(Exception):  # noqa: B017 - re2's error type differs across versions
        re2.compile("(?<!x)y")


def test_schema_errors_name_path_and_keyword_not_value() -> None:
    doc = copy.deepcopy(_doc())
    doc["categories"][0]["confidence"] = "123-45-6788"
    doc["categories"][0]["tpyo"] = True
    problems = validate_document(doc)
    assert any("categories/0" in p for p in problems)
    assert not any("123-45-6788" in p for p in problems)
    with pytest.raises(PhiRegistryError) as err:
        build_registry(doc)
    assert "123-45-6788" not in str(err.value)


def test_duplicate_ids_and_wrong_tokens_are_refused() -> None:
    doc = _with_pattern("[0-9]{9}")
    doc["categories"][1]["patterns"].append(dict(doc["categories"][1]["patterns"][-1]))
    doc["categories"][2]["token"] = "[PHI:OTHER]"
    problems = " ".join(validate_document(doc))
    assert "duplicate pattern id" in problems and "must be [PHI:" in problems


@pytest.mark.parametrize(
    ("column", "category"),
    [("mrn", "MRN"), ("patientId", "MRN"), ("Patient ID", "MRN"), ("home_phone_number", "PHONE"),
     ("zip_code", "ZIP"), ("member-id", "HEALTH_PLAN"), ("account_type", None), ("lab_value", None),
     ("record_id", None), ("icd10", None)],
)  # fmt: skip
def test_column_labels(column: str, category: str | None) -> None:
    matcher = load_registry().column_category(column)
    assert (matcher.category.name if matcher else None) == category


@pytest.mark.parametrize(
    ("header", "category"),
    [("name", "NAME"), ("patient", "NAME"), ("surname", "NAME"), ("addr", "ADDRESS"), ("town", "CITY"),
     ("e_mail", "EMAIL"), ("cell", "PHONE"), ("home_city", None), ("patient_name_2", None), ("dob", None)],
)  # fmt: skip
def test_exact_headers(header: str, category: str | None) -> None:
    # Whole names only: "home_city" ends with a CITY column word but is no exact header.
    assert load_registry().header_category(header) == category


def test_exact_headers_are_normalized_names() -> None:
    doc = _doc()
    name = next(c for c in doc["categories"] if c["name"] == "NAME")
    name["context"]["headers"] = ["Patient Name"]
    problems = " ".join(validate_document(doc))
    assert "headers" in problems


def test_normalize_column() -> None:
    assert normalize_column("patientID") == "patient_id"
    assert normalize_column(" Date of Birth ") == "date_of_birth"
