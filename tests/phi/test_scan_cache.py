"""Nothing the scanner trusts comes from a cache folder; the digest cache never changes a digest.

A compiled matcher read from a writable cache folder (``$RFLOW_CACHE_DIR``, ``$XDG_CACHE_HOME/rflow``,
``~/.cache/rflow``) would decide where the scanner looks, and one planted there could make a scan
miss findings. rflow keeps no such cache: the registry is compiled in memory by every process.
These tests fill every one of those folders with junk and check that a scan finds what it finds
without them, opens no file below any of them and writes nothing there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.phi import resolve_key, scan_file
from engine.phi.scan import context as scanner_mod

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "engine" / "data" / "demo_study.csv"

# --- no database from disk ------------------------------------------------------------------------

_PROBE = """
import json, sys
opened = []
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        opened.append(args[0] if isinstance(args[0], str) else args[0].decode("utf-8", "replace"))
sys.addaudithook(hook)
from engine.cli import main
code = main(["phi", "scan", sys.argv[1], "--format", "json", "--limit", "0"])
sys.stdout.flush()
sys.stderr.write("OPENED " + json.dumps(opened) + "\\n")
sys.exit(code)
"""


def _plant(folder: Path) -> None:
    """Files with the names a cache of compiled matchers could have, holding junk."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("registry.bin", "matcher.bin", "scan.db"):
        (folder / name).write_bytes(b"\x00\x01never\x02" * 64)


def _scan(env: dict[str, str]) -> tuple[dict[str, object], list[str]]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("RFLOW_", "XDG_"))}
    full.update(env, RFLOW_PHI_KEY="cache-test-key-0123456789", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(DEMO)], capture_output=True, text=True, env=full,
                          cwd=env["HOME"], timeout=300)
    assert proc.returncode == 0, proc.stderr
    opened_line = [line for line in proc.stderr.splitlines() if line.startswith("OPENED ")][-1]
    return json.loads(proc.stdout), json.loads(opened_line[len("OPENED "):])


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    home = tmp_path_factory.mktemp("home")
    report, _ = _scan({"HOME": str(home)})
    assert report["total"] > 20_000
    return report


@pytest.mark.parametrize("where", ["RFLOW_CACHE_DIR", "XDG_CACHE_HOME", "HOME"])
def test_nothing_in_any_cache_folder_is_read_or_written(
    tmp_path: Path, where: str, reference: dict[str, object]
) -> None:
    home, xdg, own = tmp_path / "home", tmp_path / "xdg", tmp_path / "rflow-cache"
    env = {"HOME": str(home)}
    home.mkdir()
    if where == "RFLOW_CACHE_DIR":
        env[where] = str(own)
    if where in ("RFLOW_CACHE_DIR", "XDG_CACHE_HOME"):
        env["XDG_CACHE_HOME"] = str(xdg)
    for folder in (own, xdg / "rflow", home / ".cache" / "rflow"):
        _plant(folder)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}

    report, opened = _scan(env)

    assert report["total"] == reference["total"]
    assert report["findings"] == reference["findings"]
    roots = [str(own), str(xdg), str(home / ".cache")]
    assert not [p for p in opened if any(os.path.abspath(p).startswith(r) for r in roots)]
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before  # nothing written


# --- the in-memory digest cache -------------------------------------------------------------------

ROWS = [
    "mrn,ssn,phone,note",
    "MRN1234567,123-45-6780,(617) 253-0142,seen 2021-03-04 by dr at jane.doe@example.org",
    "MRN1234567,123-45-6780,617.253.0142,MRN: A1234567 on 3/4/2021",
    "MRN7654321,234-56-7890,(617) 253-0142,ssn 234-56-7890 again",
] * 7


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "repeat.csv"
    path.write_text("\n".join([ROWS[0], *[r for r in ROWS if not r.startswith("mrn,")]]) + "\n")
    return path


@pytest.mark.parametrize("size", [1, 2, 5, 1 << 15])
def test_digest_cache_size_does_not_change_findings(csv_file: Path, size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanner_mod, "DIGEST_CACHE", 1)
    reference = list(scan_file(csv_file))
    monkeypatch.setattr(scanner_mod, "DIGEST_CACHE", size)
    assert list(scan_file(csv_file)) == reference
    assert list(scan_file(csv_file, workers=2)) == reference


def test_cached_digests_are_the_keyed_digest_of_the_normalized_value(csv_file: Path) -> None:
    key = resolve_key()
    ssn = [f for f in scan_file(csv_file) if f.category == "SSN" and f.column == "ssn"]
    assert len(ssn) == 21
    expected = {key.digest("SSN", "123456780"), key.digest("SSN", "234567890")}
    assert {f.digest for f in ssn} == expected
