from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from engine.audit import AuditLog, verify_log


def write_log(path: Path, n: int = 5) -> None:
    log = AuditLog(path)
    for i in range(n):
        log.append("step_finished", step=f"s{i}", status="completed", note="MRN: 00482913")


def test_chain_verifies_and_resumes_across_instances(tmp_path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 3)
    write_log(path, 2)  # a new AuditLog continues the same chain
    result = verify_log(path)
    assert result.ok and result.entries == 5
    assert "00482913" not in path.read_text()  # entries are sanitized


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def test_edited_entry_is_detected(tmp_path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path)
    lines = _lines(path)
    entry = json.loads(lines[2])
    entry["data"]["status"] = "failed"
    lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
    path.write_text("".join(lines))
    result = verify_log(path)
    assert not result.ok and result.line == 3 and "edited" in result.problem


def test_removed_and_reordered_entries_are_detected(tmp_path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path)
    lines = _lines(path)
    path.write_text("".join(lines[:1] + lines[2:]))
    assert verify_log(path).line == 2
    path.write_text("".join([lines[1], lines[0], *lines[2:]]))
    assert verify_log(path).line == 1


def test_cli_verify_exit_codes(tmp_path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path)
    ok = subprocess.run([sys.executable, "-m", "engine", "audit", "verify", str(tmp_path)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and "chain intact" in ok.stdout
    lines = _lines(path)
    path.write_text("".join(lines[:3]) + lines[3].replace("s3", "s9") + "".join(lines[4:]))
    bad = subprocess.run([sys.executable, "-m", "engine", "audit", "verify", str(path)],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and f"{path}:4: broken" in bad.stdout
    missing = subprocess.run([sys.executable, "-m", "engine", "audit", "verify", str(tmp_path / "nope")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
