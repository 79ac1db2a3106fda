"""Start-up: the registry and cue rules load fast, and a registry that fails validation is still refused.

The C YAML parser must give the documents the pure one gives; the bundled registry skips its
validation only when its bytes are the ones the loaded native core was built from (exactly the
file the test suite validates); every other registry is validated and refused when invalid.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from engine.phi import PhiRegistryError, native, registry
from engine.phi.cues import RULES
from engine.phi.native_lazy import group_index

needs_core = pytest.mark.skipif(native.core is None, reason="NATIVE CORE NOT BUILT: CI sets RFLOW_REQUIRE_NATIVE=1")


@pytest.fixture
def count_validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = registry.validate_document

    def counted(doc: Any) -> list[str]:
        calls.append(1)
        return real(doc)

    monkeypatch.setattr(registry, "validate_document", counted)
    return calls


def _fresh_process(setup: str, then: str = "") -> str:
    """Run ``setup``, load the bundled registry and run ``then`` in a new process (its registry cache
    empty): its stderr, where ``VALIDATIONS n`` says how often the registry was validated."""
    code = (
        "import sys\n"
        "from engine.phi import registry\n"
        f"{setup}\n"
        "calls = []\n"
        "real = registry.validate_document\n"
        "registry.validate_document = lambda doc: calls.append(1) or real(doc)\n"
        "reg = registry.load_registry()\n"
        "assert reg.scan.patterns and reg.guard.patterns\n"
        f"{then}\n"
        "print('VALIDATIONS', len(calls), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stderr


@pytest.mark.parametrize("path", [registry.DEFAULT_REGISTRY, RULES], ids=["registry.yaml", "cues.yaml"])
def test_the_fast_yaml_parser_reads_the_document_the_pure_parser_reads(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert YAML(typ="safe").load(text) == YAML(typ="safe", pure=True).load(text)


def test_a_yaml_error_still_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("metadata:\n  version: [1\n", encoding="utf-8")
    with pytest.raises(PhiRegistryError, match=r"not valid YAML at line \d+"):
        registry.load_registry(bad)


@needs_core
def test_the_bundled_registry_the_core_was_built_from_skips_validation() -> None:
    out = _fresh_process("import engine._native", "assert 'engine._native' in sys.modules")
    assert "VALIDATIONS 0" in out, out


@needs_core
def test_a_byte_identical_copy_elsewhere_is_validated(tmp_path: Path, count_validations: list[int]) -> None:
    copy = tmp_path / "registry.yaml"
    copy.write_bytes(registry.DEFAULT_REGISTRY.read_bytes())
    registry.load_registry(copy)
    assert count_validations == [1]


def _schema_breaking(text: str) -> str:
    broken = text.replace("confidence:", "confidence_typo:", 1)
    assert broken != text
    return broken


def test_an_edited_bundled_registry_that_fails_its_schema_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bundled path, but not the bytes the core embeds: validated, and refused (fail closed).
    edited = tmp_path / "registry.yaml"
    edited.write_text(_schema_breaking(registry.DEFAULT_REGISTRY.read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.setattr(registry, "DEFAULT_REGISTRY", edited)
    with pytest.raises(PhiRegistryError, match="invalid PHI registry"):
        registry.load_registry()


def test_a_user_registry_that_fails_its_schema_is_refused(tmp_path: Path) -> None:
    user = tmp_path / "mine.yaml"
    user.write_text(_schema_breaking(registry.DEFAULT_REGISTRY.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(PhiRegistryError, match=r"invalid PHI registry mine\.yaml"):
        registry.load_registry(user)


def test_without_the_core_loaded_the_bundled_registry_is_validated() -> None:
    out = _fresh_process("", "assert 'engine._native' not in sys.modules")
    assert "VALIDATIONS 1" in out, out


@needs_core
def test_a_core_built_from_another_registry_does_not_vouch_for_this_one() -> None:
    stale = "class Stale:\n    registry_sha256 = staticmethod(lambda: '0' * 64)\nsys.modules['engine._native'] = Stale"
    out = _fresh_process(stale)
    assert "VALIDATIONS 1" in out, out


def test_a_tiers_deferred_numbering_is_the_one_re_gives_its_combined_source() -> None:
    reg = registry.load_registry()
    for tier in (reg.scan, reg.guard):
        for rx in (tier.str_re, tier.bytes_re):
            compiled = re.compile(rx.pattern)
            assert (rx.groups, dict(rx.groupindex)) == (compiled.groups, dict(compiled.groupindex))
            assert (rx.groups, dict(rx.groupindex)) == group_index(rx.pattern)


def test_building_a_registry_spells_out_no_combined_source() -> None:
    # fast_form spells out a tier's combined alternation: not while building, once for the tier used.
    setup = ("spelt = []\nreal_form = registry.fast_form\n"
             "registry.fast_form = lambda sources: spelt.append(len(sources)) or real_form(sources)")
    then = ("assert spelt == [], spelt\n"
            "assert reg.scan.str_re.search('ssn 536-22-8410') is not None\n"
            "assert spelt == [len(reg.scan.patterns)], spelt")
    _fresh_process(setup, then)
