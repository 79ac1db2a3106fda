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
from engine.plugins.cards import CARD_FILE, card_of, cards_document, render

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted((ROOT / "manifests").glob("*.yaml")) + sorted((ROOT / "tests" / "manifest" / "corpus").glob("*"))

PROBE = """
import json, sys
from engine.cli import main
code = main(["validate", *sys.argv[1:]])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


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
    from_classes = validate_manifest(path, registry=StageRegistry(use_cards=False))
    assert [d.to_dict() if hasattr(d, "to_dict") else d for d in with_cards] == [
        d.to_dict() if hasattr(d, "to_dict") else d for d in from_classes]


PLUGIN_STAGE = """
from engine import StageBase, StageContext, StageResult


class {name}(StageBase, stage_id={stage_id}, stage_name="{key} stage", key="{key}", version="1.0.0", reads=(),
             writes=()):
    async def execute(self, context: StageContext) -> StageResult:
        return StageResult.completed({{}})
"""

CARD_PROBE = """
import json, sys
from engine.plugins import StageRegistry
from engine.plugins.cards import read_cards
registry = StageRegistry(entry_point_group="rflow.test_cards")
shipped = read_cards("cardplug")
alpha, beta = registry.card("alpha"), registry.card("beta")
print(json.dumps({
    "alpha_is_shipped": alpha == shipped["alpha"], "alpha_module": alpha.module,
    "beta_shipped_module": shipped["beta"].module, "beta_module": beta.module,
    "loaded": sorted(m for m in sys.modules if m.startswith("cardplug."))}))
"""


def test_a_card_speaks_only_for_the_module_its_entry_point_loads(tmp_path: Path) -> None:
    """A plugin package on disk with two entry points: the card that names the module its entry point
    loads is used as shipped (that stage is not imported); one that names another module is not."""
    package = tmp_path / "cardplug"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "alpha.py").write_text(PLUGIN_STAGE.format(name="Alpha", stage_id=901, key="alpha"))
    (package / "beta.py").write_text(PLUGIN_STAGE.format(name="Beta", stage_id=902, key="beta"))
    dist = tmp_path / "cardplug-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: cardplug\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[rflow.test_cards]\nalpha = cardplug.alpha:Alpha\nbeta = cardplug.beta:Beta\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    make = ("from engine.plugins import StageRegistry\nfrom engine.plugins.cards import cards_document, render\n"
            "print(render(cards_document(StageRegistry(entry_point_group='rflow.test_cards').list())), end='')")
    text = subprocess.run([sys.executable, "-c", make], capture_output=True, text=True, env=env, check=True).stdout
    document = json.loads(text)
    assert document["stages"]["beta"]["module"] == "cardplug.beta"
    document["stages"]["beta"]["module"] = "cardplug.elsewhere"
    (package / CARD_FILE).write_text(render(document), "utf-8")

    done = subprocess.run([sys.executable, "-c", CARD_PROBE], capture_output=True, text=True, env=env,
                          cwd=tmp_path, check=True)
    result = json.loads(done.stdout.splitlines()[-1])
    assert result == {"alpha_is_shipped": True, "alpha_module": "cardplug.alpha",
                      "beta_shipped_module": "cardplug.elsewhere", "beta_module": "cardplug.beta",
                      "loaded": ["cardplug.beta"]}


def test_hooks_named_by_cards_are_the_classes_hooks() -> None:
    for cls in StageRegistry().list():
        card = card_of(cls)
        for name, target in card.hooks.items():
            assert card.hook(name) is getattr(cls, name), target
