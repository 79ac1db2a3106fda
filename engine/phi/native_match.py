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
could match and Python confirms each with its own pattern. Either way the candidates are every
start where a pattern matches exactly, walked by the combined regex's rule (leftmost, then
registry order; :func:`engine.phi.accept.leftmost_accepted`). The
core also gets each pattern's first bytes (:func:`engine.phi.fastform.first_set`), so it tries
a position only against the patterns that can start there.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any, Literal

from engine.phi import core_plan, envpin
from engine.phi.accept import Spans, decide, leftmost_accepted, match_spans
from engine.phi.errors import PhiRegistryError
from engine.phi.fastform import first_set
from engine.phi.native_dialect import boundary_alts, complement, emit, has_lookaround, item_set
from engine.phi.native_labels import core_decides, labelled_arg, labelled_spec, labels_in_core
from engine.phi.native_lazy import parse_ascii
from engine.phi.prefilter import Unsupported, prefix_condition_of
from engine.phi.registry import CompiledPattern, CompiledTier, load_registry
from engine.phi.validators import VALIDATORS

Spec = tuple[str, bool, bytes, bytes]


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
        follow = f"(?:{emit(items[-1][1][1], flags, names)})"
        items = items[:-1]
    if items and items[-1][0] is C.ASSERT_NOT and items[-1][1][0] == 1:
        if follow:
            raise Unsupported("both a right boundary and required right context")
        follow = complement(boundary_alts(items[-1][1][1], flags))
        items = items[:-1]
    if has_lookaround(items):
        raise Unsupported("a lookaround inside the pattern")
    return f"(?P<rfm>{emit(items, flags, names)}){follow}"


def translate(source: str, flags: int = 0) -> str:
    """A lookaround- and group-free Python regex in the native dialect (Unsupported otherwise)."""
    parsed = P.parse(source, (flags & ~re.UNICODE) | re.ASCII)
    if has_lookaround(parsed):
        raise Unsupported("a lookaround")
    return emit(parsed, parsed.state.flags, {})


@functools.lru_cache(maxsize=256)  # once per source: the guard tier repeats the scan tier's patterns
def exclusion_source(source: str) -> str:
    """A pattern's exclusion words (matched right after a match) in the native dialect.

    Only ever asked "does it match here", so a single ``$`` that closes the pattern may consume
    the final newline it stands before: ``(?:\\n?\\z)``. Unsupported for anything else.
    """
    plain = source.replace("$", "")
    if source.count("$") > 1 or (source.count("$") == 1 and not source.rstrip(")").endswith("$")):
        raise Unsupported("a $ that does not close the exclusion words")
    if "\\$" in source or has_lookaround(P.parse(plain, re.ASCII)):
        raise Unsupported("a lookaround in the exclusion words")
    parsed = P.parse(source, re.ASCII)
    return emit(parsed, parsed.state.flags, {}, dollar="(?:\\n?\\z)")


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
        return item_set(op, av, bool(parsed.state.flags & C.SRE_FLAG_IGNORECASE))
    except Unsupported:
        return None


def pattern_spec(pattern: CompiledPattern) -> Spec:
    """What the core compiles for one pattern: exact where the translation exists, else a prefix
    (a labelled pattern the core decides itself: its labels, see :mod:`engine.phi.native_labels`).

    Translated once per source (the guard tier repeats the scan tier's patterns).
    """
    labelled = core_decides(pattern)
    key = (pattern.source, labelled)
    spec = _SPECS.get(key)
    if spec is None:
        spec = _SPECS[key] = labelled_spec(pattern) if labelled else _translate_pattern(pattern)
    return spec


_SPECS: dict[tuple[str, bool], Spec] = {}


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
    return envpin.get(WALK_ENV, "1") != "0"


_BUILT: dict[tuple[int, bool], tuple[CompiledTier, Any]] = {}
RegexEngine = Literal["native", "re"]

ENV_ENGINE = "RFLOW_PHI_REGEX"
MIN_BYTES = 32 << 10
"""A text this long compiles the core's matcher; a shorter one (a log line) uses ``re`` until a scan loaded it."""


def engine_setting() -> Literal["auto", "re"]:
    """The regex path asked for: ``auto`` (the native core when it is built and current, else ``re``) or ``re``.

    Any other value is refused by name, so a typo cannot silently pick a path.
    """
    value = (envpin.get(ENV_ENGINE, "auto") or "").strip().lower() or "auto"
    if value == "auto":
        return "auto"
    if value == "re":
        return "re"
    # shown without the sanitizer (a registry error is): only a short plain word is quoted
    plain = len(value) <= 20 and value.isascii() and value.replace("-", "").replace("_", "").isalnum()
    given = repr(value) if plain else "that value"
    raise PhiRegistryError(f"{ENV_ENGINE} must be auto or re, not {given}")


def regex_engine() -> RegexEngine:
    """Which engine finds the registry's matches in scanned files here (recorded in reports).

    ``RFLOW_PHI_REGEX=re`` is the Python reference path; ``auto`` takes the native core when it is
    built and current, else ``re``.
    """
    return "native" if use_core() else "re"


def use_core() -> bool:
    """True when the native core runs here: built, current, and ``RFLOW_PHI_REGEX`` is ``auto``."""
    return bool(envpin.derived("use_core", _use_core))


def _use_core() -> bool:
    if engine_setting() != "auto":
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
    hit = _BUILT.get((id(tier), labels_in_core()))
    return hit is not None and hit[0] is tier and hit[1] is not None


def matcher_for(tier: CompiledTier) -> Any | None:
    """The core's matcher of ``tier`` (compiled once per process), or None on the Python path."""
    if not use_core():
        return None
    from engine.phi import native

    key = (id(tier), labels_in_core())
    hit = _BUILT.get(key)
    if hit is not None and hit[0] is tier:
        return hit[1]
    assert native.core is not None
    specs, plans, labelled = shipped_args(tier) or tier_args(tier)
    built = native.core.Matcher(specs, plans, labelled=labelled)
    _BUILT[key] = (tier, built)
    return built


def tier_args(tier: CompiledTier) -> tuple[list[Spec], list[Plan], Any]:
    """What the core's ``Matcher`` is built from for ``tier``: each pattern's spec and plan, the labelled rules."""
    return [pattern_spec(p) for p in tier.patterns], [pattern_plan(p) for p in tier.patterns], \
        labelled_arg(tier.patterns)


def shipped_args(tier: CompiledTier) -> tuple[list[Spec], list[Plan], Any] | None:
    """:func:`tier_args` translated ahead of time (:mod:`engine.phi.core_plan`), for a tier of the
    bundled registry under the default settings; None elsewhere."""
    if not labels_in_core():
        return None
    bundled = load_registry()
    name = "scan" if tier is bundled.scan else "guard" if tier is bundled.guard else None
    plan = core_plan.shipped() if name is not None else None
    if plan is None or plan["registry_sha256"] != bundled.sha256:
        return None
    specs, plans, labelled = plan["tiers"][name]
    return specs, plans, labelled


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
