"""Make ``core_plan.json`` (see :mod:`engine.phi.core_plan`): ``python -m engine.phi.make_core_plan``.

Run it after any change to a file of ``engine/phi`` and commit the result; tests/phi/test_core_plan.py
fails until then. Nothing at run time imports this module.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from engine.phi import cues, native_cues
from engine.phi.core_plan import FORMAT, PLAN_FILE, encode, fingerprint
from engine.phi.native_match import tier_args
from engine.phi.registry import DEFAULT_REGISTRY, build_registry, read_document


def current() -> dict[str, Any]:
    """The translation made now, from this installation's files (what ``core_plan.json`` must hold)."""
    data = DEFAULT_REGISTRY.read_bytes()
    document = read_document(DEFAULT_REGISTRY, data)
    registry = build_registry(document, source=DEFAULT_REGISTRY.name)
    return {
        "registry": document,
        "registry_sha256": hashlib.sha256(data).hexdigest(),
        "cue_rules": cues.read_rules(),
        "cue_rules_sha256": hashlib.sha256(cues.RULES.read_bytes()).hexdigest(),
        "tiers": {name: tier_args(registry.tier(name)) for name in ("scan", "guard")},
        "cues": native_cues.translated(),
    }


def write() -> Path:
    """Write ``core_plan.json`` for this installation's files."""
    doc = {"format": FORMAT, "fingerprint": fingerprint(), "plan": encode(current())}
    PLAN_FILE.write_text(json.dumps(doc, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return PLAN_FILE


if __name__ == "__main__":
    print(f"wrote {write()}")
