"""rflow: a governed, plugin-based stage engine for clinical-research data.

The public API, for stage authors and for callers of runs. Names are imported on first access so
that ``import engine`` (and the CLI's start-up) does not pay for asyncio, cattrs, the runner or the
data plane until they are used; the ``TYPE_CHECKING`` block gives a type checker the real types.
``tests/core/test_public_api.py`` keeps the two lists equal.

Stages import only from here and from :mod:`engine.phi`; the packages below are the engine's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.core import default_executor as _default_executor
from engine.core import redaction as _redaction
from engine.core.lazy import lazy_exports as _lazy_exports


def _sanitize(text: str) -> str:
    from engine.phi import sanitize

    return sanitize(text)


def _holds_phi(text: str) -> bool:
    from engine.phi.labels import label_holds_phi

    return label_holds_phi(text)


# The core knows nothing of PHI: its error texts and header check use what is installed here,
# before any engine module runs (importing one imports this package first).
_redaction.install(_sanitize, _holds_phi)


def _local_executor() -> Any:
    from engine.execution.executors import default_executor

    return default_executor()


# Likewise the executor a step gets when its run configured none (the executors sit above the core).
_default_executor.install(_local_executor)

# Public name -> defining module, by audience.
_EXPORTS: dict[str, str] = {
    # The stage contract.
    "ANY_MODE": "engine.core.contract",
    "EmptyConfig": "engine.core.contract",
    "Stage": "engine.core.contract",
    "StageContext": "engine.core.contract",
    "StageResult": "engine.core.contract",
    "StageStatus": "engine.core.contract",
    "StepInterrupted": "engine.core.contract",
    "StageBase": "engine.plugins.stage_base",
    "register_stage": "engine.plugins",
    # Components and the World.
    "ComponentKind": "engine.core.components",
    "RUN_ENTITY": "engine.core.components",
    "World": "engine.core.components",
    "WorldView": "engine.core.components",
    "component": "engine.core.components",
    "tuple_field": "engine.core.components",
    "InputDataset": "engine.core.engine_components",
    "RunInfo": "engine.core.engine_components",
    # Errors, and the texts that may leave a stage.
    "ArtifactWriteError": "engine.core.errors",
    "ComponentError": "engine.core.errors",
    "OutputGuardError": "engine.core.errors",
    "PluginLoadError": "engine.core.errors",
    "RegistrationError": "engine.core.errors",
    "RestrictedComponentError": "engine.core.errors",
    "RflowError": "engine.core.errors",
    "UndeclaredComponentAccess": "engine.core.errors",
    "UnknownStageError": "engine.core.errors",
    "safe_excerpt": "engine.core.errors",
    "shown": "engine.core.display",
    # Reading and writing files safely.
    "atomic_output": "engine.core.atomic",
    "atomic_binary_output": "engine.core.atomic",
    "writing_artifact": "engine.core.atomic",
    "BUNDLED_PREFIX": "engine.core.bundled",
    "BundledFileError": "engine.core.bundled",
    "bundled_path": "engine.core.bundled",
    "is_bundled": "engine.core.bundled",
    "ConfigFileError": "engine.core.configfile",
    "display_name": "engine.core.display",
    "read_config_bytes": "engine.core.configfile",
    "within": "engine.core.configfile",
    "file_problem": "engine.core.paths",
    "file_sha256": "engine.core.paths",
    "SizeError": "engine.core.sizes",
    "parse_size": "engine.core.sizes",
    "JsonTooDeep": "engine.core.jsondepth",
    "loads_record": "engine.core.jsondepth",
    "load_record": "engine.core.jsondepth",
    "load_document": "engine.manifest.loader",
    "PatternError": "engine.core.userpattern",
    "UserPattern": "engine.core.userpattern",
    "compile_pattern": "engine.core.userpattern",
    "rust_fullmatch": "engine.core.userpattern_rust",
    # Packages with names loaded on first use (as this one).
    "lazy_exports": "engine.core.lazy",
    # Tables: sniffing text tables, typed files through the data plane (Polars, loaded on use).
    "DELIMITERS": "engine.dataplane.sniff",
    "FORMATS": "engine.dataplane.sniff",
    "SAMPLE_BYTES": "engine.dataplane.sniff",
    "TableFormat": "engine.dataplane.sniff",
    "TabularError": "engine.dataplane.sniff",
    "detect_delimiter": "engine.dataplane.sniff",
    "detect_encoding": "engine.dataplane.sniff",
    "first_row_is_data": "engine.dataplane.sniff",
    "generated_columns": "engine.dataplane.sniff",
    "dataplane_references": "engine.dataplane.native_core",
    "native_block_check": "engine.dataplane.native_core",
    "native_reservoir_draw": "engine.dataplane.native_core",
    "native_unique_keys": "engine.dataplane.native_core",
    "one_column_hint": "engine.dataplane.sniff",
    "sniff": "engine.dataplane.sniff",
    "is_typed": "engine.dataplane.formats",
    "TypedTable": "engine.dataplane.frames",
    "as_text": "engine.dataplane.frames",
    "metadata_texts": "engine.dataplane.metadata",
    # Parallel work inside a step: partitions and task checkpoints.
    "PARTS_DIR": "engine.core.contract",
    "SPLITTABLE_ENCODINGS": "engine.core.partitions",
    "plan_byte_ranges": "engine.core.partitions",
    "task_checkpoint": "engine.execution.executors",
    # Governance a stage applies itself: approvals, de-identification profiles.
    "approval_problem": "engine.governance.approvals",
    "covers": "engine.governance.approvals",
    "days_remaining": "engine.governance.approvals",
    "valid_approvals": "engine.governance.approvals",
    "deid_profiles": "engine.governance",
    # Running: manifests, runs, their reports.
    "ManifestError": "engine.manifest.api",
    "load_manifest": "engine.manifest.api",
    "plan": "engine.manifest.api",
    "validate_manifest": "engine.manifest.api",
    "RunReport": "engine.reporting.run_report",
    "StepEntry": "engine.reporting.run_report",
    "RunRequest": "engine.orchestrate",
    "arun_manifest": "engine.orchestrate",
    "run_manifest": "engine.orchestrate",
    "run_stages": "engine.execution.step_runner",
    # The registry.
    "StageRegistry": "engine.plugins",
    "default_registry": "engine.plugins",
    "get_stage": "engine.plugins",
    "list_stages": "engine.plugins",
}

if TYPE_CHECKING:
    from engine.core.atomic import atomic_binary_output as atomic_binary_output
    from engine.core.atomic import atomic_output as atomic_output
    from engine.core.atomic import writing_artifact as writing_artifact
    from engine.core.bundled import BUNDLED_PREFIX as BUNDLED_PREFIX
    from engine.core.bundled import BundledFileError as BundledFileError
    from engine.core.bundled import bundled_path as bundled_path
    from engine.core.bundled import is_bundled as is_bundled
    from engine.core.components import RUN_ENTITY as RUN_ENTITY
    from engine.core.components import ComponentKind as ComponentKind
    from engine.core.components import World as World
    from engine.core.components import WorldView as WorldView
    from engine.core.components import component as component
    from engine.core.components import tuple_field as tuple_field
    from engine.core.configfile import ConfigFileError as ConfigFileError
    from engine.core.configfile import read_config_bytes as read_config_bytes
    from engine.core.configfile import within as within
    from engine.core.contract import ANY_MODE as ANY_MODE
    from engine.core.contract import PARTS_DIR as PARTS_DIR
    from engine.core.contract import EmptyConfig as EmptyConfig
    from engine.core.contract import Stage as Stage
    from engine.core.contract import StageContext as StageContext
    from engine.core.contract import StageResult as StageResult
    from engine.core.contract import StageStatus as StageStatus
    from engine.core.contract import StepInterrupted as StepInterrupted
    from engine.core.display import display_name as display_name
    from engine.core.display import shown as shown
    from engine.core.engine_components import InputDataset as InputDataset
    from engine.core.engine_components import RunInfo as RunInfo
    from engine.core.errors import ArtifactWriteError as ArtifactWriteError
    from engine.core.errors import ComponentError as ComponentError
    from engine.core.errors import OutputGuardError as OutputGuardError
    from engine.core.errors import PluginLoadError as PluginLoadError
    from engine.core.errors import RegistrationError as RegistrationError
    from engine.core.errors import RestrictedComponentError as RestrictedComponentError
    from engine.core.errors import RflowError as RflowError
    from engine.core.errors import UndeclaredComponentAccess as UndeclaredComponentAccess
    from engine.core.errors import UnknownStageError as UnknownStageError
    from engine.core.errors import safe_excerpt as safe_excerpt
    from engine.core.jsondepth import JsonTooDeep as JsonTooDeep
    from engine.core.jsondepth import load_record as load_record
    from engine.core.jsondepth import loads_record as loads_record
    from engine.core.lazy import lazy_exports as lazy_exports
    from engine.core.partitions import SPLITTABLE_ENCODINGS as SPLITTABLE_ENCODINGS
    from engine.core.partitions import plan_byte_ranges as plan_byte_ranges
    from engine.core.paths import file_problem as file_problem
    from engine.core.paths import file_sha256 as file_sha256
    from engine.core.sizes import SizeError as SizeError
    from engine.core.sizes import parse_size as parse_size
    from engine.core.userpattern import PatternError as PatternError
    from engine.core.userpattern import UserPattern as UserPattern
    from engine.core.userpattern import compile_pattern as compile_pattern
    from engine.core.userpattern_rust import rust_fullmatch as rust_fullmatch
    from engine.dataplane.formats import is_typed as is_typed
    from engine.dataplane.frames import TypedTable as TypedTable
    from engine.dataplane.frames import as_text as as_text
    from engine.dataplane.metadata import metadata_texts as metadata_texts
    from engine.dataplane.native_core import dataplane_references as dataplane_references
    from engine.dataplane.native_core import native_block_check as native_block_check
    from engine.dataplane.native_core import native_reservoir_draw as native_reservoir_draw
    from engine.dataplane.native_core import native_unique_keys as native_unique_keys
    from engine.dataplane.sniff import DELIMITERS as DELIMITERS
    from engine.dataplane.sniff import FORMATS as FORMATS
    from engine.dataplane.sniff import SAMPLE_BYTES as SAMPLE_BYTES
    from engine.dataplane.sniff import TableFormat as TableFormat
    from engine.dataplane.sniff import TabularError as TabularError
    from engine.dataplane.sniff import detect_delimiter as detect_delimiter
    from engine.dataplane.sniff import detect_encoding as detect_encoding
    from engine.dataplane.sniff import first_row_is_data as first_row_is_data
    from engine.dataplane.sniff import generated_columns as generated_columns
    from engine.dataplane.sniff import one_column_hint as one_column_hint
    from engine.dataplane.sniff import sniff as sniff
    from engine.execution.executors import task_checkpoint as task_checkpoint
    from engine.execution.step_runner import run_stages as run_stages
    from engine.governance import deid_profiles as deid_profiles
    from engine.governance.approvals import approval_problem as approval_problem
    from engine.governance.approvals import covers as covers
    from engine.governance.approvals import days_remaining as days_remaining
    from engine.governance.approvals import valid_approvals as valid_approvals
    from engine.manifest.api import ManifestError as ManifestError
    from engine.manifest.api import load_manifest as load_manifest
    from engine.manifest.api import plan as plan
    from engine.manifest.api import validate_manifest as validate_manifest
    from engine.manifest.loader import load_document as load_document
    from engine.orchestrate import RunRequest as RunRequest
    from engine.orchestrate import arun_manifest as arun_manifest
    from engine.orchestrate import run_manifest as run_manifest
    from engine.plugins import StageRegistry as StageRegistry
    from engine.plugins import default_registry as default_registry
    from engine.plugins import get_stage as get_stage
    from engine.plugins import list_stages as list_stages
    from engine.plugins import register_stage as register_stage
    from engine.plugins.stage_base import StageBase as StageBase
    from engine.reporting.run_report import RunReport as RunReport
    from engine.reporting.run_report import StepEntry as StepEntry
else:
    __getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS)

__version__ = "0.1.0"

__all__ = ["__version__", *_EXPORTS]
