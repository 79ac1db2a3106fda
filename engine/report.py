"""The run report: a metadata-only JSON document, rewritten atomically as the run progresses.

It is written when the run starts, after every step, and at the end — so a failed, refused or
interrupted run still leaves a complete, schema-valid report behind.
"""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path
from typing import Any

import attrs

from engine.atomic import write_json_atomic

REPORT_KIND = "rflow/run-report/v1"
EXIT_CODES = {"completed": 0, "failed": 1, "blocked": 3, "refused": 3, "cancelled": 130, "running": 1}


@cache
def report_schema() -> dict[str, Any]:
    from importlib.resources import files

    data: dict[str, Any] = json.loads((files("schemas") / "run-report.v1.schema.json").read_text("utf-8"))
    return data


def validate_report(data: dict[str, Any]) -> list[str]:
    """Schema problems of a report (paths and validator names only)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(report_schema())
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.validator}" for e in validator.iter_errors(data)]


@attrs.define
class RunReport:
    """The report of one run, with where it lives."""

    data: dict[str, Any]
    path: Path

    @property
    def run_id(self) -> str:
        return str(self.data["run_id"])

    @property
    def status(self) -> str:
        return str(self.data["status"])

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.status, 1)

    @property
    def run_dir(self) -> Path:
        return self.path.parent

    @property
    def steps(self) -> list[dict[str, Any]]:
        return list(self.data["steps"])

    def step(self, step_id: str) -> dict[str, Any]:
        for step in self.data["steps"]:
            if step["step_id"] == step_id:
                return dict(step)
        raise KeyError(step_id)

    def write(self) -> None:
        self.data["exit_code"] = self.exit_code if self.status != "running" else None
        write_json_atomic(self.path, self.data)

    def finish(self, status: str) -> None:
        self.data["status"] = status
        self.data["finished_at"] = time.time()
        self.data["duration_s"] = round(self.data["finished_at"] - self.data["started_at"], 6)
        self.write()
