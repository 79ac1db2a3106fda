"""Dates at the ends of the calendar (0001-01-01, 9999-12-31, 31/12/9999: sentinels of exports) in
the PHI scan and in deidentify's date shift and year.

The registry reads dates of the years 1870-2150 (docs/phi.md): a sentinel is no person's date, so
``rflow phi scan`` reports none, on both regex paths. In a date column deidentify shifts or
generalises it; a shift that would leave Python's calendar (before year 1, after 9999) writes no
date but the category token (counted as ``unparsed_dates``), never a traceback, the same on the
native core and on the Python path. A year before 1000 is written with four digits in a
dictionary's ``date_format``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from stages.stage_06_deidentify import DeidentifyConfig
from stages.stage_06_deidentify.transform import Transformer, written
from tests.phi.unseen_support import scan_cli_both

ROOT = Path(__file__).resolve().parents[2]
KEY = "sentinel-dates-test-key-0123456789"
SENTINELS = ["0001-01-01", "9999-12-31", "31/12/9999", "01/01/0001", "9999-12-31T23:59:59", "0001-01-01 00:00"]
ISO_OUT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9:]+)?")


def _run(tmp_path: Path, manifest: Path, data: Path, engine: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path / f"run-{manifest.stem}-{engine}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFLOW_PHI")}
    env.update(RFLOW_PHI_KEY=KEY, RFLOW_PHI_REGEX=engine, NO_COLOR="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "engine", "run", str(manifest), "--input", f"dataset={data}",
                           "--out", str(out)], capture_output=True, text=True, env=env, timeout=300,
                          stdin=subprocess.DEVNULL)  # fmt: skip
    return proc, out


def _deid_output(out: Path) -> dict:
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    [step] = [s for s in report["steps"] if s["step_id"] == "deidentify"]
    return step["output"]["inputs"]["dataset"]


def test_the_scan_reports_no_sentinel_date_on_either_path(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("id,end_date,note\n" + "".join(f'{i},{s},"valid until {s}, open"\n' for i, s in
                                                  enumerate(SENTINELS, 1)), encoding="utf-8")  # fmt: skip
    assert scan_cli_both(path, KEY, "--limit", "0") == []


@pytest.mark.parametrize("dates", ["shift", "year"])
def test_sentinels_in_a_date_column_are_shifted_or_replaced_never_a_traceback(tmp_path: Path, dates: str) -> None:
    # 150 subjects: a shift of up to 180 days either way pushes about half of each sentinel off the calendar
    data = tmp_path / "export.csv"
    rows = [f"P-{i:04d},{SENTINELS[i % 2]},{SENTINELS[4 + i % 2]},seen" for i in range(1, 151)]
    data.write_text("subject_id,visit_date,stop_date,note\n" + "\n".join(rows) + "\n", encoding="utf-8")
    manifest = tmp_path / f"{dates}.yaml"
    manifest.write_text((ROOT / "manifests/demo.yaml").read_text(encoding="utf-8").replace(
        "      dates: shift ", f"      dates: {dates} "), encoding="utf-8")  # fmt: skip
    copies = []
    for engine in ("auto", "re"):
        proc, out = _run(tmp_path, manifest, data, engine)
        text = proc.stdout + proc.stderr
        assert proc.returncode == 0 and "Traceback" not in text and "OverflowError" not in text, text
        cells = [line.split(",")[1:3] for line in (out / "deidentified/dataset.csv").read_text().splitlines()[1:]]
        flat = [c for pair in cells for c in pair]
        if dates == "year":
            assert set(flat) == {"1", "9999"}, set(flat)
        else:
            tokens = flat.count("[PHI:DATE]")
            assert 0 < tokens < len(flat)  # some moved inside the calendar, the others replaced
            assert all(c == "[PHI:DATE]" or ISO_OUT.fullmatch(c) for c in flat), flat
            assert not {c for c in flat} & set(SENTINELS)
            assert _deid_output(out)["replacements"]["unparsed_dates"] == tokens
        copies.append((out / "deidentified/dataset.csv").read_bytes())
    assert copies[0] == copies[1]  # the native core and the Python path write the same copy


def test_a_shift_off_the_calendar_is_no_date_and_a_small_year_keeps_four_digits() -> None:
    tx = Transformer(KEY.encode(), DeidentifyConfig(), None, 2026)
    assert tx.date("0001-01-01", "shift", None, -1) is None
    assert tx.date("9999-12-31T23:59", "shift", None, 1) is None
    assert tx.date("0001-01-01", "shift", None, 31) == "0001-02-01"
    assert tx.date("01/01/0001", "shift", "%d/%m/%Y", 31) == "01/02/0001"
    assert tx.date("31/12/9999", "shift", "%d/%m/%Y", 1) is None
    assert tx.date("02/01/0001", "shift", "%d/%m/%Y", -2) is None
    assert written(dt.date(12, 3, 4), "%Y%m%d (%%Y)") == "00120304 (%Y)"
