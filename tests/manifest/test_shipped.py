"""The shipped manifests validate clean against the built-in stages and carry the schema modeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.manifest import plan, render_text, validate_manifest
from engine.plugins import default_registry

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "manifests").glob("*.yaml"))
BUILTIN_KEYS = {"upload", "schema_check", "irb_check", "phi_scan", "validate", "deidentify", "summary"}


def test_the_built_in_stages_are_registered() -> None:
    assert set(default_registry.keys()) >= BUILTIN_KEYS
    assert SHIPPED, "no shipped manifests found"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_manifest_is_clean(path: Path) -> None:
    found = validate_manifest(path)
    assert found == [], render_text(found)
    assert path.read_text("utf-8").startswith(
        "# yaml-language-server: $schema=../schemas/pipeline-manifest.v1.schema.json")


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_mode_plans(path: Path) -> None:
    from engine.manifest import load_manifest

    manifest = load_manifest(path)
    for mode in manifest.governance.modes:
        assert plan(manifest, mode).steps


def test_annotated_example_in_docs_is_valid() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "manifest.md"
    text = docs.read_text("utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    found = validate_manifest(example, name="docs/manifest.md")
    assert found == [], render_text(found)
