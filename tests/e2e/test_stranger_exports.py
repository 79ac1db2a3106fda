"""Exports written the way other systems write them, through the real CLI: nothing raw survives.

Each case is a form a real export holds that the registry's own corpus did not: decomposed
accents (macOS and some EHR exports write ``e`` + U+0301), day-first dates (``23.07.1971``,
``14/02/1945``). Every value is made up.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from pathlib import Path

from tests.e2e.conftest import rflow


def _every_output(run_dir: Path, *streams: str) -> str:
    texts = list(streams)
    for path in run_dir.rglob("*"):
        texts.append(str(path.relative_to(run_dir)))
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def _run_demo(tmp_path: Path, data: Path) -> tuple[Path, str]:
    out = tmp_path / "run"
    proc = rflow(
        "run",
        "manifests/demo.yaml",
        "--input",
        f"dataset={data}",
        "--out",
        str(out),
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    return out, proc.stdout + proc.stderr


def test_decomposed_accents_do_not_split_a_name(tmp_path: Path) -> None:
    # "Dr. José Martínez" with its accents as combining marks: a name stopped at the first mark,
    # so the copy kept "Martínez" (and a lone mark after the pseudonym of "Jose")
    nfd = unicodedata.normalize("NFD", "Dr. José Martínez saw her; Émilie Lefèvre-Dubœuf called")
    data = _write(tmp_path / "notes.csv", [["id", "note"], ["1", nfd], ["2", "follow-up in 2 weeks"]])
    out, streams = _run_demo(tmp_path, data)
    copy = (out / "deidentified" / "dataset.csv").read_text(encoding="utf-8")
    folded = unicodedata.normalize("NFC", copy)
    for raw in ("Martínez", "Marti", "Émilie", "milie", "Lefèvre", "Lefe"):
        assert raw not in folded, raw
    assert "\u0301" not in copy  # no orphan mark left beside a replacement
    assert "follow-up in 2 weeks" in copy
    for raw in ("Martínez", "Lefèvre"):
        assert raw not in unicodedata.normalize("NFC", _every_output(out, streams))


def test_day_first_dates_are_dates(tmp_path: Path) -> None:
    # a first number over 12 cannot be a month: the date is day first, as most of the world writes it
    data = _write(tmp_path / "visits.csv", [
        ["id", "seen", "note"],
        ["1", "23.07.1971", "admitted 14/02/1945 via ED"],
        ["2", "31-12-2020", "review planned"],
        ["3", "", "score 13/13/2000 kept"],
    ])  # fmt: skip
    out, streams = _run_demo(tmp_path, data)
    copy = (out / "deidentified" / "dataset.csv").read_text(encoding="utf-8")
    for raw in ("23.07.1971", "14/02/1945", "31-12-2020"):
        assert raw not in copy, raw
        assert raw not in _every_output(out, streams)
    assert "score 13/13/2000 kept" in copy  # no calendar date either way: kept
    scan = rflow("phi", "scan", str(data), "--format", "json", cwd=tmp_path)
    assert scan.returncode == 0, scan.stderr
    dates = [f for f in json.loads(scan.stdout)["findings"] if f["category"] == "DATE"]
    assert len(dates) >= 3


def test_headers_in_other_languages_name_their_columns(tmp_path: Path) -> None:
    # a French, German and Canadian export: the headers name the identifier columns, accents and
    # all; the cells alone (one surname, a given name, digit groups) have no shape a pattern knows
    rows = [
        ["Nom", "Prénom", "Straße", "Geburtsort", "Téléphone", "SIN", "NHS number", "PLZ", "hba1c"],
        ["Lefèvre", "Françoise", "Kerkstraat 1", "Vlissingen", "01 42 68 53 00", "046 454 286", "943 476 5919",
         "10115", "6.1"],
        ["Dubœuf", "Noël", "rue Haute 5", "Wépion", "02 123 45 67", "130 692 544", "401 023 2137", "28013", "5.4"],
    ]  # fmt: skip
    data = tmp_path / "export.csv"
    data.write_bytes("\r\n".join(";".join(r) for r in rows).encode("cp1252") + b"\r\n")
    out, streams = _run_demo(tmp_path, data)
    copy = (out / "deidentified" / "dataset.csv").read_text(encoding="utf-8")
    for raw in ("Lefèvre", "Françoise", "Kerkstraat", "Vlissingen", "42 68 53 00", "046 454 286", "943 476 5919",
                "130 692 544", "401 023 2137", "10115", "Dubœuf", "Noël", "Wépion"):  # fmt: skip
        assert raw not in copy, raw
        assert raw not in _every_output(out, streams), raw
    assert copy.splitlines()[1].endswith(";6.1")  # a clinical column is kept as written


def test_a_label_before_a_national_number_in_digit_groups(tmp_path: Path) -> None:
    data = _write(tmp_path / "notes.csv", [["id", "note"], ["1", "SIN 046 454 286 on file; NHS no 943 476 5919"]])
    out, _ = _run_demo(tmp_path, data)
    copy = (out / "deidentified" / "dataset.csv").read_text(encoding="utf-8")
    assert "454" not in copy and "476" not in copy, copy


def test_national_numbers_and_bank_accounts_after_their_labels(tmp_path: Path) -> None:
    notes = [
        "IBAN DE89 3704 0044 0532 0130 00 for refunds",
        "Konto: DE89370400440532013000",
        "NINO QQ 12 34 56 C on the form",
        "BSN 111222333",
        "PESEL: 44051401359",
        "codice fiscale RSSMRA85T10A562S",
        "DNI 12345678Z",
        "NHS No: 943 476 5919",
    ]
    data = _write(tmp_path / "notes.csv", [["id", "note"], *[[str(i), n] for i, n in enumerate(notes)]])
    out, streams = _run_demo(tmp_path, data)
    copy = (out / "deidentified" / "dataset.csv").read_text(encoding="utf-8")
    for raw in ("3704 0044", "DE89370400440532013000", "12 34 56", "111222333", "44051401359", "RSSMRA85T10A562S",
                "12345678Z", "476 5919"):  # fmt: skip
        assert raw not in copy, raw
        assert raw not in _every_output(out, streams), raw
    assert "for refunds" in copy and "on the form" in copy


def test_national_phone_numbers_after_a_cue(tmp_path: Path) -> None:
    # outside North America a number is written with its trunk 0 and in groups of its own
    notes = ["tel 020 7946 0958 (home)", "Telefon: 030 1234567", "portable 06 12 34 56 78 le soir", "call 0171 1234567"]
    data = _write(tmp_path / "notes.csv", [["id", "note"], *[[str(i), n] for i, n in enumerate(notes)]])
    out, streams = _run_demo(tmp_path, data)
    copy = (out / "deidentified" / "dataset.csv").read_text(encoding="utf-8")
    for raw in ("7946 0958", "1234567", "12 34 56 78"):
        assert raw not in copy, raw
        assert raw not in _every_output(out, streams), raw
    assert "(home)" in copy and "le soir" in copy
