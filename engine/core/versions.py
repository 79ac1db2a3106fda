"""Semantic versions and the pin syntax manifests use (``phi_scan@1``, ``upload@>=1.2,<2``)."""

from __future__ import annotations

import re

from engine.core.errors import safe_excerpt

_SEMVER = re.compile(
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
_PARTIAL = re.compile(r"^(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?(?:\.(0|[1-9][0-9]*))?$")
_CLAUSE = re.compile(r"^(>=|<=|==|!=|>|<|\^|~)?\s*([0-9][0-9.]*)$")


def is_semver(text: object) -> bool:
    return isinstance(text, str) and bool(_SEMVER.match(text))


def parse_version(text: str) -> tuple[int, int, int]:
    """``"1.4.0"`` -> ``(1, 4, 0)``; pre-release and build suffixes are ignored for ordering."""
    m = _SEMVER.match(text)
    if not m:
        raise ValueError(f"not a semantic version (MAJOR.MINOR.PATCH): {safe_excerpt(text, 40)!r}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def _partial(text: str) -> tuple[int, ...]:
    m = _PARTIAL.match(text)
    if not m:
        raise ValueError(f"bad version in pin: {safe_excerpt(text, 40)!r}")
    return tuple(int(g) for g in m.groups() if g is not None)


def check_spec(spec: str) -> None:
    """Raise ValueError if ``spec`` is not a valid version pin."""
    for clause in spec.split(","):
        m = _CLAUSE.match(clause.strip())
        if not m:
            raise ValueError(f"bad version pin clause {safe_excerpt(clause.strip(), 40)!r}")
        _partial(m.group(2))


def satisfies(version: str, spec: str) -> bool:
    """Does ``version`` satisfy ``spec``?

    ``1`` / ``1.2`` / ``1.2.3`` match by prefix; ``^1.2`` = same major, at least 1.2;
    ``~1.2`` = same major.minor; comparison clauses may be joined with commas.
    """
    have = parse_version(version)
    for clause in spec.split(","):
        m = _CLAUSE.match(clause.strip())
        if not m:
            raise ValueError(f"bad version pin clause {safe_excerpt(clause.strip(), 40)!r}")
        op, want = m.group(1) or "", _partial(m.group(2))
        padded = want + (0,) * (3 - len(want))
        if op == "":
            ok = have[: len(want)] == want
        elif op == "^":
            ok = have[0] == padded[0] and have >= padded
        elif op == "~":
            ok = have[:2] == padded[:2] and have >= padded
        elif op == "==":
            ok = have == padded
        elif op == "!=":
            ok = have != padded
        elif op == ">=":
            ok = have >= padded
        elif op == ">":
            ok = have > padded
        elif op == "<=":
            ok = have <= padded
        else:
            ok = have < padded
        if not ok:
            return False
    return True
