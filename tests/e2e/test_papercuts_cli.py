"""What a new user trips over, through the real CLI: a data file where the manifest goes, and the
optional reads of ``rflow stages list``."""

from __future__ import annotations

import json

import pytest

from .conftest import rflow


@pytest.mark.parametrize("name", ["patients.csv", "visits.TSV", "events.jsonl", "notes.txt"])
def test_a_data_file_given_as_the_manifest_hints_at_input(tmp_path, name: str) -> None:
    (tmp_path / name).write_text("id,name\n1,a\n", encoding="utf-8")
    proc = rflow("run", name, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    hint = proc.stderr.splitlines()[-1]
    assert hint.startswith("rflow: hint: ") and f"--input dataset={name}" in hint, proc.stderr
    assert not (tmp_path / "rflow-runs").exists()


def test_a_broken_manifest_gets_no_data_file_hint(tmp_path) -> None:
    (tmp_path / "pipeline.yaml").write_text("just text\n", encoding="utf-8")
    proc = rflow("run", "pipeline.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and "hint: " not in proc.stderr.splitlines()[-1]


def test_stages_list_shows_every_optional_read(tmp_path) -> None:
    described = json.loads(rflow("stages", "list", "--format", "json", cwd=tmp_path).stdout)
    optional = {(s["key"], r) for s in described for r in s["optional_reads"]}
    assert optional  # the built-in summary and deidentify stages have some
    table = rflow("stages", "list", cwd=tmp_path).stdout.splitlines()
    rows = {line.split()[1]: line for line in table[1:] if line.strip() and line.split()[0].isdigit()}
    for key, read in optional:
        assert f"{read}?" in rows[key].split()[3].split(","), rows[key]
    assert any("optional" in line for line in table)
