"""The rescan reads the copy's header cell by cell: one header's cue never takes the next header as its value.

A header line is not a sentence: ``Fingerprint template,ICD-10`` read as one text is a cue and a
six-character id with a digit, a false residual that fails LIVE. Hypothesis puts headers that end
in a cue word (identifier columns exports name so) before code-like clinical headers, over
clean numeric cells; LIVE must complete with no residual. A header cell of the copy that still
holds PHI (only possible past the header check, so simulated here on the copy) is still counted.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stages  # noqa: F401 - registers the built-in stages
from engine.testing import run_stages
from stages.stage_06_deidentify.rescan import rescan_header

CUE_HEADERS = ["Fingerprint template", "Photo file", "Retina scan", "Voiceprint", "Contact Tel", "Mobile",
               "Insurance No.", "Licence", "Birth Cert", "Implant S/N", "Billing Acct", "Fax", "MRN", "Pager"]
CODE_HEADERS = ["ICD-10", "LOINC", "HbA1c", "SpO2", "A1C-2h", "CD4-abs", "T4-free", "GCS-15", "PHQ-9", "BP-sys",
                "Visit-2", "Week12", "V2-dose", "QTc-ms"]  # fmt: skip


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=st.lists(st.tuples(st.sampled_from(CUE_HEADERS), st.sampled_from(CODE_HEADERS)), min_size=1,
                      max_size=3, unique_by=lambda p: p[0]))
def test_a_cue_header_before_a_code_header_is_no_residual(pairs: list[tuple[str, str]]) -> None:
    codes = list(dict.fromkeys(c for _, c in pairs))
    header = ["record_id", *(cue for cue, _ in pairs), *codes]
    with tempfile.TemporaryDirectory() as tmp:
        src, ws = Path(tmp) / "a.csv", Path(tmp) / "run"
        ws.mkdir()
        with src.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            # The cue and code headers interleaved: each cue header right before a code header.
            order = ["record_id"]
            for cue, code in pairs:
                order += [cue, code] if code not in order else [cue]
            order += [c for c in codes if c not in order]
            assert sorted(order) == sorted(header)
            w.writerow(order)
            for i in range(12):
                w.writerow([f"R{i:03d}", *("" if h in dict(pairs) else f"{i % 7}.{i % 3}" for h in order[1:])])
        r = run_stages(["upload", "deidentify"], src, ws, {"deidentify": {}}, mode="LIVE")
    result = r.result("deidentify")
    rescan = result.output["inputs"]["dataset"]["rescan"] if result.output else {}
    assert result.status.value == "completed", (result.errors, rescan)
    assert rescan["residual_findings"] == 0, rescan


def test_a_header_cell_that_holds_phi_is_still_counted(tmp_path: Path) -> None:
    copy = tmp_path / "copy.csv"
    header = "record_id,SSN 512-73-4891,Margaret Okonkwo,ICD-10\n"
    copy.write_text(header + "1,2,3,4\n", encoding="utf-8")
    found = rescan_header(copy, len(header.encode()), {}, b"k" * 32)
    assert found["by_category"] == {"NAME": 1, "SSN": 1} and found["first_rows"] == [0], found
    semicolons = tmp_path / "semi.csv"
    semicolons.write_text(header.replace(",", ";") + "1;2;3;4\n", encoding="utf-8")
    found = rescan_header(semicolons, len(header.encode()), {}, b"k" * 32, delimiter=";")
    assert found["by_category"] == {"NAME": 1, "SSN": 1}, found
