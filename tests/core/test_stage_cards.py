"""Stage cards: ``rflow validate`` reads the built-in stages' cards instead of importing them, and
the cards cannot drift from the classes they describe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.manifest.api import validate_manifest
from engine.plugins import StageRegistry
from engine.plugins.cards import CARD_FILE, card_of, cards_document, read_cards, render

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted((ROOT / "manifests").glob("*.yaml")) + sorted((ROOT / "tests" / "manifest" / "corpus").glob("*"))

PROBE = """
import json, sys
from engine.cli import main
code = main(["validate", *sys.argv[1:]])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


class _NoCards(StageRegistry):
    """The registry as it was before cards: every stage it describes is imported."""

    def _shipped_card(self, key: str):  # type: ignore[no-untyped-def]
        return None


def test_the_shipped_cards_are_the_classes_cards() -> None:
    shipped = (ROOT / "stages" / CARD_FILE).read_text("utf-8")
    assert shipped == render(cards_document(StageRegistry().list()))
    check = subprocess.run([sys.executable, "-m", "engine.plugins", "stages", "--check"],
                           capture_output=True, text=True, cwd=ROOT)
    assert check.returncode == 0, check.stderr


def test_a_stale_card_file_is_reported(tmp_path: Path) -> None:
    package = tmp_path / "stages"
    package.mkdir()
    for item in (ROOT / "stages").iterdir():
        target = package / item.name
        if item.name == CARD_FILE:
            document = json.loads(item.read_text("utf-8"))
            document["stages"]["upload"]["version"] = "0.0.1"
            target.write_text(json.dumps(document), "utf-8")
        elif item.name != "__pycache__":
            target.symlink_to(item)
    env = {"PYTHONPATH": os.pathsep.join((str(tmp_path), str(ROOT))), "PATH": "/usr/bin:/bin"}
    check = subprocess.run([sys.executable, "-m", "engine.plugins", "stages", "--check"],
                           capture_output=True, text=True, cwd=tmp_path, env=env)
    assert check.returncode == 1 and "stale" in check.stderr


def test_validate_imports_no_stage_module_without_a_hook(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, *(str(p) for p in MANIFESTS[:2])],
                          capture_output=True, text=True, cwd=tmp_path, check=True)
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["code"] == 0, done.stdout
    stage_modules = [m for m in result["modules"] if m.startswith("stages.stage_")]
    assert stage_modules == []
    # the dictionary the demo's validate step names is checked through the hook the card names
    assert "stages.dictionary" in result["modules"]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_cards_and_classes_give_the_same_diagnostics(path: Path) -> None:
    with_cards = validate_manifest(path, registry=StageRegistry())
    from_classes = validate_manifest(path, registry=_NoCards())
    assert [d.to_dict() if hasattr(d, "to_dict") else d for d in with_cards] == [
        d.to_dict() if hasattr(d, "to_dict") else d for d in from_classes]


def test_a_card_speaks_only_for_the_module_its_entry_point_loads() -> None:
    registry = StageRegistry()
    cards = read_cards("stages")
    assert set(cards) == {"upload", "schema_check", "irb_check", "phi_scan", "validate", "deidentify", "summary"}
    registry._package_cards["stages"] = {
        "upload": cards["upload"], "summary": __import__("attrs").evolve(cards["summary"], module="elsewhere")}
    assert registry.card("upload") == cards["upload"]
    card = registry.card("summary")  # the card names another module: the stage is loaded instead
    assert card is not None and card.module == "stages.stage_20_summary"
    assert "stages.stage_20_summary" in sys.modules


def test_hooks_named_by_cards_are_the_classes_hooks() -> None:
    for cls in StageRegistry().list():
        card = card_of(cls)
        for name, target in card.hooks.items():
            assert card.hook(name) is getattr(cls, name), target
