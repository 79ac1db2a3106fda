"""Recognising a source from before manifests (a legacy job config), for ``rflow validate``'s hint.

Only the recognition lives here, so that validation never imports the editor: converting such a
source is :mod:`engine.authoring.migrate`'s job, which builds on this module.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from engine.core.errors import safe_excerpt


def is_legacy_job(data: Any) -> bool:
    """A mapping with ``stages`` and no ``apiVersion``: the payload the engine ran before manifests."""
    return isinstance(data, Mapping) and "apiVersion" not in data and "stages" in data


def hint_for(data: Any, name: str) -> str | None:
    """The migrate command for an out-of-date source (used by ``rflow validate``), or None."""
    shown = shlex.quote(safe_excerpt(name, 200))
    if is_legacy_job(data):
        return f"this is a legacy job config; convert it with: rflow manifest migrate {shown} -o pipeline.yaml"
    return None
