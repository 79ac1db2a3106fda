"""Round-trip editing of manifests: every comment, blank line and quote outside the edit stays.

``ManifestDocument`` opens a manifest and offers one method per edit (``add_step``,
``remove_step``, ``move_step``, ``set``/``set_text``/``unset``, ``mode_add``/``mode_remove``/
``mode_set_steps``, ``bump_version``, ``fmt``); each validates its result or raises
:class:`EditError` with diagnostics and changes nothing. ``save`` writes atomically, ``diff``
shows a unified diff. See docs/editing.md.
"""

from __future__ import annotations

from engine.authoring.document import ManifestDocument, write_atomic
from engine.authoring.errors import EditError, EditUsageError
from engine.authoring.fmt import format_text
from engine.authoring.paths import KEY_ORDER, PathError
from engine.authoring.templates import TEMPLATES

__all__ = [
    "KEY_ORDER",
    "TEMPLATES",
    "EditError",
    "EditUsageError",
    "ManifestDocument",
    "PathError",
    "format_text",
    "write_atomic",
]
