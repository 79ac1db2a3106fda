"""``rflow validate`` / ``plan`` / ``schema export`` through the real CLI, in a subprocess.

The subprocess uses the installed (built-in) stages, so the manifests here use only ``upload``;
everything else they exercise (YAML, schema, unknown stage) does not depend on which stages exist.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GOOD = """\
apiVersion: rflow/v1
kind: Pipeline
metadata: {name: cli-good, version: "1.0.0"}
inputs:
  - name: dataset
    format: csv
steps:
  - id: upload
    stage: upload
governance:
  default_mode: DEMO
  modes:
    DEMO: {steps: [upload], phi_policy: warn}
"""
WARN_ONLY = GOOD.replace("    stage: upload\n", "    stage: upload\n  - id: spare\n    stage: upload\n")
BAD_SCHEMA = GOOD.replace("    stage: upload\n", "    stage: upload\n    confg: {}\n").replace('"1.0.0"', "1.10")
BAD_STAGE = GOOD.replace("    stage: upload\n", "    stage: uplaod\n")
BAD_YAML = GOOD.replace("kind: Pipeline", "kind: [Pipeline")


def rflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    (root / "manifests" / "sub").mkdir(parents=True)
    (root / "manifests" / "good.yaml").write_text(GOOD)
    (root / "manifests" / "sub" / "schema.yml").write_text(BAD_SCHEMA)
    (root / "manifests" / "sub" / "stage.yaml").write_text(BAD_STAGE)
    (root / "manifests" / "notes.txt").write_text("not a manifest")
    (root / "other").mkdir()
    (root / "other" / "warn.yaml").write_text(WARN_ONLY)
    (root / "other" / "broken.yaml").write_text(BAD_YAML)
    return root


def test_clean_file_exits_0(tree: Path) -> None:
    res = rflow("validate", "manifests/good.yaml", cwd=tree)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout == "" and "1 manifest(s) checked: 0 error(s)" in res.stderr


def test_default_directory_recurses_and_reports_every_problem(tree: Path) -> None:
    res = rflow("validate", cwd=tree)
    assert res.returncode == 1
    lines = res.stdout.splitlines()
    assert "manifests/sub/schema.yml:3:37: error RF110 metadata.version: YAML read this unquoted value as a " \
           "number, expected text" in lines
    assert "manifests/sub/schema.yml:10:5: error RF201 unexpected key 'confg' in steps[0]" in lines
    assert "    hint: did you mean 'config'?" in lines
    assert any(line.startswith("manifests/sub/stage.yaml:9:12: error RF301 unknown stage 'uplaod'") for line in lines)
    assert "notes.txt" not in res.stdout
    assert "3 manifest(s) checked: 3 error(s), 0 warning(s)" in lines


def test_json_format(tree: Path) -> None:
    res = rflow("validate", "--format", "json", "manifests", "other/broken.yaml", cwd=tree)
    assert res.returncode == 1
    items = json.loads(res.stdout)
    got = {(Path(i["file"]).name, i["line"], i["col"], i["code"], i["severity"]) for i in items}
    assert got == {("schema.yml", 3, 37, "RF110", "error"), ("schema.yml", 10, 5, "RF201", "error"),
                   ("stage.yaml", 9, 12, "RF301", "error"), ("broken.yaml", 3, 9, "RF104", "error")}
    assert all(set(i) >= {"message", "hint", "end_line", "end_col", "path"} for i in items)


def test_github_format_and_glob(tree: Path) -> None:
    res = rflow("validate", "--format", "github", "manifests/**/*.yaml", cwd=tree)
    assert res.returncode == 1
    assert res.stdout.splitlines() == [
        "::error file=manifests/sub/stage.yaml,line=9,col=12,endLine=9,endColumn=18,title=RF301::RF301 unknown "
        "stage 'uplaod' (hint: did you mean upload? (see `rflow stages list`))",
    ]


def test_warnings_exit_0_unless_strict(tree: Path) -> None:
    res = rflow("validate", "other/warn.yaml", cwd=tree)
    assert res.returncode == 0
    assert "other/warn.yaml:10:5: warning RF311 step 'spare' is not used by any mode" in res.stdout
    assert rflow("validate", "--strict", "other/warn.yaml", cwd=tree).returncode == 1


def test_usage_and_io_errors_exit_2(tree: Path) -> None:
    missing = rflow("validate", "nope.yaml", cwd=tree)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert rflow("validate", "--format", "xml", cwd=tree).returncode == 2
    assert rflow("plan", "other/warn.yaml", "--mode", "LIVE", cwd=tree).returncode == 2


def test_plan_text_and_json(tree: Path) -> None:
    res = rflow("plan", "manifests/good.yaml", cwd=tree)
    assert res.returncode == 0, res.stderr
    assert "mode DEMO" in res.stdout and "1. upload" in res.stdout and "nothing was run" in res.stdout
    data = json.loads(rflow("plan", "manifests/good.yaml", "--format", "json", cwd=tree).stdout)
    assert data["mode"] == "DEMO" and [s["id"] for s in data["steps"]] == ["upload"]
    assert data["steps"][0]["stage"]["key"] == "upload" and data["steps"][0]["reads"] == ["input_dataset"]
    bad = rflow("plan", "manifests/sub/stage.yaml", cwd=tree)
    assert bad.returncode == 1 and "RF301" in bad.stderr


def test_schema_export_checks_stage_configs(tree: Path) -> None:
    out = tree / "bundled.json"
    assert rflow("schema", "export", "--out", str(out), cwd=tree).returncode == 0
    schema = json.loads(out.read_text())
    rules = schema["$defs"]["step"]["allOf"]
    assert any(r["if"]["properties"]["stage"]["anyOf"][0] == {"const": 1} for r in rules)
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    good = {"apiVersion": "rflow/v1", "kind": "Pipeline", "metadata": {"name": "x", "version": "1.0.0"},
            "steps": [{"id": "u", "stage": "upload@1", "config": {"max_bytes": "1GiB"}}],
            "governance": {"default_mode": "D", "modes": {"D": {"steps": ["u"]}}}}
    assert list(validator.iter_errors(good)) == []
    good["steps"][0]["config"] = {"max_bytez": 1}
    [error] = validator.iter_errors(good)
    assert list(error.absolute_path) == ["steps", 0, "config"] and error.validator == "additionalProperties"


def test_parallel_jobs_give_the_same_output(tree: Path, tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    for i in range(30):
        (batch / f"m{i:02d}.yaml").write_text([GOOD, BAD_SCHEMA, BAD_STAGE][i % 3])
    serial = rflow("validate", "--format", "json", "-j", "1", str(batch), cwd=tree)
    parallel = rflow("validate", "--format", "json", "-j", "2", str(batch), cwd=tree)
    assert serial.returncode == parallel.returncode == 1
    assert json.loads(serial.stdout) == json.loads(parallel.stdout)
    assert len(json.loads(serial.stdout)) == 30


HOSTILE = {
    # each validated clean or crashed the whole command before
    "nan.yaml": GOOD.replace("    stage: upload\n", "    stage: upload\n    timeout_s: .nan\n"),
    "directive.yaml": "%YAML 1.2\n---\n" + GOOD,
    "tag.yaml": "%TAG ! tag:example.com,2000:\n---\n" + GOOD,
    "deep_gate.yaml": GOOD.replace("phi_policy: warn}", "phi_policy: warn, gates: {upload: '"
                                   + "(" * 200 + "run.x == 1" + ")" * 200 + "'}}"),
    "escape.yaml": GOOD.replace("name: cli-good", 'name: cli-good, description: "\\x1b[2J"'),
    "date.yaml": GOOD.replace("name: cli-good", "name: cli-good, description: 2027-02-30"),
}


def test_validate_dir_reports_every_hostile_file(tmp_path: Path) -> None:
    for name, text in HOSTILE.items():
        (tmp_path / "m" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "m" / name).write_text(text, "utf-8")
    (tmp_path / "m" / "good.yaml").write_text(GOOD, "utf-8")
    res = rflow("validate", "--format", "json", "m", cwd=tmp_path)
    assert res.returncode == 1 and "internal error" not in res.stderr, res.stderr
    found = {Path(d["file"]).name: d["code"] for d in json.loads(res.stdout)}
    assert found == {"nan.yaml": "RF113", "directive.yaml": "RF115", "tag.yaml": "RF115",
                     "deep_gate.yaml": "RF313", "escape.yaml": "RF114", "date.yaml": "RF104"}


def test_validate_dir_isolates_each_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """An unexpected failure on one file is that file's RF119; the others are still checked."""
    import engine.manifest as api
    from engine.cli import main

    for name in ("a.yaml", "b.yaml", "c.yaml"):
        (tmp_path / name).write_text(GOOD.replace("stage: upload", "stage: uplaod"), "utf-8")
    real = api.analyze

    def flaky(path: object, **kw: object) -> object:
        if str(path).endswith("b.yaml"):
            raise RecursionError("boom")
        return real(path, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "analyze", flaky)
    code = main(["validate", "--format", "json", str(tmp_path)])
    found = {Path(d["file"]).name: d["code"] for d in json.loads(capsys.readouterr().out)}
    assert code == 1 and found == {"a.yaml": "RF301", "b.yaml": "RF119", "c.yaml": "RF301"}


def test_non_utf8_file_names_are_shown_escaped(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/bad-\xff\xfe.yaml"
    with open(raw, "wb") as fh:
        fh.write(BAD_STAGE.encode())
    for fmt in ("text", "json", "github"):
        res = subprocess.run([sys.executable, "-m", "engine", "validate", "--format", fmt, os.fsdecode(raw)],
                             cwd=tmp_path, capture_output=True, timeout=120)
        assert res.returncode == 1, res.stderr
        assert b"internal error" not in res.stderr and b"\\xff\\xfe" in res.stdout.replace(b"\\\\", b"\\")
        res.stdout.decode("utf-8")  # the output itself is valid UTF-8
