"""Registry regexes compiled by Python's ``re`` only when the Python path first runs one.

Why: compiling the registry with ``re`` (every pattern for ``str`` and ``bytes``, and each tier's
combined alternation) was most of ``rflow phi scan``'s start-up, about a second. Where the native
core runs, the core finds the matches and most of those compiled patterns are never used. A
:class:`LazyPattern` behaves as the ``re.Pattern`` it stands for; it answers ``groups`` and
``groupindex`` from the source alone (:func:`group_index`, checked against ``re`` by a test), so
numbering the groups of a combined regex compiles nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from re import _parser as P  # type: ignore[attr-defined]
from types import MappingProxyType
from typing import Any, AnyStr, cast

# An escape, a character class, or an opening parenthesis: (?P<name>, (? or a plain (.
_TOKENS = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|\((\?P<([^>]*)>|\?)?", re.DOTALL)


def group_index(source: str | bytes) -> tuple[int, dict[str, int]]:
    """``(groups, groupindex)`` of a regex source, as ``re.compile(source)`` numbers them.

    A group is every ``(`` outside a character class that is not ``(?...``, or ``(?P<name>``.
    Escapes and classes (``[]...]``, ``[^]...]``) are skipped, so a ``(`` inside them is no group.
    """
    text = source.decode("latin-1") if isinstance(source, bytes) else source
    groups = 0
    names: dict[str, int] = {}
    for m in _TOKENS.finditer(text):
        if m.group(0)[0] != "(" or m.group(1) == "?":
            continue
        groups += 1
        if m.group(2) is not None:
            names[m.group(2)] = groups
    return groups, names


class LazyPattern:
    """A stand-in for ``re.compile(source, flags)`` that compiles on first use (see the module docstring).

    The source itself may be deferred too (a callable that builds it, with its group numbering
    given): a tier's combined alternation is then only spelt out where the Python path runs it.
    """

    __slots__ = ("_build", "_compiled", "_flags", "_source", "groupindex", "groups")

    def __init__(
        self,
        source: str | bytes | Callable[[], str | bytes],
        flags: int = 0,
        numbering: tuple[int, Mapping[str, int]] | None = None,
    ) -> None:
        self._source: str | bytes | None = None if callable(source) else source
        self._build = source if callable(source) else None
        self._flags = flags
        self._compiled: re.Pattern[Any] | None = None
        self.groups, index = numbering if numbering is not None else group_index(self.pattern)
        self.groupindex = MappingProxyType(dict(index))

    @property
    def pattern(self) -> str | bytes:
        """The regex source (built the first time it is asked for, when it was deferred)."""
        if self._source is None:
            assert self._build is not None
            self._source = self._build()
            self._build = None
        return self._source

    def compiled(self) -> re.Pattern[Any]:
        """The ``re`` pattern, compiled the first time it is asked for."""
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self._flags)
        return self._compiled

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.compiled(), name)

    def __eq__(self, other: object) -> bool:
        # Equal to another stand-in of the same source and flags; not to a compiled re.Pattern.
        if not isinstance(other, LazyPattern):
            return NotImplemented
        return (self.pattern, self._flags) == (other.pattern, other._flags)

    def __hash__(self) -> int:
        return hash((self.pattern, self._flags))

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"

    def __reduce__(self) -> tuple[type[LazyPattern], tuple[str | bytes, int]]:
        return LazyPattern, (self.pattern, self._flags)


def lazy_compile(
    source: AnyStr, flags: int = 0, numbering: tuple[int, Mapping[str, int]] | None = None
) -> re.Pattern[AnyStr]:
    """``re.compile(source, flags)``, compiled on first use; typed as the pattern it stands for.

    ``numbering`` (``groups``, ``groupindex``) skips reading it from the source, when it is known.
    """
    return cast("re.Pattern[AnyStr]", LazyPattern(source, flags, numbering))


def deferred_compile(
    build: Callable[[], AnyStr], flags: int, numbering: tuple[int, Mapping[str, int]]
) -> re.Pattern[AnyStr]:
    """A stand-in whose source is built on first use; ``numbering`` must be the source's own
    (tests/phi/test_startup_load.py checks it against ``re`` for every tier)."""
    return cast("re.Pattern[AnyStr]", LazyPattern(build, flags, numbering))


@functools.lru_cache(maxsize=512)
def parse_ascii(source: str) -> Any:
    """``re._parser.parse(source, re.ASCII)``, once per source: both tiers and the core's
    translation read the same patterns' parse (its callers only read it)."""
    return P.parse(source, re.ASCII)
