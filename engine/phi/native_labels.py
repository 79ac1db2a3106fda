"""Labelled patterns for the native core, from the registry's declared fields.

A labelled pattern's Python form is a backtracking regex full of lookarounds (the label word's
end, a glued value, the window words' ends, the value's right boundary), which the core's engine
lacks. Instead of a prefix condition that Python confirms at each candidate (one call back per
label in the text, and a parse of the large pattern at start-up), the core gets the declared
parts (:class:`engine.phi.label_rule.LabelRule`) and walks the same choices in the same order
(``native/src/labelled.rs``); only the small lookaround-free pieces are translated here.

``RFLOW_PHI_CORE_LABELS=0`` keeps the previous path (Python decides each labelled candidate), so
both run in one process; both give the same findings (tests/native/test_core_labels.py).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any

from engine.phi import envpin
from engine.phi.label_rule import LabelGrammar, LabelRule
from engine.phi.native_dialect import boundary_alts, complement, emit, has_lookaround, item_set
from engine.phi.prefilter import Unsupported, byte_escape
from engine.phi.registry import CompiledPattern
from engine.phi.senses import LabelSenses

ENV = "RFLOW_PHI_CORE_LABELS"
"""``0``: Python decides each labelled candidate the core finds (the previous path, for A/B runs)."""

Spec = tuple[str, bool, bytes, bytes]
GrammarArg = tuple[
    bytes,
    str,
    tuple[int, bytes, list[str], str | None, str] | None,
    list[tuple[str, list[str]]],
    list[tuple[str, list[str]]],
]
RuleArg = tuple[int, list[str], str, bool]
_ALNUM = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def labels_in_core() -> bool:
    """True unless ``RFLOW_PHI_CORE_LABELS=0``."""
    return envpin.get(ENV, "1") != "0"


def core_decides(pattern: CompiledPattern) -> bool:
    """True when the core decides ``pattern``'s matches from its declared parts."""
    rule = pattern.label
    return rule is not None and labels_in_core() and _supported(rule)


@functools.cache
def _supported(rule: LabelRule) -> bool:
    if _window_arg(rule.grammar) is None:
        return False
    try:
        _tail(rule)
    except Unsupported:
        return False
    return True


def _one_class(source: str) -> frozenset[int]:
    parsed = P.parse(source, re.ASCII)
    items = list(parsed)
    if len(items) != 1:
        raise Unsupported("not one character class")
    op, av = items[0]
    return item_set(op, av, bool(parsed.state.flags & C.SRE_FLAG_IGNORECASE))


def _alnum_only(seq: Any) -> bool:
    """Whether every character a parsed lookaround-free regex can match is a letter or digit."""
    for op, av in seq:
        if op in (C.LITERAL, C.IN):
            if not item_set(op, av, False) <= _ALNUM:
                return False
        elif op is C.BRANCH:
            if not all(_alnum_only(alt) for alt in av[1]):
                return False
        elif op is C.SUBPATTERN:
            if not _alnum_only(av[3]):
                return False
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            if not _alnum_only(av[2]):
                return False
        else:
            return False
    return True


def _source(source: str) -> str:
    parsed = P.parse(source, re.ASCII)
    if has_lookaround(parsed):
        raise Unsupported("a lookaround")
    return emit(parsed, parsed.state.flags, {})


def _right(grammar: LabelGrammar) -> str:
    parsed = P.parse(grammar.right, re.ASCII)
    return complement(boundary_alts(parsed, parsed.state.flags))


def _grammar_arg(grammar: LabelGrammar, senses: LabelSenses | None) -> GrammarArg:
    """What the core compiles once for the registry's labelled patterns (``_window_arg`` not None)."""
    parts = _window_arg(grammar)
    assert parts is not None
    after, glued, window = parts
    table = senses or LabelSenses({}, {})
    return (
        after,
        glued,
        window,
        [(w, sorted(ws)) for w, ws in table.after.items()],
        [(w, sorted(ws)) for w, ws in table.before.items()],
    )


@functools.cache
def _window_arg(
    grammar: LabelGrammar,
) -> tuple[bytes, str, tuple[int, bytes, list[str], str | None, str] | None] | None:
    """The grammar's after-label bytes, glued source and window; None when the declared fields
    have a shape the core does not walk (Python decides the candidates then)."""
    try:
        window = None
        if grammar.has_window:
            if grammar.punctuation is None or not all(w.isascii() and w.isalnum() for w in grammar.words):
                return None
            word = None
            if grammar.word is not None:
                parsed = P.parse(grammar.word, re.ASCII)
                if has_lookaround(parsed) or not _alnum_only(parsed):
                    return None
                word = emit(parsed, parsed.state.flags, {})
            punct = bytes(sorted(_one_class(grammar.punctuation)))
            window = (grammar.max_words, punct, list(grammar.words), word, _source(grammar.right))
        after = bytes(sorted(_one_class(grammar.after_label)))
        glued = f"(?:{_source(grammar.glued)}){_right(grammar)}"
    except Unsupported:
        return None
    return after, glued, window


@functools.cache
def _tail(rule: LabelRule) -> str:
    """``SEP(?P<value>VALUE)`` with a ``rfm`` group around it, then the complement of RIGHT."""
    grammar = rule.grammar
    parsed = P.parse(f"{grammar.separator}(?P<value>{rule.value})", re.ASCII)
    if has_lookaround(parsed):
        raise Unsupported("a lookaround in a labelled value")
    names = {parsed.state.groupdict["value"]: "value"}
    return f"(?P<rfm>{emit(parsed, parsed.state.flags, names)}){_right(grammar)}"


def labelled_spec(pattern: CompiledPattern) -> Spec:
    """The core's candidate spec of a labelled pattern: its labels as a prefix condition.

    Every match starts with one of the labels (any case; a space as one of ``[ \\t_-]`` or none),
    so the core tries the pattern only there; no parse of the whole pattern.
    """
    rule = pattern.label
    assert rule is not None
    alts = []
    first: set[int] = set()
    for label in rule.labels:
        parts = []
        for ch in label:
            if ch == " ":
                parts.append("[ \\t_-]?")
            elif ch.isascii() and ch.isalpha():
                parts.append(f"[{ch.upper()}{ch.lower()}]")
            else:
                parts.append(byte_escape(ord(ch)))
        alts.append("".join(parts))
        first.update({ord(label[0].lower()), ord(label[0].upper())})
    left = bytes(sorted(_one_class(rule.grammar.left)))
    return "(?:" + "|".join(alts) + ")", False, left, bytes(sorted(first))


def labelled_arg(patterns: Sequence[CompiledPattern]) -> tuple[GrammarArg, list[RuleArg]] | None:
    """The core's labelled rules of a tier (None when it has none the core decides)."""
    rules: list[RuleArg] = []
    grammar: GrammarArg | None = None
    for index, pat in enumerate(patterns):
        if pat.label is None or not core_decides(pat):
            continue
        arg = _grammar_arg(pat.label.grammar, pat.senses)
        if grammar is not None and arg != grammar:
            raise Unsupported("labelled patterns with different grammars in one tier")
        grammar = arg
        rules.append((index, list(pat.label.labels), _tail(pat.label), pat.senses is not None))
    return None if grammar is None else (grammar, rules)
