"""The native PHI core against the Python reference: same bytes out, and no silent fallback where required."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi import native
from engine.phi.keys import PhiKey
from engine.phi.scan.rows import row_ends as _row_ends
from engine.phi.schemes import PURPOSE_DIGEST

REQUIRED = os.environ.get(native.REQUIRE_ENV) == "1"

needs_core = pytest.mark.skipif(
    native.core is None,
    reason="NATIVE CORE NOT BUILT (no cargo at install time): differential tests cannot run; "
    "CI sets RFLOW_REQUIRE_NATIVE=1",
)


def test_core_is_loaded_and_current_where_required() -> None:
    if not REQUIRED:
        pytest.skip(f"{native.REQUIRE_ENV} is not set: a Python-only install is allowed here")
    assert native.core is not None, "the native core did not build or load"
    assert native.core.registry_sha256() == native.registry_sha256(), "stale build: registry.yaml changed since"
    assert native.engine() == "native"


def test_a_stale_core_is_refused_where_required(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stale:
        @staticmethod
        def registry_sha256() -> str:
            return "0" * 64

    monkeypatch.setattr(native, "core", Stale)
    monkeypatch.setenv(native.REQUIRE_ENV, "1")
    with pytest.raises(native.NativeCoreError, match="another registry"):
        native.engine()
    monkeypatch.delenv(native.REQUIRE_ENV)
    assert native.engine() == "python"


def test_a_missing_core_is_refused_only_where_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(native, "core", None)
    monkeypatch.setenv(native.REQUIRE_ENV, "1")
    with pytest.raises(native.NativeCoreError, match="not built"):
        native.engine()
    monkeypatch.setenv(native.REQUIRE_ENV, "0")
    assert native.engine() == "python"


CSV_PIECES = [b"a", b",", b"\t", b'"', b'""', b"\n", b"\r", b"\r\n", b"\r\r", b" ", b"\xef\xbb\xbf", b"\xff", b"1"]
csv_bytes = st.lists(st.sampled_from(CSV_PIECES), max_size=200).map(b"".join)


@needs_core
@settings(max_examples=400, deadline=None)
@given(csv_bytes, st.sampled_from([b",", b"\t"]))
def test_row_ends_match_the_python_scanner(data: bytes, delim: bytes) -> None:
    assert native.core is not None
    assert native.core.row_ends(data, delim[0]) == _row_ends(data, delim)


@needs_core
@settings(max_examples=300, deadline=None)
@given(
    key=st.binary(min_size=16, max_size=200),
    prefix=st.binary(max_size=20),
    values=st.lists(st.binary(max_size=80), max_size=20),
)
def test_hmac_digests_match_the_python_key(key: bytes, prefix: bytes, values: list[bytes]) -> None:
    assert native.core is not None
    python = PhiKey(key, "explicit")
    subkey = python.subkey(PURPOSE_DIGEST)  # findings are digested under the digest subkey
    assert native.core.hmac_sha256_hex_many(subkey, prefix, values) == [python.digest_bytes(prefix, v) for v in values]


@needs_core
def test_hostile_arguments_raise_type_errors_not_panics() -> None:
    assert native.core is not None
    with pytest.raises(TypeError):
        native.core.row_ends("not bytes", 44)
    with pytest.raises(TypeError):
        native.core.hmac_sha256_hex_many(b"k" * 16, b"", [1, 2])


def test_rflow_validate_never_imports_the_core() -> None:
    """Checking manifests is control-plane work: no native extension is loaded for it."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys\nfrom engine.cli import main\n"
        "try:\n    rc = main(['validate', 'manifests'])\nexcept SystemExit as exc:\n    rc = exc.code\n"
        "print(rc, 'engine._native' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["0", "False"], out.stdout + out.stderr
