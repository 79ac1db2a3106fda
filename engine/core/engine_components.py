"""Components the engine itself provides before any stage runs."""

from __future__ import annotations

from engine.core.components import ComponentKind, component


@component("input_dataset", ComponentKind.METADATA)
class InputDataset:
    """A declared run input: its manifest name, where it is, and its declared format."""

    name: str
    path: str
    format: str = "auto"


@component("run_info", ComponentKind.METADATA)
class RunInfo:
    """The run entity's identity."""

    run_id: str
    job_id: str
    mode: str
    pipeline: str = ""
    pipeline_version: str = ""
