"""The manifest tests' stages: an isolated registry shaped like the built-ins (keys, ids, data flow).

Built with :func:`engine.testing.make_stage`, the one stage factory, so the manifest checks are
tested against stages declared the way any stage author declares them.
"""

from __future__ import annotations

from typing import Literal

import attrs

from engine.core.components import ComponentKind, component
from engine.core.contract import EmptyConfig, StageContext, StageResult
from engine.core.engine_components import InputDataset
from engine.plugins import StageRegistry
from engine.testing import make_stage


@component("test_raw_table", ComponentKind.METADATA)
class RawTable:
    rows: int = 0


@component("test_phi_findings", ComponentKind.METADATA)
class PhiFindings:
    total: int = 0


@component("test_validation", ComponentKind.METADATA)
class Validation:
    errors: int = 0


@component("test_deidentified", ComponentKind.METADATA)
class Deidentified:
    rows: int = 0


@attrs.frozen
class UploadConfig:
    """Upload options."""

    max_bytes: int = 1024
    encoding: str = "utf-8"


@attrs.frozen
class SchemaCheckConfig:
    strict: bool = False


@attrs.frozen
class IrbCheckConfig:
    protocol: str | None = None


@attrs.frozen
class PhiScanConfig:
    on_findings: Literal["fail", "warn"] = "warn"
    categories: list[str] = attrs.field(factory=list)


@attrs.frozen
class ValidateConfig:
    required_columns: list[str] = attrs.field(factory=list)
    max_errors: int = 100


@attrs.frozen
class DeidentifyConfig:
    salt_env: str = "RFLOW_SALT"


async def _ok(self: object, context: StageContext) -> StageResult:
    return StageResult.completed({"ok": 1})


def make_registry() -> StageRegistry:
    reg = StageRegistry(entry_point_group=None)
    for key, stage_id, name, version, reads, writes, config, modes in (
        ("upload", 1, "Upload", "1.3.0", (InputDataset,), (RawTable,), UploadConfig, ("*",)),
        ("schema_check", 2, "Schema check", "1.0.0", (RawTable,), (), SchemaCheckConfig, ("*",)),
        ("irb_check", 3, "IRB check", "1.0.0", (), (), IrbCheckConfig, ("LIVE",)),
        ("phi_scan", 4, "PHI scan", "1.2.0", (RawTable,), (PhiFindings,), PhiScanConfig, ("*",)),
        ("validate", 5, "Validate", "2.0.0", (RawTable,), (Validation,), ValidateConfig, ("*",)),
        ("deidentify", 6, "De-identify", "1.0.0", (RawTable, PhiFindings), (Deidentified,), DeidentifyConfig, ("*",)),
        ("summary", 20, "Summary", "1.0.0", (), (), EmptyConfig, ("*",)),
    ):
        make_stage(key, stage_id, _ok, reads=reads, writes=writes, modes=modes, config=config, version=version,
                   class_name=key.title().replace("_", ""), registry=reg, stage_name=name)
    return reg
