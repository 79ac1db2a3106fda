"""Small test stages in an isolated registry, shaped like the built-ins (keys, ids, data flow)."""

from __future__ import annotations

from typing import Literal

import attrs

from engine.core.components import ComponentKind, component
from engine.core.contract import StageResult
from engine.core.engine_components import InputDataset
from engine.plugins import StageRegistry


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


class _Base:
    modes: tuple[str, ...] = ("*",)
    reads: tuple[type, ...] = ()
    writes: tuple[type, ...] = ()

    async def execute(self, context: object) -> StageResult:
        return StageResult.completed({"ok": 1})


def make_registry() -> StageRegistry:
    reg = StageRegistry(entry_point_group=None)

    @reg.register
    class Upload(_Base):
        stage_id, key, stage_name, version = 1, "upload", "Upload", "1.3.0"
        reads = (InputDataset,)
        writes = (RawTable,)

        @attrs.frozen
        class Config:
            """Upload options."""

            max_bytes: int = 1024
            encoding: str = "utf-8"

    @reg.register
    class SchemaCheck(_Base):
        stage_id, key, stage_name, version = 2, "schema_check", "Schema check", "1.0.0"
        reads = (RawTable,)

        @attrs.frozen
        class Config:
            strict: bool = False

    @reg.register
    class IrbCheck(_Base):
        stage_id, key, stage_name, version = 3, "irb_check", "IRB check", "1.0.0"
        modes = ("LIVE",)

        @attrs.frozen
        class Config:
            protocol: str | None = None

    @reg.register
    class PhiScan(_Base):
        stage_id, key, stage_name, version = 4, "phi_scan", "PHI scan", "1.2.0"
        reads = (RawTable,)
        writes = (PhiFindings,)

        @attrs.frozen
        class Config:
            on_findings: Literal["fail", "warn"] = "warn"
            categories: list[str] = attrs.field(factory=list)

    @reg.register
    class Validate(_Base):
        stage_id, key, stage_name, version = 5, "validate", "Validate", "2.0.0"
        reads = (RawTable,)
        writes = (Validation,)

        @attrs.frozen
        class Config:
            required_columns: list[str] = attrs.field(factory=list)
            max_errors: int = 100

    @reg.register
    class Deidentify(_Base):
        stage_id, key, stage_name, version = 6, "deidentify", "De-identify", "1.0.0"
        reads = (RawTable, PhiFindings)
        writes = (Deidentified,)

        @attrs.frozen
        class Config:
            salt_env: str = "RFLOW_SALT"

    @reg.register
    class Summary(_Base):
        stage_id, key, stage_name, version = 20, "summary", "Summary", "1.0.0"

    return reg
