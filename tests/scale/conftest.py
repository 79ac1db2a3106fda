"""Helpers for the scale-out tests: the DEMO pipeline under different executors, compared."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from engine.orchestrate import run_manifest, shipped_manifest

KEY = b"scale-out-test-key-0123456789abcdef"
VOLATILE_STEP_FIELDS = ("started_at", "finished_at", "duration_s")
_STAMP = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?Z")


def outcome(run_dir: Path) -> dict[str, Any]:
    """What must be identical under every executor: step results minus timings, and the artifacts."""
    report = json.loads((run_dir / "report.json").read_text())
    steps = [{k: v for k, v in s.items() if k not in VOLATILE_STEP_FIELDS} for s in report["steps"]]
    run_id = report["run_id"].encode()

    def content(path: Path) -> bytes:
        data = path.read_bytes()
        if path.parent.name == "summary":  # the summary names its run and when it was written
            data = _STAMP.sub(b"<time>", data.replace(run_id, b"<run>"))
        return data

    files = {
        p.relative_to(run_dir).as_posix(): hashlib.sha256(content(p)).hexdigest()
        for p in sorted(run_dir.rglob("*"))
        if p.is_file() and p.name not in ("report.json", "report.html", "audit.jsonl", ".rflow.lock")
    }
    return {"status": report["status"], "steps": steps, "files": files}


def run_demo(out: Path, manifest: Path | None = None, **kwargs: Any) -> dict[str, Any]:
    report = run_manifest(manifest or shipped_manifest(), out_dir=out, phi_key=KEY, **kwargs)
    assert report.data["status"] in ("completed", "failed", "cancelled")
    return outcome(out)


@pytest.fixture(scope="session")
def local_demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The reference: the shipped DEMO pipeline, local executor, one partition per input."""
    return run_demo(tmp_path_factory.mktemp("local") / "run", executor="local")
