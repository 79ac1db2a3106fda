"""Start-up: the registry and cue rules load fast, and a registry that fails validation is still refused.

The C YAML parser must give the documents the pure one gives; the bundled registry skips its
validation only when its bytes are the ones the loaded native core was built from (exactly the
file the test suite validates); every other registry is validated and refused when invalid.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from engine.phi import PhiRegistryError, native, registry
from engine.phi.cues import RULES
from engine.phi.native_lazy import group_index

needs_core = pytest.mark.skipif(native.core is None, reason="NATIVE CORE NOT BUILT: CI sets RFLOW_REQUIRE_NATIVE=1")


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    registry._load_cached.cache_clear()
    yield
    registry._load_cached.cache_clear()


@pytest.fixture
def count_validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = registry.validate_document

    def counted(doc: Any) -> list[str]:
        calls.append(1)
        return real(doc)

    monkeypatch.setattr(registry, "validate_document", counted)
    return calls


@pytest.mark.parametrize("path", [registry.DEFAULT_REGISTRY, RULES], ids=["registry.yaml", "cues.yaml"])
def test_the_fast_yaml_parser_reads_the_document_the_pure_parser_reads(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert YAML(typ="safe").load(text) == YAML(typ="safe", pure=True).load(text)


def test_a_yaml_error_still_names_its_line(tmp_path: Path, fresh_cache: None) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("metadata:\n  version: [1\n", encoding="utf-8")
    with pytest.raises(PhiRegistryError, match=r"not valid YAML at line \d+"):
        registry.load_registry(bad)


@needs_core
def test_the_bundled_registry_the_core_was_built_from_skips_validation(
    fresh_cache: None, count_validations: list[int]
) -> None:
    assert "engine._native" in sys.modules
    reg = registry.load_registry()
    assert count_validations == [] and reg.scan.patterns and reg.guard.patterns


@needs_core
def test_a_byte_identical_copy_elsewhere_is_validated(
    tmp_path: Path, fresh_cache: None, count_validations: list[int]
) -> None:
    copy = tmp_path / "registry.yaml"
    copy.write_bytes(registry.DEFAULT_REGISTRY.read_bytes())
    registry.load_registry(copy)
    assert count_validations == [1]


def _schema_breaking(text: str) -> str:
    broken = text.replace("confidence:", "confidence_typo:", 1)
    assert broken != text
    return broken


def test_an_edited_bundled_registry_that_fails_its_schema_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    # The bundled path, but not the bytes the core embeds: validated, and refused (fail closed).
    edited = tmp_path / "registry.yaml"
    edited.write_text(_schema_breaking(registry.DEFAULT_REGISTRY.read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.setattr(registry, "DEFAULT_REGISTRY", edited)
    with pytest.raises(PhiRegistryError, match="invalid PHI registry"):
        registry.load_registry()


def test_a_user_registry_that_fails_its_schema_is_refused(tmp_path: Path, fresh_cache: None) -> None:
    user = tmp_path / "mine.yaml"
    user.write_text(_schema_breaking(registry.DEFAULT_REGISTRY.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(PhiRegistryError, match=r"invalid PHI registry mine\.yaml"):
        registry.load_registry(user)


def test_without_the_core_loaded_the_bundled_registry_is_validated(
    monkeypatch: pytest.MonkeyPatch, fresh_cache: None, count_validations: list[int]
) -> None:
    monkeypatch.delitem(sys.modules, "engine._native", raising=False)
    registry.load_registry()
    assert count_validations == [1]


@needs_core
def test_a_core_built_from_another_registry_does_not_vouch_for_this_one(
    monkeypatch: pytest.MonkeyPatch, fresh_cache: None, count_validations: list[int]
) -> None:
    class Stale:
        @staticmethod
        def registry_sha256() -> str:
            return "0" * 64

    monkeypatch.setitem(sys.modules, "engine._native", Stale)
    registry.load_registry()
    assert count_validations == [1]


def test_a_tiers_deferred_numbering_is_the_one_re_gives_its_combined_source(fresh_cache: None) -> None:
    reg = registry.load_registry()
    for tier in (reg.scan, reg.guard):
        for rx in (tier.str_re, tier.bytes_re):
            compiled = re.compile(rx.pattern)
            assert (rx.groups, dict(rx.groupindex)) == (compiled.groups, dict(compiled.groupindex))
            assert (rx.groups, dict(rx.groupindex)) == group_index(rx.pattern)


def test_building_a_registry_spells_out_no_combined_source(fresh_cache: None) -> None:
    reg = registry.load_registry()
    assert all(rx._source is None for t in (reg.scan, reg.guard) for rx in (t.str_re, t.bytes_re))
    assert reg.scan.str_re.search("ssn 536-22-8410") is not None  # spelt out and compiled on first use
    assert reg.scan.str_re._source is not None and reg.guard.str_re._source is None
