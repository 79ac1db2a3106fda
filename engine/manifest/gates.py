"""Gate expressions: small, safe conditions over earlier steps' metadata (no ``eval``).

Grammar::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := operand (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") operand)?
    operand := NUMBER | STRING | "true" | "false" | "null" | REF | "(" expr ")" | "[" literals "]"
    REF     := step_id "." name ("." name)*

``step.status`` is the step's result status; any other path reads the step's ``output``.
Every node keeps its character offset so that ``rflow validate`` can point at the exact column.

Types are strict, because a gate guards PHI: ``==``/``!=`` compare values of the same kind (a
boolean is never a number, ``errors_total == false`` is an error, not ``0 == false``); ``null``
equals only ``null``; ordering needs numbers; ``in`` needs a list on the right (never a substring
test); ``and``/``or``/``not`` and the whole gate need booleans. What is visible in the text is
refused by ``rflow validate``; what depends on a step's output fails the gate closed, with one line
saying why. Literals are bounded: finite numbers up to 2**53, printable text, nesting depth 32.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from engine.core.errors import safe_excerpt

MAX_GATE_CHARS = 500
MAX_GATE_DEPTH = 32
"""Nested parentheses, lists and ``not`` s; deeper would only exhaust the parser's stack."""
MAX_GATE_NUMBER = 2**53
_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?[0-9]+(?:\.[0-9]+)?)|(?P<str>'[^'\\]{0,200}'|\"[^\"\\]{0,200}\")"
    r"|(?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*))",
    re.ASCII,
)
_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
_COMPARE = {"==", "!=", "<", "<=", ">", ">=", "in", "not in"}


class GateError(ValueError):
    """A gate expression is malformed; ``offset`` is the 0-based character position."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


@attrs.frozen
class Token:
    kind: str
    text: str
    offset: int


@attrs.frozen
class Literal:
    value: Any
    offset: int


@attrs.frozen
class Ref:
    step: str
    path: tuple[str, ...]
    offset: int

    @property
    def text(self) -> str:
        return ".".join((self.step, *self.path))


@attrs.frozen
class ListLit:
    items: tuple[Literal, ...]
    offset: int


@attrs.frozen
class Not:
    operand: Any
    offset: int


@attrs.frozen
class BoolOp:
    op: str
    operands: tuple[Any, ...]
    offset: int


@attrs.frozen
class Compare:
    op: str
    left: Any
    right: Any
    offset: int


def _tokenize(expr: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        m = _TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            bad = pos + (len(expr[pos:]) - len(expr[pos:].lstrip()))
            raise GateError(bad, "unexpected character in gate expression")
        kind = m.lastgroup or ""
        text = m.group(kind)
        start = m.start(kind)
        if kind == "name" and text in _KEYWORDS:
            kind = "kw"
        tokens.append(Token(kind, text, start))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, expr: str) -> None:
        self.expr = expr
        self.tokens = _tokenize(expr)
        self.i = 0
        self.depth = 0

    def enter(self, offset: int) -> None:
        self.depth += 1
        if self.depth > MAX_GATE_DEPTH:
            raise GateError(offset, f"gate expression is nested deeper than {MAX_GATE_DEPTH} levels")

    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise GateError(len(self.expr), "gate expression ends too early")
        self.i += 1
        return tok

    def at(self, kind: str, text: str | None = None) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == kind and (text is None or tok.text == text)

    def parse(self) -> Any:
        if not self.tokens:
            raise GateError(0, "gate expression is empty")
        node = self.parse_or()
        extra = self.peek()
        if extra is not None:
            raise GateError(extra.offset, "unexpected token after a complete expression")
        return node

    def parse_or(self) -> Any:
        return self._chain("or", self.parse_and)

    def parse_and(self) -> Any:
        return self._chain("and", self.parse_not)

    def _chain(self, op: str, operand: Callable[[], Any]) -> Any:
        """``operand (op operand)*``: one operand as it is, two or more as one BoolOp."""
        first = operand()
        items = [first]
        while self.at("kw", op):
            self.take()
            items.append(operand())
        return first if len(items) == 1 else BoolOp(op, tuple(items), _offset(first))

    def parse_not(self) -> Any:
        if self.at("kw", "not"):
            tok = self.take()
            self.enter(tok.offset)
            node = Not(self.parse_not(), tok.offset)
            self.depth -= 1
            return node
        return self.parse_compare()

    def parse_compare(self) -> Any:
        left = self.parse_operand()
        tok = self.peek()
        op: str | None = None
        if tok is not None and ((tok.kind == "op" and tok.text in _COMPARE) or (tok.kind == "kw" and tok.text == "in")):
            op = self.take().text
        elif tok is not None and tok.kind == "kw" and tok.text == "not":
            nxt = self.peek(1)
            if nxt is not None and nxt.kind == "kw" and nxt.text == "in":
                self.take()
                self.take()
                op = "not in"
        if op is None:
            return left
        right = self.parse_operand()
        return Compare(op, left, right, _offset(left))

    def parse_operand(self) -> Any:
        tok = self.take()
        if tok.kind == "num":
            return Literal(_number(tok), tok.offset)
        if tok.kind == "str":
            return Literal(_text(tok), tok.offset)
        if tok.kind == "kw" and tok.text in ("true", "false", "null"):
            return Literal({"true": True, "false": False, "null": None}[tok.text], tok.offset)
        if tok.kind == "name":
            parts = tok.text.split(".")
            if len(parts) < 2:
                raise GateError(tok.offset, f"'{safe_excerpt(tok.text, 40)}' must be STEP.FIELD "
                                            "(e.g. phi_scan.findings_total)")
            return Ref(parts[0], tuple(parts[1:]), tok.offset)
        if tok.kind == "op" and tok.text == "(":
            self.enter(tok.offset)
            node = self.parse_or()
            if not self.at("op", ")"):
                raise GateError(self._pos(), "missing ')'")
            self.take()
            self.depth -= 1
            return node
        if tok.kind == "op" and tok.text == "[":
            self.enter(tok.offset)
            items: list[Literal] = []
            while not self.at("op", "]"):
                item = self.parse_operand()
                if not isinstance(item, Literal):
                    raise GateError(_offset(item), "lists may only hold literal values")
                items.append(item)
                if self.at("op", ","):
                    self.take()
                elif not self.at("op", "]"):
                    raise GateError(self._pos(), "expected ',' or ']' in list")
            self.take()
            self.depth -= 1
            return ListLit(tuple(items), tok.offset)
        raise GateError(tok.offset, f"unexpected '{safe_excerpt(tok.text, 20)}'")

    def _pos(self) -> int:
        tok = self.peek()
        return tok.offset if tok is not None else len(self.expr)


def _offset(node: Any) -> int:
    return int(node.offset)


def _number(tok: Token) -> int | float:
    value: int | float = float(tok.text) if "." in tok.text else int(tok.text)
    if abs(value) > MAX_GATE_NUMBER or not math.isfinite(value):
        raise GateError(tok.offset, f"number is out of range (at most {MAX_GATE_NUMBER} in magnitude)")
    return value


def _text(tok: Token) -> str:
    body = tok.text[1:-1]
    bad = next((i for i, ch in enumerate(body) if not ch.isprintable()), None)
    if bad is not None:
        raise GateError(tok.offset + 1 + bad, "gate text must be printable (no control characters or "
                        "lone surrogates)")
    return body


def parse_gate(expr: str) -> Any:
    """Parse ``expr`` into an AST; raises :class:`GateError` with the offending offset."""
    if not isinstance(expr, str):
        raise GateError(0, "a gate must be a string expression")
    if len(expr) > MAX_GATE_CHARS:
        raise GateError(MAX_GATE_CHARS, f"gate expression is longer than {MAX_GATE_CHARS} characters")
    return _Parser(expr).parse()


def references(node: Any) -> list[Ref]:
    """Every step reference in an AST, in source order."""
    if isinstance(node, Ref):
        return [node]
    if isinstance(node, Not):
        return references(node.operand)
    if isinstance(node, BoolOp):
        return [r for child in node.operands for r in references(child)]
    if isinstance(node, Compare):
        return references(node.left) + references(node.right)
    return []


def check_gate(expr: str, available_steps: set[str] | frozenset[str]) -> list[tuple[int, str]]:
    """Problems with ``expr`` as ``(offset, message)``; empty when it is valid here."""
    try:
        node = parse_gate(expr)
    except GateError as exc:
        return [(exc.offset, exc.message)]
    problems = []
    for ref in references(node):
        if ref.step not in available_steps:
            known = ", ".join(sorted(available_steps)) or "none"
            problems.append(
                (ref.offset, f"gate refers to step '{ref.step}', which does not run before this step "
                             f"(earlier steps: {known})")
            )
    problems += _type_problems(node)
    if _static_kind(node) not in (None, "boolean"):
        problems.append((_offset(node), f"a gate must be a condition (true or false), not {_static_kind(node)}"))
    return problems


def kind(value: Any) -> str:
    """The gate type of a value: boolean, number, text, null, list, mapping or other."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "mapping"
    return "other"


def _static_kind(node: Any) -> str | None:
    """The type ``node`` has whatever the step outputs are; None when only a run can tell."""
    if isinstance(node, Literal):
        return kind(node.value)
    if isinstance(node, ListLit):
        return "list"
    if isinstance(node, Ref):
        return "text" if node.path == ("status",) else None
    return "boolean"


def _type_problems(node: Any) -> list[tuple[int, str]]:
    """Type errors visible in the text (strict types: see the module docstring)."""
    out: list[tuple[int, str]] = []
    if isinstance(node, Not | BoolOp):
        operands = (node.operand,) if isinstance(node, Not) else node.operands
        word = "not" if isinstance(node, Not) else node.op
        for child in operands:
            out += _type_problems(child)
            found = _static_kind(child)
            if found not in (None, "boolean"):
                out.append((_offset(child), f"'{word}' needs conditions (true or false), not {found}"))
    elif isinstance(node, Compare):
        left, right = _static_kind(node.left), _static_kind(node.right)
        try:
            _check_kinds(node.op, left, right)
            if node.op in ("in", "not in") and isinstance(node.right, ListLit) and left is not None:
                for item in node.right.items:
                    _check_kinds("==", left, kind(item.value))
        except TypeError as exc:
            out.append((_offset(node.right if node.op in ("in", "not in") else node), str(exc)))
    return out


def _check_kinds(op: str, left: str | None, right: str | None) -> None:
    """Raise TypeError (one line) when ``left op right`` mixes types; None means unknown yet."""
    if op in ("in", "not in"):
        if right is not None and right != "list":
            raise TypeError(f"'{op}' needs a list on the right, not {right} ('in' never tests substrings)")
        if left in ("list", "mapping", "other"):
            raise TypeError(f"'{op}' tests one value against a list, not a {left}")
        return
    if left in ("list", "mapping", "other") or right in ("list", "mapping", "other"):
        raise TypeError(f"'{op}' compares single values; lists are only for 'in'")
    if op in ("==", "!="):
        if left is not None and right is not None and left != right and "null" not in (left, right):
            raise TypeError(f"cannot compare {left} {op} {right} (gates never mix types, e.g. 0 and false)")
        return
    for side in (left, right):
        if side is not None and side != "number":
            raise TypeError(f"'{op}' needs numbers, not {side}")


class _Missing:
    pass


MISSING = _Missing()


def _resolve(ref: Ref, results: Mapping[str, Any]) -> Any:
    result = results.get(ref.step)
    if result is None:
        return MISSING
    status = getattr(result, "status", None)
    if ref.path == ("status",) and status is not None:
        return getattr(status, "value", status)
    value: Any = getattr(result, "output", result)
    for part in ref.path:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return MISSING
    return value


def _evaluate(node: Any, results: Mapping[str, Any], why: list[str]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, ListLit):
        return [i.value for i in node.items]
    if isinstance(node, Ref):
        value = _resolve(node, results)
        if value is MISSING:
            why.append(f"{node.text} is not available")
        return value
    if isinstance(node, Not | BoolOp):
        children = (node.operand,) if isinstance(node, Not) else node.operands
        values = [_evaluate(child, results, why) for child in children]
        if any(v is MISSING for v in values):
            return MISSING
        word = "not" if isinstance(node, Not) else node.op
        wrong = next((kind(v) for v in values if not isinstance(v, bool)), None)
        if wrong is not None:
            why.append(f"'{word}' needs conditions (true or false), not {wrong}")
            return MISSING
        if isinstance(node, Not):
            return not values[0]
        return all(values) if node.op == "and" else any(values)
    if isinstance(node, Compare):
        left = _evaluate(node.left, results, why)
        right = _evaluate(node.right, results, why)
        if left is MISSING or right is MISSING:
            return MISSING
        try:
            outcome = _compare(node.op, left, right)
        except TypeError as exc:
            why.append(str(exc))
            return MISSING
        if isinstance(node.left, Ref):
            safe = isinstance(left, bool | int | float) or left is None or node.left.path == ("status",)
            shown = left if safe else kind(left)
            why.append(f"{node.left.text} = {shown}")
        return outcome
    raise TypeError(f"unknown gate node {type(node).__name__}")


def _compare(op: str, left: Any, right: Any) -> bool:
    """``left op right`` with strict types; raises TypeError (a one-line reason) on a mix."""
    _check_kinds(op, kind(left), kind(right))
    if op in ("in", "not in"):
        found = any(kind(item) == kind(left) and item == left for item in right)
        return found if op == "in" else not found
    if op in ("==", "!="):
        same = kind(left) == kind(right) and left == right
        return same if op == "==" else not same
    return bool({"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op])


def evaluate_gate(expr: str, results: Mapping[str, Any]) -> tuple[bool, str]:
    """Evaluate ``expr`` against results keyed by step id: ``(passed, explanation)``.

    A reference to a missing step or output field, or a comparison of mixed types, makes the gate
    fail (closed, not open). Explanations only quote numbers, booleans and null — never string
    values from outputs.
    """
    why: list[str] = []
    try:
        value = _evaluate(parse_gate(expr), results, why)
    except GateError as exc:
        return False, f"invalid gate at offset {exc.offset}: {exc.message}"
    if value is MISSING:
        return False, "; ".join(why) or "gate could not be evaluated"
    if not isinstance(value, bool):
        return False, f"the gate is {kind(value)}, not a condition (true or false)"
    return value, "; ".join(why)


def gate_steps(expr: str) -> Sequence[str]:
    """Step ids a gate depends on (for planning and display)."""
    try:
        return [r.step for r in references(parse_gate(expr))]
    except GateError:
        return []
