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


def _with_pattern(regex: str, **extra: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_doc())
    doc["categories"][1]["patterns"].append({"id": "x-test", "tier": "scan", "regex": regex, **extra})
    return doc


@pytest.mark.parametrize(
    ("regex", "problem"),
    [
        (r"(?<![A-Za-z0-9])\d{9}", "\\d"),
        (r"(?<![A-Za-z0-9])([0-9]{9})", "unnamed"),
        (r"(?<![A-Za-z0-9])(?P<other>[0-9]{9})", "only named group"),
        (r"[0-9]{9}", "boundary"),
        (r"(?<![A-Za-z0-9])(?:[0-9]", "does not compile"),
    ],
)
def test_bad_patterns_are_refused(regex: str, problem: str) -> None:
    problems = validate_document(_with_pattern(regex))
    assert any(problem in p for p in problems), problems


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
    doc = _with_pattern("(?<![A-Za-z0-9])[0-9]{9}")
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


def test_normalize_column() -> None:
    assert normalize_column("patientID") == "patient_id"
    assert normalize_column(" Date of Birth ") == "date_of_birth"
