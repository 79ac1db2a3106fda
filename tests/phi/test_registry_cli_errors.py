"""A broken PHI registry is a named error at the CLI: the file, where it fails, exit code 2.

The sanitizer every error text goes through is compiled from that same registry, so reporting the
error used to load the file again and fail with a traceback. Each case runs ``rflow`` in a
subprocess on a copy of the package whose bundled ``registry.yaml`` is broken, on both regex paths.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.core import exitcodes, redaction
from engine.core.errors import ConfigFileError, safe_error_text
from engine.phi import PhiRegistryError, native

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = (ROOT / "engine" / "phi" / "registry.yaml").read_text(encoding="utf-8")
SSN = "219-09-9999"


def _yaml_syntax(text: str) -> tuple[str, int]:
    """An unclosed flow list under the first category: a YAML error on the next line."""
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("  - name: URL"))
    lines.insert(at + 1, "    bad: [unclosed\n")
    return "".join(lines), at + 3


def _schema(text: str) -> tuple[str, int]:
    """The EMAIL category loses its token: it fails the schema; the line is the category's."""
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("  - name: EMAIL"))
    end = next(i for i in range(at, len(lines)) if lines[i].startswith('    token: "[PHI:EMAIL]"'))
    del lines[end]
    return "".join(lines), at + 1


def _dialect(text: str) -> tuple[str, int]:
    """A lookahead in the SSN pattern: refused by the shared dialect; the line is the regex's."""
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "regex: '[0-9]{3}-[0-9]{2}-[0-9]{4}'" in line)
    lines[at] = lines[at].replace("'[0-9]{3}-", "'(?=[0-9])[0-9]{3}-")
    return "".join(lines), at + 1


BREAKS = {"yaml-syntax": _yaml_syntax, "schema": _schema, "dialect": _dialect}


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the ``engine`` package (native core included) whose registry each test rewrites."""
    root = tmp_path_factory.mktemp("broken-registry")
    shutil.copytree(ROOT / "engine", root / "engine", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def rflow(package: Path, engine: str, *args: str, require_native: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFLOW_PHI") and k != native.REQUIRE_ENV}
    if require_native:
        env[native.REQUIRE_ENV] = "1"
    env.update(PYTHONPATH=str(package), RFLOW_PHI_KEY="broken-registry-test-key-0123", RFLOW_PHI_REGEX=engine)
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], capture_output=True, text=True, env=env, timeout=120, cwd=package
    )


@pytest.mark.parametrize("engine", ["auto", "re"])
@pytest.mark.parametrize("kind", sorted(BREAKS))
def test_a_broken_registry_is_one_named_line_with_its_position(package_copy: Path, kind: str, engine: str) -> None:
    broken, line = BREAKS[kind](BUNDLED)
    (package_copy / "engine" / "phi" / "registry.yaml").write_text(broken, encoding="utf-8")
    data = package_copy / "visits.csv"
    data.write_text(f"id,note\n1,ssn {SSN} seen\n", encoding="utf-8")
    for args in (("phi", "scan", str(data)), ("phi", "scan", str(data), "--format", "json"), ("phi", "registry")):
        r = rflow(package_copy, engine, *args)
        assert r.returncode == exitcodes.USAGE, (args, r.stderr)
        assert "Traceback" not in r.stderr
        assert r.stdout == ""
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1, r.stderr
        assert "registry.yaml" in lines[0]
        found = re.search(r"line (\d+)", lines[0])
        assert found is not None and int(found.group(1)) == line, lines[0]
        assert SSN not in r.stderr


@pytest.mark.skipif(native.core is None, reason="NATIVE CORE NOT BUILT: CI sets RFLOW_REQUIRE_NATIVE=1")
def test_with_the_core_required_an_edited_registry_is_one_named_line(package_copy: Path) -> None:
    """RFLOW_REQUIRE_NATIVE=1 and a registry the core was not built from: the refusal says so, as written."""
    broken, _ = BREAKS["schema"](BUNDLED)
    (package_copy / "engine" / "phi" / "registry.yaml").write_text(broken, encoding="utf-8")
    data = package_copy / "visits.csv"
    data.write_text(f"id,note\n1,ssn {SSN} seen\n", encoding="utf-8")
    r = rflow(package_copy, "auto", "phi", "scan", str(data), require_native=True)
    assert r.returncode == exitcodes.USAGE, r.stderr
    assert "Traceback" not in r.stderr and SSN not in r.stderr
    assert r.stderr.strip().splitlines() == [
        "rflow phi: error: the native PHI core was built from another registry.yaml: reinstall rflow"]


def test_an_unreadable_registry_is_named_too(package_copy: Path) -> None:
    (package_copy / "engine" / "phi" / "registry.yaml").write_bytes(b"\xff\xfe\x00bad")
    r = rflow(package_copy, "re", "phi", "registry")
    assert r.returncode == exitcodes.USAGE
    assert "Traceback" not in r.stderr
    assert "cannot read PHI registry registry.yaml" in r.stderr


def test_a_sanitizer_that_cannot_run_withholds_the_text() -> None:
    def broken(text: str) -> str:
        raise PhiRegistryError("PHI registry registry.yaml is not valid YAML at line 3, column 1")

    sanitizer, identifies = redaction.installed()
    redaction.install(broken, identifies)
    try:
        assert redaction.redact(f"row 2 holds {SSN}") == redaction.UNUSABLE
        assert SSN not in safe_error_text(ValueError(f"bad literal {SSN}"))
    finally:
        redaction.install(sanitizer, identifies)
    assert redaction.redact("no value here") == "no value here"
    # a registry error is reported as written: it names a file and a position, never a value
    err = PhiRegistryError("PHI registry registry.yaml is not valid YAML at line 3, column 1")
    assert isinstance(err, ConfigFileError)
    assert safe_error_text(err).endswith("at line 3, column 1")
