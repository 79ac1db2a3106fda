"""Memory of the data plane does not grow with the file: the same peak on a file four times as large.

upload, schema_check, validate and summary read a CSV in blocks; what they keep is bounded (value
counts up to ``max_categories``, the quantile reservoir, the ``k`` extremes), except validate's
``unique`` keys, which need memory per distinct key and are bounded by ``max_unique_keys`` (set low
here, so that bound holds too). The bundled study's rows are repeated with subject ids unique per
copy (as dense as the study, every key distinct) into two files, one four times the other; each
file is read by all four stages in a fresh subprocess, whose peak RSS growth over its start-up is
measured. The larger file may not take more than a few MB more than the smaller: a buffer or a
per-row structure that grows with the file would show as tens of MB here.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import textwrap
from pathlib import Path

from engine import bundled_path

ROOT = Path(__file__).resolve().parents[2]
CHILD = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    from engine import InputDataset
    from stages.dictionary import load_dictionary
    from stages.stage_01_upload import UploadConfig, profile_input
    from stages.stage_02_schema_check import SchemaCheckConfig, check_input
    from stages.stage_05_validate import ValidateConfig, collect_rules, validate_input
    from stages.stage_20_summary import SummaryConfig, column_statistics
    import polars  # imported before the baseline: its start-up is not the file's
    path = Path(sys.argv[1])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    profile, errors, _ = profile_input("dataset", InputDataset(name="dataset", path=str(path)), UploadConfig())
    assert profile is not None and profile.native_csv, errors
    dictionary = load_dictionary("bundled:demo_dictionary.yaml")
    config = ValidateConfig(dictionary="bundled:demo_dictionary.yaml", max_unique_keys=10_000)
    check_input(path, profile, dictionary, SchemaCheckConfig())
    result = validate_input(path, profile, dictionary, collect_rules(dictionary, config), config)
    assert result["rows_checked"] == profile.rows, result["rows_checked"]
    stats = column_statistics(path, SummaryConfig())
    assert stats, "no statistics"
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
""")


def _dense_csv(path: Path, megabytes: float) -> None:
    with bundled_path("demo_study.csv").open(encoding="utf-8", newline="") as fh:
        header, *body = list(csv.reader(fh))
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerow(header)
        copy = 0
        while out.tell() < megabytes * 1e6:
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows([f"{r[0]}-{copy}", *r[1:]] for r in body)
            out.write(buf.getvalue())
            copy += 1


def _growth_mb(path: Path) -> int:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return int(proc.stdout.strip().splitlines()[-1])


def test_four_times_the_file_takes_no_more_memory(tmp_path: Path) -> None:
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    _dense_csv(small, 16)
    _dense_csv(large, 64)
    grew_small, grew_large = _growth_mb(small), _growth_mb(large)
    assert grew_large - grew_small < 24, (grew_small, grew_large)
