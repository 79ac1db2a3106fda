"""The bundled registry as data, and the native core's translation of it and of the cue rules, made ahead of time.

Why: translating the registry's patterns and the cue phrases from Python's regular-expression
syntax to the core's (:mod:`engine.phi.native_match`, :mod:`engine.phi.native_dialect`) was the
largest part of ``rflow phi scan``'s start-up, and reading ``registry.yaml`` (ruamel.yaml's import
and its constructor, for ``registry.yaml`` and ``cues.yaml``) the next largest. Both depend only on files of this
package, so it is made when they change (``python -m engine.phi.make_core_plan`` writes
``core_plan.json``) and shipped beside them. It is used only when its fingerprint, the SHA-256 of
every file in ``engine/phi`` it could depend on (``*.py``, ``*.yaml``, ``*.json``) and the Python
version, matches this installation; an edited file, another registry or a setting that changes the
translation (``RFLOW_PHI_CORE_LABELS=0``) translates at start-up as before, with the same result.
tests/phi/test_core_plan.py fails when the shipped file is stale or differs from a fresh
translation. It is not a cache: nothing is written at run time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
PLAN_FILE = HERE / "core_plan.json"
FORMAT = "rflow-core-plan/v1"


def fingerprint() -> str:
    """SHA-256 over the Python version and every file of ``engine/phi`` the translation could read."""
    h = hashlib.sha256(f"{FORMAT}\x00{sys.version_info[0]}.{sys.version_info[1]}\x00".encode())
    files = sorted(p for suffix in ("*.py", "*.yaml", "*.json") for p in HERE.glob(suffix) if p != PLAN_FILE)
    for path in files:
        data = path.read_bytes()
        h.update(f"{path.name}\x00{len(data)}\x00".encode())
        h.update(data)
    return h.hexdigest()


def encode(value: Any) -> Any:
    """JSON with the types the core's constructors take kept exact: bytes and tuples are tagged."""
    if isinstance(value, bytes):
        return {"$b": value.hex()}
    if isinstance(value, tuple):
        return {"$t": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def _decode(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$b" in obj:
            return bytes.fromhex(obj["$b"])
        if "$t" in obj:
            return tuple(obj["$t"])
    return obj


@functools.cache
def shipped() -> dict[str, Any] | None:
    """The shipped translation, or None when it is missing or was made from other files."""
    try:
        doc = json.loads(PLAN_FILE.read_text(encoding="utf-8"), object_hook=_decode)
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("fingerprint") != fingerprint():
        return None
    plan = doc.get("plan")
    return plan if isinstance(plan, dict) else None
