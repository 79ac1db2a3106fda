"""``geography: keep`` (a Limited Data Set) keeps US ZIPs only: a ZIP column holding postcodes from
elsewhere (UK, Canada, the Netherlands) or an address fails the step closed, with one line of counts
and rows, and leaves no copy; a column of US ZIPs (also ZIP+4, a ZIP3, a number that lost its leading
zero, empty and missing cells) is kept as written. A real ``rflow run`` on both regex paths.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.core import exitcodes

ROOT = Path(__file__).resolve().parents[2]
APPROVALS = """approvals:
  - kind: data_use_agreement
    reference: DUA-2026-007
    recipient: Example University
    expires: 2099-06-30
    scope: [dataset]
"""
FOREIGN = ["SW1A 1AA", "K1A 0B1", "1012 AB", "3511LX", "EC1A1BB", "12 Elm Street", "H3Z 2Y7"]
US = ["02139", "02139-4307", "021", "2139", "", "n/a", "90210"]


def _run(tmp_path: Path, zips: list[str], engine: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    manifest = tmp_path / "lds.yaml"
    text = (ROOT / "manifests/demo.yaml").read_text(encoding="utf-8")
    keep = "      geography: keep\n      profile: limited_data_set\n"
    text = text.replace("      dates: shift ", keep + "      dates: shift ")
    manifest.write_text(text.replace("identifiers: pseudonym ", "identifiers: drop      "), encoding="utf-8")
    (tmp_path / "approvals.yaml").write_text(APPROVALS, encoding="utf-8")
    data = tmp_path / "export.csv"
    data.write_text("subject_id,zip,note\n" + "".join(f'P-{i:04d},"{z}",seen\n' for i, z in enumerate(zips, 1)),
                    encoding="utf-8")
    out = tmp_path / f"run-{engine}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFLOW_PHI")}
    env.update(RFLOW_PHI_KEY="kept-zip-test-key-0123456789", RFLOW_PHI_REGEX=engine, NO_COLOR="1")
    proc = subprocess.run([sys.executable, "-m", "engine", "run", str(manifest), "--input", f"dataset={data}",
                           "--approvals", str(tmp_path / "approvals.yaml"), "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)
    return proc, out


@pytest.mark.parametrize("engine", ["auto", "re"])
def test_a_kept_zip_column_of_postcodes_fails_closed(tmp_path: Path, engine: str) -> None:
    proc, out = _run(tmp_path, US[:2] + FOREIGN, engine)
    text = proc.stdout + proc.stderr
    assert proc.returncode == exitcodes.FAILED and "Traceback" not in text, text
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    [step] = [s for s in report["steps"] if s["step_id"] == "deidentify"]
    assert step["status"] == "failed"
    assert step["errors"] == [f"input 'dataset': {len(FOREIGN)} cell(s) of the ZIP column(s) kept by geography: "
                              "keep are not a 5-digit US ZIP (rows 3, 4, 5, 6, 7, ...); the copy was deleted"]
    assert step["output"]["inputs"]["dataset"]["path"] is None
    assert not list((out / "deidentified").glob("*"))
    shown = text + (out / "report.json").read_text(encoding="utf-8") + (out / "audit.jsonl").read_text()
    assert not [z for z in FOREIGN if z in shown]


@pytest.mark.parametrize("engine", ["auto", "re"])
def test_a_kept_zip_column_of_us_zips_is_kept(tmp_path: Path, engine: str) -> None:
    proc, out = _run(tmp_path, US, engine)
    assert proc.returncode == exitcodes.OK, proc.stdout + proc.stderr
    rows = (out / "deidentified" / "dataset.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert [r.split(",")[1].strip('"') for r in rows] == US
