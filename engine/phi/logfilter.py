"""A logging filter that sanitizes every record in place before any handler formats it.

Records carry PHI in more places than ``msg``: the ``%`` args, exception text and tracebacks
(``int("123-45-6789")`` quotes its input), stack info and ``extra`` fields. All are rewritten.
"""

from __future__ import annotations

import logging
import traceback

from engine.phi.sanitizer import sanitize

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
