"""Sanitizer, output guard and log filter: every guard-tier match is replaced, nothing else moves."""

from __future__ import annotations

import io
import logging

import pytest

from engine.phi import PhiLogFilter, contains_phi, install_log_filter, sanitize

CASES = [
    ("SSN 123-45-6788 on file", "SSN [PHI:SSN] on file"),
    ("call (617) 555-0199 or 617.253.1000", "call [PHI:PHONE] or [PHI:PHONE]"),
    ("mail John.Doe@Example.org now", "mail [PHI:EMAIL] now"),
    ("MRN: A1234567; patient id 99887766", "MRN: [PHI:MRN]; patient id [PHI:MRN]"),
    ("seen 03/04/1981 and Jan 5, 2020", "seen [PHI:DATE] and [PHI:DATE]"),
    ("Boston, MA 02139", "[PHI:CITY], MA [PHI:ZIP]"),
    ("host 192.168.1.20", "host [PHI:IP]"),
    ("card 4111 1111 1111 1111", "card [PHI:CREDIT_CARD]"),
    ("VIN 1HGCM82633A004352", "VIN [PHI:VIN]"),
    ("see https://portal.example.com/p/42", "see [PHI:URL]"),
]


@pytest.mark.parametrize(("raw", "clean"), CASES)
def test_sanitize_replaces_with_category_token(raw: str, clean: str) -> None:
    assert sanitize(raw) == clean
    assert contains_phi(raw)
    assert not contains_phi(clean)
    assert sanitize(clean) == clean


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Stage failed: could not parse column lab_value",
        "BP 120/80, pain 5/10, E11.9, LOINC 2345-7, glucose 5.6 mmol/L, 500 mg",
        "year 2019 only",
        "row 12 of 300",
    ],
)
def test_clean_text_is_untouched(text: str) -> None:
    assert sanitize(text) == text
    assert not contains_phi(text)


def test_guard_tier_is_broader_than_scan() -> None:
    # A 9-digit run after no label is not scanned, but the guard still redacts an SSN-shaped string
    # with an unissued area number.
    assert sanitize("id 000-12-3456") == "id [PHI:SSN]"


def test_non_str_input_is_coerced() -> None:
    assert sanitize(1234567) == "1234567"  # type: ignore[arg-type]


def _logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s %(patient)s"))
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    install_log_filter(handler)
    return logger, stream


def test_log_filter_sanitizes_msg_args_exception_and_extras() -> None:
    logger, stream = _logger("rflow.test.phi.log")
    try:
        int("123-45-6788")
    except ValueError:
        logger.exception("bad value %s for %r", "617-555-0199", "a@b.org", extra={"patient": "MRN 1234567"})
    out = stream.getvalue()
    for raw in ("123-45-6788", "617-555-0199", "a@b.org", "1234567"):
        assert raw not in out
    assert "[PHI:SSN]" in out and "[PHI:PHONE]" in out and "[PHI:EMAIL]" in out
    assert "ValueError" in out


def test_log_filter_survives_bad_format_args() -> None:
    logger, stream = _logger("rflow.test.phi.badargs")
    logger.info("%d items for 123-45-6788", "x", extra={"patient": ""})
    assert "123-45-6788" not in stream.getvalue()


def test_install_on_logger_is_idempotent() -> None:
    logger = logging.getLogger("rflow.test.phi.idem")
    first = install_log_filter(logger)
    second = install_log_filter(logger)
    assert first is second
    assert sum(isinstance(f, PhiLogFilter) for f in logger.filters) == 1
