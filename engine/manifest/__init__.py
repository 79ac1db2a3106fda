"""Pipeline manifests: load (ruamel, positions), validate (schema + semantics), plan.

Heavy dependencies (ruamel.yaml, jsonschema) are imported on first use, not on import.
"""

from __future__ import annotations

from engine.manifest.api import ManifestError, UnknownModeError, analyze, load_manifest, plan, validate_manifest
from engine.manifest.diagnostics import (
    CODES,
    Diagnostic,
    Severity,
    render_github,
    render_json,
    render_text,
)
from engine.manifest.model import Defaults, Governance, Input, Manifest, ManifestSource, Metadata, Mode, Step
from engine.manifest.plan import Plan, PlanEntry

__all__ = [
    "CODES",
    "Defaults",
    "Diagnostic",
    "Governance",
    "Input",
    "Manifest",
    "ManifestError",
    "ManifestSource",
    "Metadata",
    "Mode",
    "Plan",
    "PlanEntry",
    "Severity",
    "Step",
    "UnknownModeError",
    "analyze",
    "load_manifest",
    "plan",
    "render_github",
    "render_json",
    "render_text",
    "validate_manifest",
]
