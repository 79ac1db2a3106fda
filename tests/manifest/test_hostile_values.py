"""Values that validated clean and then crashed a run or the CLI: each class is now a named error with a position."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.core.configfile import ConfigFileError, read_config_bytes
from engine.governance.approvals import ApprovalError, approvals_from_text, load_approvals
from engine.manifest import render_github, render_json, render_text, validate_manifest
from tests.manifest.registry import make_registry

REGISTRY = make_registry()
SOME = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
BASE = """\
apiVersion: rflow/v1
kind: Pipeline
metadata:
  name: hostile
  version: "1.0.0"
  description: VALUE
inputs: [{name: dataset, format: csv}]
steps:
  - id: upload
    stage: upload
governance:
  default_mode: DEMO
  modes:
    DEMO: {steps: [upload], phi_policy: warn}
"""
LINE, COL = 6, len("  description: ") + 1


def _only(text: str) -> list[tuple[int, int, str]]:
    return [(d.line, d.col, d.code) for d in validate_manifest(text, registry=REGISTRY)]


def _with_timeout(literal: str) -> str:
    return BASE.replace("    stage: upload\n", f"    stage: upload\n    timeout_s: {literal}\n")


NON_FINITE = st.one_of(
    st.sampled_from([".nan", ".NaN", ".NAN", ".inf", ".Inf", "+.inf", "-.inf", "-.INF"]),
    st.builds(lambda m, e, sign: f"{sign}{m}e{e}", st.integers(1, 9), st.integers(309, 5000),
              st.sampled_from(["", "-", "+"])),
    st.builds(lambda d, e: f"{d}.5e+{e}", st.integers(1, 10**6), st.integers(400, 900)),
    st.integers(320, 600).map(lambda n: "9" * n + ".0"),
)


@SOME
@given(NON_FINITE)
def test_any_non_finite_number_literal_is_rf113_at_its_position(literal: str) -> None:
    assert _only(_with_timeout(literal)) == [(11, 16, "RF113")]


@SOME
@given(st.one_of(st.integers(2**53 + 1, 10**600), st.integers(-(10**600), -(2**53) - 1)))
def test_any_overflowing_integer_is_rf113(number: int) -> None:
    text = BASE.replace("    stage: upload\n", f"    stage: upload\n    config: {{max_bytes: {number}}}\n")
    assert _only(text) == [(11, 25, "RF113")]


CONTROL = st.one_of(
    st.integers(0, 31).filter(lambda c: c not in (9, 10, 13)),
    st.integers(127, 159),
    st.integers(0xD800, 0xDFFF),
)


@SOME
@given(CONTROL, st.text("abc ", max_size=6))
def test_any_control_character_or_lone_surrogate_in_text_is_rf114(code: int, before: str) -> None:
    escape = f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"
    found = _only(BASE.replace("VALUE", f'"{before}{escape}z"'))
    assert found == [(LINE, COL, "RF114")]


@SOME
@given(CONTROL)
def test_a_control_character_in_a_key_is_rf114(code: int) -> None:
    escape = f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"
    found = _only(BASE.replace("  description: VALUE\n", f'  "de{escape}": x\n'))
    assert found == [(LINE, 3, "RF114")]


def test_tabs_and_line_breaks_in_text_are_fine() -> None:
    assert _only(BASE.replace("VALUE", '"a\\tb\\nc"')) == []


@SOME
@given(st.integers(2000, 2100), st.sampled_from([(2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31), (13, 1),
                                                 (0, 10), (1, 32), (1, 0)]))
def test_any_date_that_does_not_exist_is_rf104(year: int, month_day: tuple[int, int]) -> None:
    month, day = month_day
    assume(not (month == 2 and day == 29))
    found = _only(BASE.replace("VALUE", f"{year}-{month:02d}-{day:02d}"))
    assert found in ([(LINE, COL, "RF104")], [(LINE, COL, "RF110")])  # RF110: not a date shape at all


@pytest.mark.parametrize("directive", ["%YAML 1.2", "%YAML 1.1", "%TAG ! tag:example.com,2000:",
                                       "%TAG !e! tag:example.com,2000:app/"])
def test_yaml_directives_are_rf115(directive: str) -> None:
    assert _only(f"{directive}\n---\n{BASE.replace('VALUE', 'x')}") == [(1, 1, "RF115")]


# -- approvals files -------------------------------------------------------------------------------
APPROVAL = "approvals:\n  - kind: irb_approval\n    reference: IRB-1\n    expires: EXPIRES\n"


@SOME
@given(st.integers(2000, 2100), st.sampled_from([(2, 30), (2, 31), (4, 31), (11, 31)]))
def test_approval_dates_that_do_not_exist_are_named_with_position(year: int, month_day: tuple[int, int]) -> None:
    month, day = month_day
    with pytest.raises(ApprovalError, match=r"^approvals file a\.yaml:4:14 is not valid YAML: invalid date"):
        approvals_from_text(APPROVAL.replace("EXPIRES", f"{year}-{month:02d}-{day:02d}"), "a.yaml")


@SOME
@given(st.integers(49, 3000), st.sampled_from(["[", "{a: "]))
def test_deeply_nested_approvals_are_named(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    with pytest.raises(ApprovalError, match="nesting deeper than"):
        approvals_from_text("approvals: " + opener * depth + closer * depth + "\n", "a.yaml")


def test_approvals_cli_reports_the_position(tmp_path: Path) -> None:
    path = tmp_path / "ap.yaml"
    path.write_text(APPROVAL.replace("EXPIRES", "2027-02-30"), "utf-8")
    res = subprocess.run([sys.executable, "-m", "engine", "run", "--approvals", str(path),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "internal error" not in res.stderr
    assert "approvals file ap.yaml:4:14 is not valid YAML: invalid date" in res.stderr


# -- files a config names --------------------------------------------------------------------------
def _non_regular(kind: str, tmp_path: Path) -> Path:
    if kind == "fifo":
        os.mkfifo(tmp_path / "fifo")
        return tmp_path / "fifo"
    if kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(tmp_path / "sock"))
        return tmp_path / "sock"
    if kind == "dir":
        return tmp_path
    return Path(kind)


NON_REGULAR = ["/dev/zero", "/dev/null", "/dev/urandom", "fifo", "socket", "dir"]


@pytest.mark.parametrize("kind", NON_REGULAR)
def test_non_regular_files_are_refused_without_reading(kind: str, tmp_path: Path) -> None:
    path = _non_regular(kind, tmp_path)
    with pytest.raises(ConfigFileError):
        read_config_bytes(path, 1024)
    with pytest.raises(ApprovalError):
        load_approvals(path)
    found = validate_manifest(path, registry=REGISTRY)
    assert [d.code for d in found] == ["RF100"]


def test_size_cap_holds(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * 2049)
    assert read_config_bytes(path, 2049) == b"#" * 2049
    with pytest.raises(ConfigFileError, match="cap") as info:
        read_config_bytes(path, 2048)
    assert info.value.too_large


def test_allowed_roots_confine_config_files(tmp_path: Path) -> None:
    inside, outside = tmp_path / "in", tmp_path / "out"
    inside.mkdir()
    outside.mkdir()
    (outside / "d.yaml").write_text("x: 1\n")
    (inside / "link.yaml").symlink_to(outside / "d.yaml")
    with pytest.raises(ConfigFileError, match="allowed roots"):
        read_config_bytes(inside / "link.yaml", 1024, allowed_roots=[inside])
    assert read_config_bytes(outside / "d.yaml", 1024, allowed_roots=[outside]) == b"x: 1\n"


# -- names that are not UTF-8 ----------------------------------------------------------------------
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\x00" not in b))
def test_any_non_utf8_file_name_renders_as_utf8(tmp_path: Path, raw: bytes) -> None:
    try:
        raw.decode("utf-8")
        assume(False)
    except UnicodeDecodeError:
        pass
    name = os.fsencode(tmp_path) + b"/" + raw + b".yaml"
    with open(name, "wb") as fh:
        fh.write(BASE.replace("stage: upload", "stage: uplaod").encode())
    found = validate_manifest(Path(os.fsdecode(name)), registry=REGISTRY)  # a str with "\n" would be YAML text
    assert [d.code for d in found] == ["RF301"]
    for render in (render_text, render_json, render_github):
        render(found).encode("utf-8")  # printable whatever the terminal's encoding


@pytest.mark.parametrize("job_id", ["\udcff\udcfe", "a\x1b[2Jb", "x" * 129, "", "-flag", "jane doe"])
def test_job_ids_outside_the_form_are_usage_errors(job_id: str, tmp_path: Path) -> None:
    arg = b"--job-id=" + os.fsencode(job_id)
    res = subprocess.run([sys.executable, "-m", "engine", "run", arg, "--out", str(tmp_path / "out")],
                         capture_output=True, timeout=120)
    assert res.returncode == 2 and b"--job-id takes" in res.stderr and b"internal error" not in res.stderr
