"""PHI: the canonical registry, the streaming scanner, the sanitizer and the log filter.

``sanitize``/``contains_phi``/``PhiLogFilter`` are imported eagerly (cheap; the registry compiles on
first use); the scanner is loaded on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.phi.errors import PhiError, PhiInputError, PhiKeyError, PhiRegistryError
from engine.phi.keys import PhiKey, resolve_key
from engine.phi.logfilter import PhiLogFilter, install_log_filter
from engine.phi.registry import Category, PhiRegistry, load_registry
from engine.phi.sanitizer import contains_phi, sanitize

if TYPE_CHECKING:
    from engine.phi.scanner import Finding, ScanSummary, plan_ranges, scan_file, scan_range, scan_text, summarize

_LAZY = {"Finding", "ScanSummary", "scan_text", "scan_file", "scan_range", "plan_ranges", "summarize"}

__all__ = [
    "Category",
    "Finding",
    "PhiError",
    "PhiInputError",
    "PhiKey",
    "PhiKeyError",
    "PhiLogFilter",
    "PhiRegistry",
    "PhiRegistryError",
    "ScanSummary",
    "contains_phi",
    "install_log_filter",
    "load_registry",
    "plan_ranges",
    "resolve_key",
    "sanitize",
    "scan_file",
    "scan_range",
    "scan_text",
    "summarize",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from engine.phi import scanner

        return getattr(scanner, name)
    raise AttributeError(f"module 'engine.phi' has no attribute {name!r}")
