"""Test setup for the PHI suite: a fixed digest key so runs are reproducible."""

from __future__ import annotations

from pathlib import Path

from tests.fixed_key import _phi_key, add_import_paths

__all__ = ["_phi_key"]

add_import_paths(Path(__file__).resolve().parent)
