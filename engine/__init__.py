"""rflow: a governed, plugin-based stage engine for clinical-research data.

The library API lives here; heavy parts (manifests, PHI scanner) are imported lazily so that
``import engine`` stays cheap for the CLI.
"""

from __future__ import annotations

from engine.components import ComponentKind, World, WorldView, component
from engine.core_components import InputDataset, RunInfo
from engine.errors import (
    ComponentError,
    OutputGuardError,
    PluginLoadError,
    RegistrationError,
    RestrictedComponentError,
    RflowError,
    UndeclaredComponentAccess,
    UnknownStageError,
)
from engine.registry import StageRegistry, default_registry, get_stage, list_stages, register_stage
from engine.runner import ObserverGroup, PlannedStep, RunObserver, RunOutcome, execute_plan, run_stages
from engine.types import ANY_MODE, EmptyConfig, Stage, StageContext, StageResult, StageStatus, StepInterrupted

__version__ = "0.1.0"

__all__ = [
    "ANY_MODE",
    "ComponentError",
    "ComponentKind",
    "EmptyConfig",
    "InputDataset",
    "ObserverGroup",
    "OutputGuardError",
    "PlannedStep",
    "PluginLoadError",
    "RegistrationError",
    "RestrictedComponentError",
    "RflowError",
    "RunInfo",
    "RunObserver",
    "RunOutcome",
    "Stage",
    "StageContext",
    "StageRegistry",
    "StageResult",
    "StageStatus",
    "StepInterrupted",
    "UndeclaredComponentAccess",
    "UnknownStageError",
    "World",
    "WorldView",
    "__version__",
    "component",
    "default_registry",
    "execute_plan",
    "get_stage",
    "list_stages",
    "register_stage",
    "run_stages",
]
