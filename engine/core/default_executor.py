"""The executor a step gets when its run configured none, installed by the layer above.

:meth:`engine.core.contract.StageContext.map_tasks` needs an executor even for a context built
without a run (a test, an embedder); the executors live in :mod:`engine.execution`, above the
core, so the package ``engine`` installs the factory here when it is imported, as it installs
the sanitizer (:mod:`engine.core.redaction`). Uninstalled, there is none and the call fails
with a named error rather than running tasks some other way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_factory: Callable[[], Any] | None = None


def install(factory: Callable[[], Any]) -> None:
    """Set what :func:`create` returns a new one of (an in-process executor)."""
    global _factory
    _factory = factory


def create() -> Any:
    """A new default executor, which the caller closes."""
    if _factory is None:
        from engine.core.errors import RflowError  # importing engine must stay this cheap

        raise RflowError("no default executor is installed (import engine first)")
    return _factory()
