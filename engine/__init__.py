"""rflow: a governed, plugin-based stage engine for clinical-research data.

The library API lives here; heavy parts (manifests, PHI scanner) are imported lazily so that
``import engine`` stays cheap for the CLI.
"""

from __future__ import annotations

import importlib
from typing import Any

# Public name -> defining module. Imported on first access so that ``import engine`` (and the
# CLI's start-up) does not pay for asyncio, cattrs and the runner until they are used.
_EXPORTS = {
    "ComponentKind": "engine.core.components",
    "World": "engine.core.components",
    "WorldView": "engine.core.components",
    "component": "engine.core.components",
    "InputDataset": "engine.core.engine_components",
    "RunInfo": "engine.core.engine_components",
    "ComponentError": "engine.core.errors",
    "OutputGuardError": "engine.core.errors",
    "PluginLoadError": "engine.core.errors",
    "RegistrationError": "engine.core.errors",
    "RestrictedComponentError": "engine.core.errors",
    "RflowError": "engine.core.errors",
    "UndeclaredComponentAccess": "engine.core.errors",
    "UnknownStageError": "engine.core.errors",
    "StageRegistry": "engine.plugins",
    "default_registry": "engine.plugins",
    "get_stage": "engine.plugins",
    "list_stages": "engine.plugins",
    "register_stage": "engine.plugins",
    "ObserverGroup": "engine.execution.step_runner",
    "PlannedStep": "engine.execution.step_runner",
    "RunObserver": "engine.execution.step_runner",
    "RunOutcome": "engine.execution.step_runner",
    "execute_plan": "engine.execution.step_runner",
    "run_stages": "engine.execution.step_runner",
    "ANY_MODE": "engine.core.contract",
    "EmptyConfig": "engine.core.contract",
    "Stage": "engine.core.contract",
    "StageContext": "engine.core.contract",
    "StageResult": "engine.core.contract",
    "StageStatus": "engine.core.contract",
    "StepInterrupted": "engine.core.contract",
    "run_manifest": "engine.orchestrate",
    "arun_manifest": "engine.orchestrate",
    "load_manifest": "engine.manifest",
    "validate_manifest": "engine.manifest",
    "plan": "engine.manifest",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__version__ = "0.1.0"

__all__ = ["__version__", *_EXPORTS]
