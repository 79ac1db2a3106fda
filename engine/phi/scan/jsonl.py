"""JSON Lines: every string or number leaf of a record, named by its key path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.core.jsondepth import load_record
from engine.phi.errors import PhiInputError
from engine.phi.matcher import iter_matches
from engine.phi.normalize import normalize
from engine.phi.scan.context import ScanContext
from engine.phi.scan.findings import Finding


def _json_leaves(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _json_leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _json_leaves(v, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, repr(value)


def scan_jsonl_chunk(data: bytes, base: int, first_row: int, ctx: ScanContext) -> tuple[list[Finding], int]:
    """Findings of a chunk of whole records, and the number of records in it."""
    out: list[Finding] = []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    registry = ctx.registry
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        record = load_record(line, f"JSON Lines record {first_row + i}", PhiInputError)
        for path, value in _json_leaves(record, ""):
            leaf = path.rsplit(".", 1)[-1].split("[", 1)[0]
            if ctx.only is not None and path not in ctx.only:
                continue
            raw = normalize(value).encode("utf-8", "surrogatepass")
            hits = list(iter_matches(ctx.patterns, raw))
            for pat, _ms, vs, ve, _me in hits:
                out.append(ctx.finding(pat, raw, vs, ve, first_row + i, path, None))
            matcher = registry.column_category(leaf)
            if matcher is None or hits:
                continue
            stripped = normalize(value).strip()
            if matcher.str_re.fullmatch(stripped) and all(v(stripped) for v in matcher.validators):
                cat = matcher.category
                digest = ctx.key.digest(cat.name, matcher.normalizer(stripped))
                out.append(Finding(cat.name, first_row + i, path, None, len(stripped.encode()), digest))
    return out, len(lines)
