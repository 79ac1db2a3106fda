"""The native PHI core (``engine._native``, built from ``native/`` when cargo was there).

The Python modules of ``engine.phi`` are the reference implementation; the core is a faster path
with identical results (tests/phi/test_native.py compares them). Which one ran is recorded in the
run report. ``RFLOW_REQUIRE_NATIVE=1`` turns a missing or stale core into an error, so that a build
that silently fell back cannot pass where the core matters (CI sets it).
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from types import ModuleType
from typing import Literal

from engine.core.errors import ConfigFileError
from engine.core.native import load_native
from engine.phi import envpin
from engine.phi.errors import PhiError

REQUIRE_ENV = "RFLOW_REQUIRE_NATIVE"
Engine = Literal["native", "python"]


class NativeCoreError(PhiError, ConfigFileError):
    """The native core is required (``RFLOW_REQUIRE_NATIVE=1``) but missing or built from another registry.

    A :class:`ConfigFileError`: its fixed message names only the registry file, so it is shown as
    written (the sanitizer may not load when the registry is what changed)."""


core: ModuleType | None = load_native()


@functools.cache
def registry_sha256() -> str:
    """SHA-256 of the installed registry file, the one the Python path compiles (read once)."""
    return hashlib.sha256(resources.files("engine.phi").joinpath("registry.yaml").read_bytes()).hexdigest()


def is_stale() -> bool:
    """True when the core was built from a registry other than the installed one."""
    return core is not None and _built_from(core) != registry_sha256()


@functools.lru_cache(maxsize=4)
def _built_from(module: object) -> str:
    """The registry hash a core was built with (asked once per core: it hashes the embedded copy)."""
    sha: str = module.registry_sha256()  # type: ignore[attr-defined]
    return sha


def engine() -> Engine:
    """The engine that runs PHI work in this process; raises where the core is required but unusable."""
    required = envpin.get(REQUIRE_ENV) == "1"
    if core is None:
        if required:
            raise NativeCoreError(f"{REQUIRE_ENV}=1 but the native PHI core is not built (install with cargo on PATH)")
        return "python"
    if is_stale():
        if required:
            raise NativeCoreError("the native PHI core was built from another registry.yaml: reinstall rflow")
        return "python"
    return "native"
