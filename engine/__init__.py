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
    "ComponentKind": "engine.components",
    "World": "engine.components",
    "WorldView": "engine.components",
    "component": "engine.components",
    "InputDataset": "engine.core_components",
    "RunInfo": "engine.core_components",
    "ComponentError": "engine.errors",
    "OutputGuardError": "engine.errors",
    "PluginLoadError": "engine.errors",
    "RegistrationError": "engine.errors",
    "RestrictedComponentError": "engine.errors",
    "RflowError": "engine.errors",
    "UndeclaredComponentAccess": "engine.errors",
    "UnknownStageError": "engine.errors",
    "StageRegistry": "engine.registry",
    "default_registry": "engine.registry",
    "get_stage": "engine.registry",
    "list_stages": "engine.registry",
    "register_stage": "engine.registry",
    "ObserverGroup": "engine.runner",
    "PlannedStep": "engine.runner",
    "RunObserver": "engine.runner",
    "RunOutcome": "engine.runner",
    "execute_plan": "engine.runner",
    "run_stages": "engine.runner",
    "ANY_MODE": "engine.types",
    "EmptyConfig": "engine.types",
    "Stage": "engine.types",
    "StageContext": "engine.types",
    "StageResult": "engine.types",
    "StageStatus": "engine.types",
    "StepInterrupted": "engine.types",
    "run_manifest": "engine.run",
    "arun_manifest": "engine.run",
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
