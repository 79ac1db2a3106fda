"""Test setup for the native core's differential tests: the PHI suite's helpers and fixed key."""

from __future__ import annotations

from tests.fixed_key import ROOT, _phi_key, add_import_paths

__all__ = ["_phi_key"]

add_import_paths(ROOT / "tests" / "phi", ROOT / "bench")
