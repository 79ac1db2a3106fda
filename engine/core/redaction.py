"""What the core must not let out, decided by the layer above: the core knows nothing of PHI.

Every error text (:mod:`engine.core.errors`) and the sniffer's header check (a first row whose cells
are identifiers is data, not a header) go through the two functions installed here. The package
``engine`` installs the PHI sanitizer and identifier check (loaded on first use) when it is
imported, which is before any module of it runs. Uninstalled (the core used on its own), a text is
withheld whole and every cell counts as an identifier: fail closed.
"""

from __future__ import annotations

from collections.abc import Callable

WITHHELD = "[withheld: no sanitizer installed]"
UNUSABLE = "[withheld, the sanitizer cannot run]"


def _withhold(text: str) -> str:
    return WITHHELD if text else text


def _any_cell(text: str) -> bool:
    return True


_redact: Callable[[str], str] = _withhold
_identifies: Callable[[str], bool] = _any_cell


def install(redact: Callable[[str], str], identifies: Callable[[str], bool]) -> None:
    """Set the sanitizer of every error text and the test of a cell that holds an identifier."""
    global _redact, _identifies
    _redact, _identifies = redact, identifies


def installed() -> tuple[Callable[[str], str], Callable[[str], bool]]:
    """The sanitizer and the identifier test installed now, as :func:`install` takes them (to put them back)."""
    return _redact, _identifies


def redact(text: str) -> str:
    """``text`` with what the installed sanitizer removes (PHI) replaced.

    A sanitizer that cannot run (its PHI registry does not load) withholds the text whole instead of
    raising: an error reported through here must not fail again, and nothing unchecked may pass.
    """
    try:
        return _redact(text)
    except Exception:
        return UNUSABLE if text else text


def holds_identifier(text: str) -> bool:
    """Whether a cell reads as an identifier (PHI), so a first row of them is data, not a header."""
    return _identifies(text)
