"""Registry patterns translated for the native core's ``regex`` engine, and the candidate walk on it.

Why: the core (``engine._native.Matcher``) finds every start where a pattern matches in one call
with the GIL released, instead of Python's ``re`` entering the tier's alternation at every word.
The patterns are not written twice: each one is translated here from Python's own parse of the
compiled registry pattern (``re._parser``), and the engine has no lookaround, so

- the declared left boundary (a leading one-character lookbehind) becomes a byte table the core
  checks before the match;
- a declared right boundary ``(?!B)`` (one- or two-character alternatives) becomes its complement,
  consumed after a ``rfm`` group that marks the match: ``(?P<rfm>R)(?:not-B|\\z)``, which picks the
  same match a backtracking engine does;
- required right context ``(?=F)`` becomes ``(?P<rfm>R)(?:F)``.

A pattern with any other lookaround (labelled values, cue windows) or ``$`` is sent as a prefix
condition (:func:`engine.phi.prefilter.prefix_condition`): the core returns every start where it
could match and Python confirms each with its own pattern. Either way the candidates are exactly
those of :mod:`engine.phi.accel`, walked by the same rule (leftmost, then registry order). The
core also gets each pattern's first bytes (:func:`engine.phi.fastform.first_set`), so it tries
a position only against the patterns that can start there.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any, Literal

from engine.phi import accel
from engine.phi.accept import Spans, decide, leftmost_accepted, match_spans
from engine.phi.fastform import first_set
from engine.phi.native_lazy import parse_ascii
from engine.phi.prefilter import Unsupported, byte_escape, other_case, prefix_condition_of
from engine.phi.registry import CompiledPattern, CompiledTier
from engine.phi.validators import VALIDATORS

Spec = tuple[str, bool, bytes, bytes]
_ALL = frozenset(range(256))


def _class_set(items: Sequence[tuple[Any, Any]], ignore: bool) -> frozenset[int]:
    """The bytes a parsed character class (``IN`` items) matches."""
    negate = False
    out: set[int] = set()
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            out.add(av)
        elif op is C.RANGE:
            out.update(range(av[0], av[1] + 1))
        else:
            raise Unsupported(f"character class item {op}")
    if ignore:
        out |= {s for c in out if (s := other_case(c)) is not None}
    return _ALL - out if negate else frozenset(out)


def _set_source(chars: frozenset[int]) -> str:
    """A byte class matching exactly ``chars`` (non-empty), as ranges."""
    ordered = sorted(chars)
    out: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        out.append(byte_escape(ordered[i]) + (f"-{byte_escape(ordered[j])}" if j > i else ""))
        i = j + 1
    return "[" + "".join(out) + "]"


def _item_set(op: Any, av: Any, ignore: bool) -> frozenset[int]:
    if op is C.LITERAL:
        other = other_case(av) if ignore else None
        return frozenset({av} if other is None else {av, other})
    if op is C.NOT_LITERAL:
        other = other_case(av) if ignore else None
        return _ALL - ({av} if other is None else {av, other})
    if op is C.IN:
        return _class_set(av, ignore)
    raise Unsupported(f"regex construct {op} in a boundary")


def _emit(seq: Sequence[tuple[Any, Any]], flags: int, names: dict[int, str], dollar: str | None = None) -> str:
    """Exact ``regex``-crate source of a lookaround-free parsed sequence (capture groups kept).

    ``dollar``: how to spell ``$`` (only where the caller knows it closes the pattern).
    """
    ignore = bool(flags & C.SRE_FLAG_IGNORECASE)
    parts: list[str] = []
    for op, av in seq:
        if op is C.AT and av is C.AT_END and dollar is not None:
            parts.append(dollar)
        elif op in (C.LITERAL, C.NOT_LITERAL, C.IN):
            chars = _item_set(op, av, ignore)
            parts.append(_set_source(chars) if len(chars) != 1 else byte_escape(next(iter(chars))))
        elif op is C.ANY:
            parts.append("[\\x00-\\xff]" if flags & C.SRE_FLAG_DOTALL else "[^\\n]")
        elif op is C.BRANCH:
            parts.append("(?:" + "|".join(_emit(alt, flags, names, dollar) for alt in av[1]) + ")")
        elif op is C.SUBPATTERN:
            group, add, delete, sub = av
            inner = _emit(sub, (flags | add) & ~delete, names, dollar)
            if group is None:
                parts.append(f"(?:{inner})")
            elif group in names:
                parts.append(f"(?P<{names[group]}>{inner})")
            else:
                raise Unsupported("an unnamed capturing group")
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            upper = "" if hi is C.MAXREPEAT else str(hi)
            lazy = "?" if op is C.MIN_REPEAT else ""
            parts.append(f"(?:{_emit(sub, flags, names, dollar)}){{{lo},{upper}}}{lazy}")
        else:
            raise Unsupported(f"regex construct {op}")
    return "".join(parts)


def _complement(alts: list[list[frozenset[int]]]) -> str:
    """What may follow a match so that none of ``alts`` (1-2 byte-class sequences) starts there."""
    single: frozenset[int] = frozenset().union(*(a[0] for a in alts if len(a) == 1))
    by_follow: dict[frozenset[int], set[int]] = {}
    for x in _ALL - single:
        follow = frozenset().union(*(a[1] for a in alts if len(a) == 2 and x in a[0]))
        by_follow.setdefault(follow, set()).add(x)
    out = ["\\z"]
    for follow, xs in sorted(by_follow.items(), key=lambda kv: min(kv[1])):
        head = _set_source(frozenset(xs))
        if not follow:
            out.append(head)
        elif follow == _ALL:
            out.append(head + "\\z")
        else:
            out.append(f"{head}(?:{_set_source(_ALL - follow)}|\\z)")
    return "(?:" + "|".join(out) + ")"


def _boundary_alts(seq: Sequence[tuple[Any, Any]], flags: int) -> list[list[frozenset[int]]]:
    ignore = bool(flags & C.SRE_FLAG_IGNORECASE)
    items = list(seq)
    alts = [list(a) for a in items[0][1][1]] if len(items) == 1 and items[0][0] is C.BRANCH else [items]
    out = []
    for alt in alts:
        if not 1 <= len(alt) <= 2:
            raise Unsupported("a right boundary longer than two characters")
        out.append([_item_set(op, av, ignore) for op, av in alt])
    return out


def _has_lookaround(seq: Any) -> bool:
    for op, av in seq:
        if op in (C.ASSERT, C.ASSERT_NOT, C.AT):
            return True
        if op is C.BRANCH and any(_has_lookaround(alt) for alt in av[1]):
            return True
        if op is C.SUBPATTERN and _has_lookaround(av[3]):
            return True
        if op in (C.MAX_REPEAT, C.MIN_REPEAT) and _has_lookaround(av[2]):
            return True
    return False


def exact_source(pattern: CompiledPattern, parsed: Any = None) -> str:
    """The pattern in the native dialect (see the module docstring); Unsupported when it cannot be."""
    if parsed is None:
        parsed = P.parse(pattern.source, re.ASCII)
    flags = parsed.state.flags
    names = {index: name for name, index in pattern.str_re.groupindex.items()}
    items = list(parsed)
    if _left_set(parsed) is None:
        raise Unsupported("no declared left boundary")
    items = items[1:]
    follow = ""
    if items and items[-1][0] is C.ASSERT and items[-1][1][0] == 1:
        follow = f"(?:{_emit(items[-1][1][1], flags, names)})"
        items = items[:-1]
    if items and items[-1][0] is C.ASSERT_NOT and items[-1][1][0] == 1:
        if follow:
            raise Unsupported("both a right boundary and required right context")
        follow = _complement(_boundary_alts(items[-1][1][1], flags))
        items = items[:-1]
    if _has_lookaround(items):
        raise Unsupported("a lookaround inside the pattern")
    return f"(?P<rfm>{_emit(items, flags, names)}){follow}"


def translate(source: str, flags: int = 0) -> str:
    """A lookaround- and group-free Python regex in the native dialect (Unsupported otherwise)."""
    parsed = P.parse(source, (flags & ~re.UNICODE) | re.ASCII)
    if _has_lookaround(parsed):
        raise Unsupported("a lookaround")
    return _emit(parsed, parsed.state.flags, {})


@functools.lru_cache(maxsize=256)  # once per source: the guard tier repeats the scan tier's patterns
def exclusion_source(source: str) -> str:
    """A pattern's exclusion words (matched right after a match) in the native dialect.

    Only ever asked "does it match here", so a single ``$`` that closes the pattern may consume
    the final newline it stands before: ``(?:\\n?\\z)``. Unsupported for anything else.
    """
    plain = source.replace("$", "")
    if source.count("$") > 1 or (source.count("$") == 1 and not source.rstrip(")").endswith("$")):
        raise Unsupported("a $ that does not close the exclusion words")
    if "\\$" in source or _has_lookaround(P.parse(plain, re.ASCII)):
        raise Unsupported("a lookaround in the exclusion words")
    parsed = P.parse(source, re.ASCII)
    return _emit(parsed, parsed.state.flags, {}, dollar="(?:\\n?\\z)")


def _left_set(parsed: Any) -> frozenset[int] | None:
    """The bytes a parsed pattern's leading one-character lookbehind refuses (None: it has none)."""
    first = list(parsed)[:1]
    if not first or first[0][0] is not C.ASSERT_NOT or first[0][1][0] != -1:
        return None
    sub = list(first[0][1][1])
    if len(sub) != 1:
        return None
    op, av = sub[0]
    try:
        return _item_set(op, av, bool(parsed.state.flags & C.SRE_FLAG_IGNORECASE))
    except Unsupported:
        return None


def pattern_spec(pattern: CompiledPattern) -> Spec:
    """What the core compiles for one pattern: exact where the translation exists, else a prefix.

    Translated once per source (the guard tier repeats the scan tier's patterns).
    """
    spec = _SPECS.get(pattern.source)
    if spec is None:
        spec = _SPECS[pattern.source] = _translate_pattern(pattern)
    return spec


_SPECS: dict[str, Spec] = {}


def _translate_pattern(pattern: CompiledPattern) -> Spec:
    parsed = parse_ascii(pattern.source)  # once per source: the labelled patterns are large
    left = bytes(sorted(_left_set(parsed) or ()))
    firsts, nullable = first_set(parsed, parsed.state.flags)
    known = firsts is not None and not nullable and all(c < 128 for c in firsts)
    first = bytes(sorted(firsts)) if known and firsts is not None else bytes(range(256))
    try:
        return exact_source(pattern, parsed), True, left, first
    except Unsupported:
        return prefix_condition_of(parsed), False, left, first


Plan = tuple[list[str], bool, str | None, str, str]
_VALIDATOR_NAMES = {check: name for name, check in VALIDATORS.items()}
PYTHON_ONLY = "<python>"
"""The name the core is given for a validator it cannot know: Python decides such a pattern."""


def validator_name(check: Callable[[str], bool]) -> str:
    """The registry name of a validator function, for the core (``PYTHON_ONLY`` if it has none)."""
    return _VALIDATOR_NAMES.get(check, PYTHON_ONLY)


def pattern_plan(pattern: CompiledPattern) -> Plan:
    """What the core decides a match of ``pattern`` with: (validator names, has exclusion words,
    their native source or None (Python checks them), category, digest normalizer)."""
    names = [validator_name(check) for check in pattern.validators]
    source = None
    if pattern.reject_after is not None:
        try:
            source = exclusion_source(pattern.reject_after.pattern)
        except Unsupported:
            source = None
    return names, pattern.reject_after is not None, source, pattern.category.name, pattern.category.normalize


WALK_ENV = "RFLOW_PHI_CORE_WALK"
"""``0``: Python walks the core's candidates and maps the findings (the previous path, for benchmarks)."""


def core_walks() -> bool:
    """True unless ``RFLOW_PHI_CORE_WALK=0``: the core walks, validates, locates and digests."""
    return os.environ.get(WALK_ENV, "1") != "0"


_BUILT: dict[int, tuple[CompiledTier, Any]] = {}
RegexEngine = Literal["native", "hyperscan", "re"]


def regex_engine() -> RegexEngine:
    """Which engine finds the registry's matches in scanned files here (recorded in reports).

    ``RFLOW_PHI_REGEX=re`` is the Python reference path; ``hyperscan`` asks for Hyperscan; ``auto``
    takes the native core when it is built and current, else Hyperscan when installed, else ``re``.
    """
    if use_core():
        return "native"
    if accel.engine_setting() != "re" and accel.has_hyperscan():
        return "hyperscan"
    return "re"


def use_core() -> bool:
    """True when the native core runs here: built, current, and ``RFLOW_PHI_REGEX`` is ``auto``."""
    if accel.engine_setting() != "auto":
        return False
    from engine.phi import native  # the core is loaded only where a scan needs it

    return native.engine() == "native"


def core_loaded() -> bool:
    """True when this process has loaded the core (a scan asked for it): short texts use it too.

    A process that never scans (``rflow validate`` sanitizing a message) never imports the core.
    """
    return "engine.phi.native" in sys.modules


def is_built(tier: CompiledTier) -> bool:
    """True when the core's matcher of ``tier`` is compiled in this process."""
    hit = _BUILT.get(id(tier))
    return hit is not None and hit[0] is tier and hit[1] is not None


def matcher_for(tier: CompiledTier) -> Any | None:
    """The core's matcher of ``tier`` (compiled once per process), or None on the Python path."""
    if not use_core():
        return None
    from engine.phi import native

    hit = _BUILT.get(id(tier))
    if hit is not None and hit[0] is tier:
        return hit[1]
    assert native.core is not None
    built = native.core.Matcher([pattern_spec(p) for p in tier.patterns], [pattern_plan(p) for p in tier.patterns])
    _BUILT[id(tier)] = (tier, built)
    return built


def native_matches(
    tier: CompiledTier, core_matcher: Any, data: bytes
) -> Iterator[tuple[CompiledPattern, int, int, int, int]]:
    """The combined-regex semantics over the core's candidates: leftmost first, registry order at a tie.

    The core walks and validates; what it cannot decide it asks :func:`engine.phi.accept.decide`.
    """
    patterns = tier.patterns
    if not core_walks():
        return leftmost_accepted(patterns, core_matcher.candidates(data), data, match_spans)
    return ((patterns[i], ms, vs, ve, me) for i, ms, vs, ve, me in core_matcher.walk(data, asker(patterns, data)))


def asker(patterns: Sequence[CompiledPattern], data: bytes) -> Callable[[int, int, Spans | None], Spans | None]:
    """The core's question for a candidate it cannot decide, answered by the Python reference."""
    def ask(index: int, start: int, spans: Spans | None) -> Spans | None:
        return decide(patterns[index], data, start, spans, match_spans)

    return ask
