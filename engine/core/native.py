"""The compiled core (``engine._native``, built from ``native/`` where cargo was on PATH), or None.

The one loader of the module for every package that uses it: the PHI paths (``engine.phi.native``
checks it was built from the installed registry) and the data-plane loops
(``engine.dataplane.native_core``). Loading it says nothing of what it holds; each user decides
whether and how to use it.
"""

from __future__ import annotations

import functools
from types import ModuleType


@functools.cache
def load_native() -> ModuleType | None:
    """``engine._native`` (imported once per process), or None where it is not built."""
    try:
        from engine import _native
    except ImportError:
        return None
    return _native
