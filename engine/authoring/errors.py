"""The errors of an edit, apart from the document so that what the document uses (templates) can raise them."""

from __future__ import annotations

from collections.abc import Sequence

from engine.core.errors import RflowError
from engine.manifest.diagnostics import Diagnostic


class EditError(RflowError):
    """An edit was refused; ``diagnostics`` (if any) say why. Nothing was changed."""

    usage = False

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = (), hint: str = "") -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)
        self.hint = hint


class EditUsageError(EditError):
    """The edit names something that does not exist or cannot be edited (CLI exit 2)."""

    usage = True
