"""Which inputs a stage works on: the ``inputs`` option checked, and each input with its profile.

Why one place: schema_check, validate, phi_scan and deidentify each refused an unknown name in
``inputs`` and skipped (with a warning) an input that upload did not profile, by the same lines.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from engine import InputDataset, safe_excerpt
from stages._common import input_entities
from stages.components import DatasetProfile


def unknown_input(world: Any, wanted: Sequence[str]) -> str | None:
    """The refusal for the first name in ``wanted`` (config ``inputs``) that is no input, else None."""
    unknown = sorted(set(wanted) - {d.name for _, d in input_entities(world)})
    return f"config inputs: no input named {safe_excerpt(unknown[0], 40)!r}" if unknown else None


def profiled_inputs(world: Any, wanted: Sequence[str], warnings: list[str],
                    not_done: str) -> Iterator[tuple[str, InputDataset, DatasetProfile]]:
    """The inputs ``wanted`` names (all when empty) with their profiles, in declaration order.

    An input without a profile (upload failed) is skipped with the warning "...; ``not_done``".
    """
    for entity, dataset in input_entities(world):
        if wanted and dataset.name not in wanted:
            continue
        profile = world.get(entity, DatasetProfile)
        if profile is None:
            warnings.append(f"input {dataset.name!r} has no profile (upload failed?); {not_done}")
            continue
        yield entity, dataset, profile
