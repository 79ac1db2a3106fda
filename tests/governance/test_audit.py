"""The anchored audit log: chain, keying, runs, report anchor, shared logs and torn tails."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi.keys import PhiKey, derive_subkey
from engine.reporting.audit import GENESIS, AuditKeying, AuditLog, AuditLogError
from engine.reporting.audit_verify import verify_log

KEY = PhiKey(b"audit-test-key-0123456789abcdefg", "explicit")
OTHER_KEY = PhiKey(b"other-audit-key-9876543210zyxwv", "explicit")
ROOT = Path(__file__).resolve().parents[2]


def write_log(path: Path, n: int = 5, keying: AuditKeying | None = None) -> None:
    log = AuditLog(path, keying)
    for i in range(n):
        log.append("step_finished", step=f"s{i}", status="completed", note="MRN: 00482913")
    log.close()


def write_run(path: Path, run_id: str = "run-1", steps: int = 3, keying: AuditKeying | None = None,
              finish: bool = True) -> dict[str, Any]:
    """A run's entries as rflow writes them; returns the report's anchor after the last one."""
    log = AuditLog(path, keying)
    log.append("run_started", run_id=run_id, mode="DEMO")
    for i in range(steps):
        log.append("step_started", run_id=run_id, step=f"s{i}")
        log.append("step_finished", run_id=run_id, step=f"s{i}", status="completed")
    if finish:
        log.append("run_finished", run_id=run_id, status="completed", exit_code=0)
    log.close()
    return {**log.keying.describe(), "entries": log.head[0], "head": log.head[1]}


def rflow(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("RFLOW_PHI_KEY")}
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True,
                          env={**full, **(env or {})}, cwd=cwd, timeout=240, stdin=subprocess.DEVNULL)


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def _rehash(entries: list[dict[str, Any]], keying: AuditKeying) -> list[str]:
    """An attacker's full rewrite: every link and hash recomputed with ``keying``."""
    prev, out = GENESIS, []
    for seq, entry in enumerate(entries, start=1):
        entry = {**entry, "seq": seq, "prev": prev}
        entry["hash"] = keying.digest(entry)
        prev = entry["hash"]
        out.append(json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n")
    return out


def test_chain_verifies_and_resumes_across_instances(tmp_path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 3)
    write_log(path, 2)  # a new AuditLog continues the same chain
    result = verify_log(path)
    assert result.ok and result.entries == 6  # the log_started header and five entries
    assert json.loads(_lines(path)[0])["event"] == "log_started"
    assert "00482913" not in path.read_text()  # entries are sanitized


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


@pytest.fixture(scope="module")
def run_log(tmp_path_factory) -> tuple[list[str], dict[str, Any]]:
    path = tmp_path_factory.mktemp("run") / "audit.jsonl"
    anchor = write_run(path, steps=4)
    return _lines(path), anchor


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=1, max_value=10), anchored=st.booleans())
def test_any_truncation_is_detected(tmp_path, run_log, cut, anchored) -> None:
    lines, anchor = run_log
    path = tmp_path / "audit.jsonl"
    path.write_text("".join(lines[:-cut]))
    result = verify_log(path, anchor=anchor if anchored else None)
    assert not result.ok
    texts = " ".join(p.text for p in result.problems)
    assert "unfinished" in texts or "cut" in texts  # the run_finished that closes the run is gone
    if anchored:
        assert "removed from its end" in texts


@st.composite
def mutations(draw: st.DrawFn, n: int) -> tuple[str, int, int]:
    kind = draw(st.sampled_from(["delete", "duplicate", "swap", "flip"]))
    i = draw(st.integers(0, n - 1))
    j = draw(st.integers(0, n - 1).filter(lambda j: j != i))
    return kind, i, j


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_edit_of_a_log_is_detected(tmp_path, run_log, data) -> None:
    lines, anchor = run_log
    kind, i, j = data.draw(mutations(len(lines)))
    changed = list(lines)
    if kind == "delete":
        del changed[i]
    elif kind == "duplicate":
        changed.insert(j, lines[i])
    elif kind == "swap":
        changed[i], changed[j] = changed[j], changed[i]
    else:  # one character of a line replaced by another
        at = data.draw(st.integers(0, len(lines[i]) - 2))
        char = data.draw(st.characters(codec="ascii", exclude_characters="\n").filter(lambda c: c != lines[i][at]))
        changed[i] = lines[i][:at] + char + lines[i][at + 1:]
    path = tmp_path / "audit.jsonl"
    path.write_text("".join(changed))
    assert not verify_log(path, anchor=anchor).ok, (kind, i, j)


def test_empty_log_is_not_intact(tmp_path, run_log) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text("")
    assert not verify_log(path).ok
    assert "empty" in verify_log(path, anchor=run_log[1]).problem


def _forged(last_line: str, keying: AuditKeying) -> str:
    last = json.loads(last_line)
    forged = {"seq": last["seq"] + 1, "ts": last["ts"], "event": "step_finished",
              "data": {"run_id": "run-1", "step": "s9", "status": "completed"}, "prev": last["hash"]}
    forged["hash"] = keying.digest(forged)
    return json.dumps(forged, sort_keys=True, separators=(",", ":")) + "\n"


def test_appended_forged_entry_is_detected(tmp_path, run_log) -> None:
    lines, anchor = run_log
    path = tmp_path / "audit.jsonl"
    path.write_text("".join(lines) + _forged(lines[-1], AuditKeying.plain()))
    bare = verify_log(path)
    assert not bare.ok and "after its run_finished" in bare.problem
    texts = " ".join(p.text for p in verify_log(path, anchor=anchor).problems)
    assert "appended" in texts


def test_forged_entry_in_a_keyed_log_is_detected_by_its_mac(tmp_path) -> None:
    path = tmp_path / "audit.jsonl"
    keying = AuditKeying.from_phi_key(KEY)
    log = AuditLog(path, keying)
    log.append("note", text="first")
    log.close()
    lines = _lines(path)
    # correct prev, correct sequence number, recomputed plain hash: only the key could make it valid
    path.write_text("".join(lines) + _forged(lines[-1], AuditKeying.plain()))
    result = verify_log(path, key=KEY)
    assert not result.ok and result.line == 3 and "hash" in result.problem


def test_full_rewrite_is_detected_with_a_key_and_not_without(tmp_path, run_log) -> None:
    lines, _ = run_log
    entries = [json.loads(line) for line in lines]
    entries[3]["data"]["status"] = "failed"
    path = tmp_path / "audit.jsonl"
    rewritten = _rehash(entries, AuditKeying.plain())
    path.write_text("".join(rewritten))
    forged_anchor = {"alg": "sha256", "entries": len(rewritten), "head": json.loads(rewritten[-1])["hash"]}
    unkeyed = verify_log(path, anchor=forged_anchor)
    assert unkeyed.ok  # the documented limit of a log without a key
    assert any("full rewrite" in note and "not" in note for note in unkeyed.notes)

    keyed_path = tmp_path / "keyed.jsonl"
    write_run(keyed_path, keying=AuditKeying.from_phi_key(KEY))
    entries = [json.loads(line) for line in _lines(keyed_path)]
    entries[3]["data"]["status"] = "failed"
    for attacker in (AuditKeying.plain(), AuditKeying.from_phi_key(OTHER_KEY)):
        keyed_path.write_text("".join(_rehash(entries, attacker)))
        assert not verify_log(keyed_path, key=KEY).ok
    # a downgrade to plain SHA-256 headers is refused when a key is configured
    downgraded = [{**e, "data": {k: v for k, v in e["data"].items() if k != "key_id"}} for e in entries]
    downgraded[0]["data"]["alg"] = "sha256"
    keyed_path.write_text("".join(_rehash(downgraded, AuditKeying.plain())))
    result = verify_log(keyed_path, key=KEY)
    assert not result.ok and "not keyed" in result.problem
    assert verify_log(keyed_path, key=KEY, allow_unkeyed=True).ok


def test_keyed_log_names_its_key_id_never_the_key(tmp_path) -> None:
    path = tmp_path / "audit.jsonl"
    keying = AuditKeying.from_phi_key(KEY)
    write_run(path, keying=keying)
    header = json.loads(_lines(path)[0])
    assert header["data"] == {"format": "rflow/audit/v2", "alg": "hmac-sha256", "key_id": keying.key_id}
    assert KEY.key.decode() not in path.read_text()
    # the audit MAC key is an HKDF subkey: the verifier never holds the key used for pseudonyms
    assert keying.mac_key == derive_subkey(KEY, b"rflow/audit-mac/v1") != KEY.key
    assert verify_log(path, key=KEY).ok
    assert verify_log(path).needs_key and verify_log(path, key=OTHER_KEY).needs_key


def test_derive_subkey_is_rfc5869_hkdf_sha256() -> None:
    # RFC 5869 test case 3 (no salt, no info)
    expected = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    assert derive_subkey(b"\x0b" * 22, b"", 42).hex() == expected
    assert derive_subkey(KEY, b"a") != derive_subkey(KEY, b"b")


def test_unfinished_run_is_reported(tmp_path) -> None:
    path = tmp_path / "audit.jsonl"
    write_run(path, run_id="killed-run", finish=False)
    result = verify_log(path)
    assert not result.ok and "run killed-run is unfinished" in result.problem


def test_torn_tail_starts_a_segment_and_verifies(tmp_path) -> None:
    path = tmp_path / "shared.jsonl"
    write_run(path, run_id="a")
    torn_at = path.stat().st_size
    with path.open("ab") as handle:
        handle.write(b'{"seq": 99, "event": "step_fin')  # a writer died mid-line
    log = AuditLog(path)
    log.append("run_started", run_id="b")
    log.append("run_finished", run_id="b", status="completed")
    log.close()
    assert len(log.notices) == 1 and f"byte {torn_at}" in log.notices[0]
    segment = json.loads(_lines(path)[-3])
    assert segment["event"] == "segment_started" and segment["data"]["torn_at_byte"] == torn_at
    result = verify_log(path)
    assert result.ok, result.problems
    assert any("torn entry" in note for note in result.notes)
    # an unacknowledged torn line is damage
    with path.open("ab") as handle:
        handle.write(b"garbage\n")
    log = AuditLog(path)
    log.append("note")
    log.close()
    lines = _lines(path)
    path.write_text("".join(lines[:-2] + lines[-1:]))  # drop the segment entry
    assert not verify_log(path).ok


def test_a_shared_log_keeps_its_keying(tmp_path) -> None:
    path = tmp_path / "shared.jsonl"
    write_log(path, 1)
    with pytest.raises(AuditLogError, match="not keyed"):
        AuditLog(path, AuditKeying.from_phi_key(KEY))
    keyed = tmp_path / "keyed.jsonl"
    write_log(keyed, 1, AuditKeying.from_phi_key(KEY))
    with pytest.raises(AuditLogError, match="keyed"):
        AuditLog(keyed, AuditKeying.from_phi_key(OTHER_KEY))


APPENDER = """
import sys
from engine.reporting.audit import AuditLog
log = AuditLog(sys.argv[1])
for i in range(int(sys.argv[3])):
    log.append("run_started" if i == 0 else "step_finished", run_id=sys.argv[2], i=i)
log.append("run_finished", run_id=sys.argv[2], status="completed")
"""


def test_concurrent_writers_keep_one_chain(tmp_path) -> None:
    path = tmp_path / "shared.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, str(path), f"w{n}", "40"], cwd=ROOT)
             for n in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    result = verify_log(path)
    assert result.ok, result.problems
    assert result.entries == 1 + 4 * 41 and result.runs == 4


def test_cli_verify_exit_codes(tmp_path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path)
    ok = rflow("audit", "verify", str(tmp_path))
    assert ok.returncode == 0 and "chain intact" in ok.stdout
    lines = _lines(path)
    path.write_text("".join(lines[:3]) + lines[3].replace("s2", "s9") + "".join(lines[4:]))
    bad = rflow("audit", "verify", str(path))
    assert bad.returncode == 1 and f"{path}:4: broken" in bad.stdout
    missing = rflow("audit", "verify", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    path.write_text("")
    empty = rflow("audit", "verify", str(path))
    assert empty.returncode == 1 and "empty" in empty.stdout
    keyed = tmp_path / "keyed" / "audit.jsonl"
    write_run(keyed, keying=AuditKeying.from_phi_key(KEY))
    assert rflow("audit", "verify", str(keyed)).returncode == 2  # needs its key
    good = rflow("audit", "verify", str(keyed), env={"RFLOW_PHI_KEY": KEY.key.decode()})
    assert good.returncode == 0 and "keyed (hmac-sha256" in good.stdout
    unfinished = tmp_path / "unfinished.jsonl"
    write_run(unfinished, finish=False)
    out = rflow("audit", "verify", str(unfinished))
    assert out.returncode == 1 and "unfinished" in out.stdout


def _demo(out: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return rflow("run", "--out", str(out), *extra, env=env, cwd=out.parent)


def test_report_anchors_the_run_log_and_run_finished_closes_it(tmp_path) -> None:
    key = "an-audit-test-key-0123456789"
    proc = _demo(tmp_path / "run", env={"RFLOW_PHI_KEY": key})
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    lines = _lines(tmp_path / "run" / "audit.jsonl")
    last = json.loads(lines[-1])
    assert last["event"] == "run_finished"
    keying = AuditKeying.from_phi_key(PhiKey(key.encode(), "env"))
    assert report["audit"] == {"alg": "hmac-sha256", "key_id": keying.key_id, "entries": len(lines),
                               "head": last["hash"]}
    assert key not in json.dumps(report) and hashlib.sha256(key.encode()).hexdigest() not in json.dumps(report)
    # the last line removed, and the report rewritten to match: only the key detects it
    (tmp_path / "run" / "audit.jsonl").write_text("".join(lines[:-1]))
    cut = rflow("audit", "verify", str(tmp_path / "run"), env={"RFLOW_PHI_KEY": key})
    assert cut.returncode == 1 and "removed from its end" in cut.stdout and "unfinished" in cut.stdout


def test_three_runs_share_one_audit_log(tmp_path) -> None:
    shared = tmp_path / "shared.jsonl"
    procs = [subprocess.Popen([sys.executable, "-m", "engine", "run", "--out", str(tmp_path / f"r{n}"),
                               "--audit-log", str(shared)], cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for n in range(3)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    verify = rflow("audit", "verify", str(shared))
    assert verify.returncode == 0, verify.stdout
    assert verify_log(shared).runs == 3


def test_torn_shared_log_is_reported_not_an_internal_error(tmp_path) -> None:
    shared = tmp_path / "shared.jsonl"
    assert _demo(tmp_path / "r1", "--audit-log", str(shared)).returncode == 0
    with shared.open("ab") as handle:
        handle.write(b'{"seq": 3, "ev')
    proc = _demo(tmp_path / "r2", "--audit-log", str(shared))
    assert proc.returncode == 0, proc.stderr
    assert "internal error" not in proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "torn" in line]
    assert len(warnings) == 1 and warnings[0].startswith("rflow: warning:")
    verify = rflow("audit", "verify", str(shared))
    assert verify.returncode == 0, verify.stdout
    assert "torn entry" in verify.stdout


def test_a_keyed_run_refuses_an_unkeyed_shared_log(tmp_path) -> None:
    shared = tmp_path / "shared.jsonl"
    write_log(shared, 1)
    proc = _demo(tmp_path / "r", "--audit-log", str(shared), env={"RFLOW_PHI_KEY": "a-keyed-run-test-key-0123"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "not keyed" in proc.stderr


def test_runs_cut_off_a_shared_log_are_detected_against_their_report(tmp_path) -> None:
    shared = tmp_path / "shared.jsonl"
    for name in ("r1", "r2"):
        assert _demo(tmp_path / name, "--audit-log", str(shared)).returncode == 0
    first = json.loads((tmp_path / "r1" / "report.json").read_text())["audit"]["shared"]
    lines = _lines(shared)
    assert json.loads(lines[first["entries"] - 1])["hash"] == first["head"]
    shared.write_text("".join(lines[:first["entries"]]))  # the whole second run removed
    assert rflow("audit", "verify", str(shared)).returncode == 0  # a cut at a run boundary: not by itself
    proc = rflow("audit", "verify", str(shared), "--report", str(tmp_path / "r1"), "--report", str(tmp_path / "r2"))
    assert proc.returncode == 1 and "removed from its end" in proc.stdout and "[anchor of run" in proc.stdout
