"""PHI: the canonical registry, the streaming scanner, the sanitizer and the log filter.

``sanitize``/``contains_phi``/``PhiLogFilter`` are imported eagerly (cheap; the registry compiles on
first use); the scanner, spans and column classes are loaded on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.core.lazy import lazy_exports
from engine.phi.errors import PhiError, PhiInputError, PhiKeyError, PhiRegistryError
from engine.phi.keys import PhiKey, resolve_key, stage_key
from engine.phi.logfilter import PhiLogFilter, install_log_filter
from engine.phi.registry import Category, PhiRegistry, load_registry
from engine.phi.sanitizer import contains_phi, sanitize

if TYPE_CHECKING:
    from engine.phi.columns import ColumnClass, classify_columns, classify_file
    from engine.phi.scanner import (
        Finding,
        ScanSummary,
        plan_ranges,
        scan_file,
        scan_range,
        scan_range_kept,
        scan_text,
        summarize,
    )
    from engine.phi.spans import Span, column_category, find_spans

_LAZY = {
    "Finding": ".scanner",
    "ScanSummary": ".scanner",
    "scan_text": ".scanner",
    "scan_file": ".scanner",
    "scan_range": ".scanner",
    "scan_range_kept": ".scanner",
    "plan_ranges": ".scanner",
    "summarize": ".scanner",
    "Span": ".spans",
    "find_spans": ".spans",
    "column_category": ".spans",
    "ColumnClass": ".columns",
    "classify_columns": ".columns",
    "classify_file": ".columns",
}

__all__ = [
    "Category",
    "ColumnClass",
    "Finding",
    "PhiError",
    "PhiInputError",
    "PhiKey",
    "PhiKeyError",
    "PhiLogFilter",
    "PhiRegistry",
    "PhiRegistryError",
    "ScanSummary",
    "Span",
    "classify_columns",
    "classify_file",
    "column_category",
    "contains_phi",
    "find_spans",
    "install_log_filter",
    "load_registry",
    "plan_ranges",
    "resolve_key",
    "sanitize",
    "scan_file",
    "scan_range",
    "scan_range_kept",
    "scan_text",
    "stage_key",
    "summarize",
]


if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _LAZY)
