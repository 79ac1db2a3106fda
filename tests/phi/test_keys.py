"""Digest keys a user configures: refused with the fix when weak or exposed; ``rflow phi keygen``.

Real CLI subprocesses, as a user meets them: exit 2 and one line that says how to make a key.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.phi import keys as keys_mod
from engine.phi.errors import PhiKeyError

ROOT = Path(__file__).resolve().parents[2]
CSV = "id,note\n1,SSN 234-56-7890\n"
FIX = "rflow phi keygen"


def rflow(*args: str, env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("RFLOW_PHI")}
    full.update(env, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, env=full,
                          cwd=cwd, timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "d.csv"
    path.write_text(CSV)
    return path


def _refused(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert proc.stdout == ""


SLOW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
printable = st.characters(min_codepoint=0x21, max_codepoint=0x7E)


@SLOW
@given(st.text(printable, min_size=1, max_size=keys_mod.MIN_KEY_BYTES - 1))
def test_a_short_key_is_a_user_error_that_says_how_to_make_one(data: Path, key: str) -> None:
    _refused(rflow("phi", "scan", str(data), env={"RFLOW_PHI_KEY": key}, cwd=data.parent), "shorter than", FIX)


@SLOW
@given(st.text(" \t\r\n\x0b\x0c", max_size=40))
def test_an_empty_or_blank_key_is_a_user_error(data: Path, key: str) -> None:
    _refused(rflow("phi", "scan", str(data), env={"RFLOW_PHI_KEY": key}, cwd=data.parent), FIX)


@SLOW
@given(st.lists(printable, min_size=1, max_size=keys_mod.MIN_DISTINCT_BYTES - 1, unique=True),
       st.integers(keys_mod.MIN_KEY_BYTES, 80))
def test_a_key_of_a_few_repeated_characters_is_refused(data: Path, chars: list[str], length: int) -> None:
    key = ("".join(chars) * length)[:length]
    _refused(rflow("phi", "scan", str(data), env={"RFLOW_PHI_KEY": key}, cwd=data.parent), "guess", FIX)


def test_rflow_run_with_a_short_key_is_a_user_error_not_an_internal_one(tmp_path: Path) -> None:
    proc = rflow("run", "--out", str(tmp_path / "run"), env={"RFLOW_PHI_KEY": "short"}, cwd=tmp_path)
    _refused(proc, "RFLOW_PHI_KEY", "shorter than", FIX)
    assert proc.stderr.startswith("rflow: error: ")


def _key_file(folder: Path, mode: int, text: str = "a-good-key-0123456789abcdef\n") -> Path:
    path = folder / f"key-{mode:04o}"
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o604, 0o660, 0o606, 0o666, 0o700 | 0o044])
def test_a_key_file_others_can_read_is_refused(data: Path, tmp_path: Path, mode: int) -> None:
    path = _key_file(tmp_path, mode)
    proc = rflow("phi", "scan", str(data), env={"RFLOW_PHI_KEY_FILE": str(path)}, cwd=tmp_path)
    _refused(proc, "group or others", f"{stat.S_IMODE(mode):04o}", "chmod 600")


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_key_file_only_its_owner_can_read_is_used(data: Path, tmp_path: Path, mode: int) -> None:
    path = _key_file(tmp_path, mode)
    proc = rflow("phi", "scan", str(data), "--format", "json", env={"RFLOW_PHI_KEY_FILE": str(path)}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert '"key_source": "file"' in proc.stdout


def test_a_weak_key_in_a_file_is_refused(data: Path, tmp_path: Path) -> None:
    path = _key_file(tmp_path, 0o600, " " * 16 + "\n")
    _refused(rflow("phi", "scan", str(data), env={"RFLOW_PHI_KEY_FILE": str(path)}, cwd=tmp_path), "blank", FIX)


def test_a_fifo_as_key_file_is_refused_without_hanging(data: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "key.fifo"
    os.mkfifo(fifo, 0o600)
    proc = rflow("phi", "scan", str(data), env={"RFLOW_PHI_KEY_FILE": str(fifo)}, cwd=tmp_path, timeout=30)
    _refused(proc, "not a regular file")


# --- rflow phi keygen -------------------------------------------------------------------------------


def test_keygen_writes_a_fresh_owner_only_key_that_rflow_accepts(data: Path, tmp_path: Path) -> None:
    target = tmp_path / "phi.key"
    proc = rflow("phi", "keygen", "-o", str(target), env={}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"RFLOW_PHI_KEY_FILE={target}" in proc.stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text()
    assert len(text) == 2 * keys_mod.NEW_KEY_BYTES + 1 and text.endswith("\n")
    int(text, 16)
    other = tmp_path / "other.key"
    assert rflow("phi", "keygen", "-o", str(other), env={}, cwd=tmp_path).returncode == 0
    assert other.read_text() != text  # fresh each time

    by_file = rflow("phi", "scan", str(data), "--format", "json", env={"RFLOW_PHI_KEY_FILE": str(target)},
                    cwd=tmp_path)
    by_env = rflow("phi", "scan", str(data), "--format", "json", env={"RFLOW_PHI_KEY": text.strip()}, cwd=tmp_path)
    assert by_file.returncode == by_env.returncode == 0, by_file.stderr + by_env.stderr
    digests = [line for line in by_file.stdout.splitlines() if '"digest"' in line]
    assert digests and digests == [line for line in by_env.stdout.splitlines() if '"digest"' in line]


def test_keygen_default_file_is_in_the_current_folder(tmp_path: Path) -> None:
    proc = rflow("phi", "keygen", env={}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE((tmp_path / "rflow-phi.key").stat().st_mode) == 0o600


@pytest.mark.parametrize("kind", ["file", "symlink", "dangling-symlink"])
def test_keygen_never_overwrites_without_force(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "phi.key"
    victim = tmp_path / "victim"
    if kind == "file":
        target.write_text("old key, keep me\n")
    else:
        if kind == "symlink":
            victim.write_text("someone else's file\n")
        target.symlink_to(victim)
    before = target.read_bytes() if kind == "file" else victim.read_bytes() if kind == "symlink" else b""
    proc = rflow("phi", "keygen", "-o", str(target), env={}, cwd=tmp_path)
    _refused(proc, "exists", "--force")
    if kind == "file":
        assert target.read_bytes() == before
    elif kind == "symlink":
        assert victim.read_bytes() == before
    else:
        assert not victim.exists()


def test_keygen_force_replaces_with_a_new_owner_only_key(tmp_path: Path) -> None:
    target = tmp_path / "phi.key"
    target.write_text("old\n")
    target.chmod(0o644)
    proc = rflow("phi", "keygen", "-o", str(target), "--force", env={}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert target.read_text() != "old\n" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["phi.key"]  # no temporary file left


def test_keygen_into_a_missing_folder_is_a_user_error(tmp_path: Path) -> None:
    _refused(rflow("phi", "keygen", "-o", str(tmp_path / "no" / "such" / "k"), env={}, cwd=tmp_path), "cannot write")


@pytest.mark.parametrize("force", [False, True])
def test_keygen_creates_the_file_0600_from_the_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     force: bool) -> None:
    """No chmod afterwards (a window where the key is readable): O_EXCL, mode 0600, whatever the umask."""
    calls: list[tuple[int, int]] = []
    real_open = os.open

    def spy(path: object, flags: int, mode: int = 0o777, *args: object, **kw: object) -> int:
        calls.append((flags, mode))
        return real_open(path, flags, mode, *args, **kw)  # type: ignore[arg-type]

    def no_chmod(*_a: object, **_k: object) -> None:
        raise AssertionError("the key file must not be chmod-ed after creation")

    monkeypatch.setattr(os, "open", spy)
    monkeypatch.setattr(os, "chmod", no_chmod)
    old_umask = os.umask(0)
    try:
        target = tmp_path / "k"
        if force:
            target.write_text("old\n")
        keys_mod.write_key_file(target, force=force)
    finally:
        os.umask(old_umask)
    assert calls and all(flags & os.O_EXCL and flags & os.O_CREAT and mode == 0o600 for flags, mode in calls)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_explicit_keys_from_a_program_keep_working() -> None:
    assert keys_mod.resolve_key(b"k" * 32).source == "explicit"
    with pytest.raises(PhiKeyError):
        keys_mod.resolve_key(b"short")
