"""Key rotation through the real CLI: old audit logs still verify, and the crosswalk links deliveries."""

from __future__ import annotations

import csv
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from engine.phi.keyring import load_keyring
from engine.phi.schemes import PURPOSE_PSEUDONYM, pseudonym

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "engine" / "data" / "demo_study.csv"
NO_KEY_ENV = {k: v for k, v in os.environ.items() if not k.startswith("RFLOW_PHI_KEY")}


def rflow(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=cwd, env={**NO_KEY_ENV, **(env or {})},
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)


def small_input(tmp_path: Path, rows: int = 12) -> Path:
    lines = DEMO.read_text(encoding="utf-8").splitlines()[: rows + 1]
    path = tmp_path / "dataset.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def copy_subjects(run: Path) -> list[str]:
    report = json.loads((run / "report.json").read_text())
    deid = next(s for s in report["steps"] if s["step_id"] == "deidentify")["output"]
    with (run / deid["inputs"]["dataset"]["path"]).open(newline="", encoding="utf-8") as fh:
        return [row["subject_id"] for row in csv.DictReader(fh)]


@pytest.fixture
def ring(tmp_path: Path) -> Path:
    path = tmp_path / "keys.json"
    proc = rflow("phi", "keyring", "new", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return path


def test_rotation_keeps_old_logs_verifiable_and_the_crosswalk_links_deliveries(tmp_path: Path, ring: Path) -> None:
    data = small_input(tmp_path)
    env = {"RFLOW_PHI_KEYRING": str(ring)}
    old_id = load_keyring(ring).active
    first = rflow("run", "--input", f"dataset={data}", "--out", str(tmp_path / "a"), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert report["phi_key"]["key_id"] == old_id and report["phi_key"]["source"] == "keyring"
    assert report["audit"]["key_id"] == old_id
    sources = {s["step_id"]: s["output"].get("key_source") for s in report["steps"] if s["output"]}
    assert sources["phi_scan"] == sources["deidentify"] == report["phi_key_source"] == "keyring"
    assert old_id in (tmp_path / "a" / "audit.jsonl").read_text()
    secret = load_keyring(ring).active_key().key.decode()
    assert secret not in (tmp_path / "a" / "report.json").read_text() + (tmp_path / "a" / "audit.jsonl").read_text()

    rotated = rflow("phi", "keyring", "rotate", str(ring), cwd=tmp_path)
    assert rotated.returncode == 0 and old_id in rotated.stdout
    new_ring = load_keyring(ring)
    assert new_ring.active != old_id and new_ring.ids == [old_id, new_ring.active]
    second = rflow("run", "--input", f"dataset={data}", "--out", str(tmp_path / "b"), cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stdout + second.stderr

    for run in ("a", "b"):  # the old log verifies with the rotated ring, the new one too
        verify = rflow("audit", "verify", str(tmp_path / run), cwd=tmp_path, env=env)
        assert verify.returncode == 0, verify.stdout + verify.stderr
    old_subjects, new_subjects = copy_subjects(tmp_path / "a"), copy_subjects(tmp_path / "b")
    assert old_subjects != new_subjects

    out = tmp_path / "crosswalk.csv"
    log = tmp_path / "crosswalk-audit.jsonl"
    walk = rflow("phi", "crosswalk", str(data), "--column", "subject_id", "--from", old_id, "--out", str(out),
                 "--audit-log", str(log), "--approval", "pseudonym_crosswalk=XW-2026-01:2099-12-31",
                 cwd=tmp_path, env=env)
    assert walk.returncode == 0, walk.stdout + walk.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with out.open(newline="") as fh:
        pairs = dict((row["old_pseudonym"], row["new_pseudonym"]) for row in csv.DictReader(fh))
    assert [pairs[s] for s in old_subjects] == new_subjects
    raw = {row["subject_id"] for row in csv.DictReader(data.open(newline="", encoding="utf-8"))}
    old_sub = new_ring.find(old_id).subkey(PURPOSE_PSEUDONYM)  # type: ignore[union-attr]
    new_sub = new_ring.active_key().subkey(PURPOSE_PSEUDONYM)
    assert pairs == {pseudonym(old_sub, "SUBJECT_ID", v): pseudonym(new_sub, "SUBJECT_ID", v) for v in raw}
    assert not raw & set(out.read_text().split())  # no raw value in the crosswalk
    text = log.read_text()
    assert "crosswalk_written" in text and "XW-2026-01" in text and not any(v in text for v in raw)
    assert rflow("audit", "verify", str(log), cwd=tmp_path, env=env).returncode == 0


def test_crosswalk_without_approval_is_refused_and_recorded(tmp_path: Path, ring: Path) -> None:
    data = small_input(tmp_path, 3)
    env = {"RFLOW_PHI_KEYRING": str(ring)}
    key_id = load_keyring(ring).active
    log = tmp_path / "xw.jsonl"
    for approval in ([], ["--approval", "pseudonym_crosswalk=XW-1:2000-01-01"]):
        proc = rflow("phi", "crosswalk", str(data), "--column", "subject_id", "--from", key_id, "--out",
                     str(tmp_path / "x.csv"), "--audit-log", str(log), *approval, cwd=tmp_path, env=env)
        assert proc.returncode == 3, proc.stdout + proc.stderr
        assert "crosswalk refused" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.csv").exists()
    assert log.read_text().count("crosswalk_refused") == 2
    assert rflow("audit", "verify", str(log), cwd=tmp_path, env=env).returncode == 0


def test_log_of_a_key_the_ring_does_not_hold_needs_its_key(tmp_path: Path, ring: Path) -> None:
    data = small_input(tmp_path, 3)
    other = tmp_path / "other.json"
    assert rflow("phi", "keyring", "new", str(other), cwd=tmp_path).returncode == 0
    proc = rflow("run", "--only", "upload", "--input", f"dataset={data}", "--out", str(tmp_path / "a"),
                 cwd=tmp_path, env={"RFLOW_PHI_KEYRING": str(ring)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verify = rflow("audit", "verify", str(tmp_path / "a"), cwd=tmp_path, env={"RFLOW_PHI_KEYRING": str(other)})
    assert verify.returncode == 2 and "does not hold" in verify.stdout + verify.stderr


def test_keyring_from_a_key_file_keeps_its_key_id(tmp_path: Path) -> None:
    key_file = tmp_path / "old.key"
    assert rflow("phi", "keygen", "-o", str(key_file), cwd=tmp_path).returncode == 0
    from engine.phi.keys import PhiKey, read_key_file

    expected = PhiKey(read_key_file(key_file), "file").key_id
    proc = rflow("phi", "keyring", "new", str(tmp_path / "r.json"), "--from-key-file", str(key_file), cwd=tmp_path)
    assert proc.returncode == 0 and expected in proc.stdout
    assert load_keyring(tmp_path / "r.json").active == expected


def test_an_edited_keyring_is_refused(tmp_path: Path, ring: Path) -> None:
    doc = json.loads(ring.read_text())
    doc["keys"][0]["key"] = "f" * 30 + "0123456789abcdef" + doc["keys"][0]["key"][46:]
    ring.write_text(json.dumps(doc))
    ring.chmod(0o600)
    proc = rflow("phi", "keyring", "list", str(ring), cwd=tmp_path)
    assert proc.returncode == 2 and "does not match its key id" in proc.stderr
    assert doc["keys"][0]["key"] not in proc.stderr
