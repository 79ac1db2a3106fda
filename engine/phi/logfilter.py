"""A logging filter that sanitizes every record in place before any handler formats it.

Records carry PHI in more places than ``msg``: the ``%`` args, exception text and tracebacks
(``int("123-45-6789")`` quotes its input), stack info and ``extra`` fields. All are rewritten.

A data row passed as an argument (``logger.warning("first row: %s", row)``) is sanitized as a
record before it is formatted: each value with its key as context (``{"patient": "Okonkwo"}``
is a name because of its key, as a ``patient`` column would make it), and when any value of the
row is PHI, every cell shaped like a name (capitalised words only) is taken for one, since a row
that holds an SSN is a person's row. The output guard checks stage outputs the same way.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping
from typing import Any

from engine.phi.registry import normalize_column
from engine.phi.sanitizer import contains_phi, sanitize

_NAME_SHAPED = re.compile(r"[A-Z][A-Za-z'.-]*(?:,? [A-Z][A-Za-z'.-]*){0,3}")
_NAME_TOKEN = "[PHI:NAME]"
_MAX_DEPTH = 4


def _label(key: object) -> str:
    """A key as words ("top_patient" -> "top patient"), the context a column name would give."""

    return normalize_column(str(key)).replace("_", " ")


def _labelled_spans(key: object, value: str) -> list[tuple[int, int, str]]:
    """Guard-tier spans of ``value`` read as the value of ``key``: the key's column category
    (a ``first_name`` value is a name whatever it holds) and its cue words ("patient: ...")."""
    from engine.phi.spans import find_spans

    if not value.strip():
        return []
    spans = [(s.start, s.end, s.token) for s in find_spans(value, column=str(key), tier="guard")]
    prefix = f"{_label(key)}: "
    spans += [
        (s.start - len(prefix), s.end - len(prefix), s.token)
        for s in find_spans(prefix + value, tier="guard")
        if s.start >= len(prefix)
    ]
    return spans


def field_has_phi(key: object, value: str) -> bool:
    """``value`` holds PHI on its own or as the value of ``key`` (the output guard's check)."""
    return contains_phi(value) or bool(_labelled_spans(key, value))


def sanitize_field(key: object, value: str) -> str:
    """``value`` with its PHI replaced, reading it as the value of ``key``."""
    spans = sorted(_labelled_spans(key, value))
    out: list[str] = []
    last = 0
    for start, end, token in spans:
        if start >= last:
            out.append(value[last:start])
            out.append(token)
            last = end
    out.append(value[last:])
    return sanitize("".join(out))


def _is_record(value: Mapping[Any, Any] | list[Any] | tuple[Any, ...]) -> bool:
    cells = value.items() if isinstance(value, Mapping) else enumerate(value)
    return any(isinstance(v, str) and contains_phi(v) for _, v in cells)


def sanitize_record(value: Any, depth: int = 0) -> Any:
    """A log argument with PHI replaced; rows (mappings, lists, tuples) cell by cell, see above."""
    if isinstance(value, str):
        return sanitize(value)
    if depth >= _MAX_DEPTH or not isinstance(value, Mapping | list | tuple):
        return value
    record = _is_record(value)

    def cell(key: object, item: Any) -> Any:
        if not isinstance(item, str):
            return sanitize_record(item, depth + 1)
        if record and _NAME_SHAPED.fullmatch(item.strip()) and not contains_phi(item):
            return _NAME_TOKEN
        return sanitize_field(key, item) if key is not None else sanitize(item)

    if isinstance(value, Mapping):
        return {sanitize(str(k)) if isinstance(k, str) else k: cell(k, v) for k, v in value.items()}
    items = [cell(None, v) for v in value]
    return tuple(items) if isinstance(value, tuple) else items

_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
_MARK = "_rflow_phi_sanitized"


def _format_exception(record: logging.LogRecord) -> str:
    if record.exc_text:
        return record.exc_text
    exc_info = record.exc_info
    if not exc_info or exc_info[0] is None:
        return ""
    try:
        return "".join(traceback.format_exception(*exc_info)).rstrip("\n")
    except Exception:  # a hostile __str__ must not break logging
        return f"{exc_info[0].__name__}: <unprintable>"


class PhiLogFilter(logging.Filter):
    """Sanitize message, args, exception and stack text and string extras of each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _MARK, False):
            return True
        try:
            if isinstance(record.args, Mapping):
                record.args = sanitize_record(record.args)
            elif record.args:
                record.args = tuple(sanitize_record(a) for a in record.args)
            message = record.getMessage()
        except Exception:  # bad format args: keep the template, drop the args
            message = f"{record.msg} <unformattable log arguments>"
        record.msg = sanitize(message)
        record.args = ()
        if record.exc_info or record.exc_text:
            record.exc_text = sanitize(_format_exception(record)) or None
            record.exc_info = None  # the live exception still quotes raw values
        if record.stack_info:
            record.stack_info = sanitize(record.stack_info)
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, sanitize(value))
        setattr(record, _MARK, True)
        return True


def install_log_filter(target: logging.Logger | logging.Handler | None = None) -> PhiLogFilter:
    """Attach one PhiLogFilter to a handler, or to a logger and its current handlers (idempotent).

    A logger's filters do not see records propagated from child loggers, so prefer installing on
    the handlers that write somewhere; ``None`` means the root logger and its handlers.
    """
    if target is None:
        target = logging.getLogger()
    existing = next((f for f in target.filters if isinstance(f, PhiLogFilter)), None)
    flt = existing or PhiLogFilter()
    if existing is None:
        target.addFilter(flt)
    if isinstance(target, logging.Logger):
        for handler in target.handlers:
            if not any(isinstance(f, PhiLogFilter) for f in handler.filters):
                handler.addFilter(flt)
    return flt
