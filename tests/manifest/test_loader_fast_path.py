"""The loader's C fast path (libyaml events, Python composition) loads exactly what the pure path loads.

Why a differential test: the fast path exists only for speed (``rflow validate`` in CI); the pure
pipeline defines the behaviour. Every case is loaded both ways and the outcomes — data, every
node's position and style, diagnostics — must be equal, for valid files and for hostile mutations
of them (where the fast path hands the file to the pure path for its diagnostic).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.manifest import loader
from tests.manifest.test_fuzz_hostile import HOSTILE

ROOT = Path(__file__).resolve().parents[2]
YAML_FILES = sorted(
    p for p in [*ROOT.glob("manifests/*.yaml"), *ROOT.glob("tests/**/*.yaml"), *ROOT.glob("tests/**/*.yml")]
    if p.stat().st_size < loader.DEFAULT_MAX_BYTES
)


def _outcome(text: str, *, fast: bool) -> tuple[Any, ...]:
    doc = loader.load_document(text.encode("utf-8", "surrogatepass"), name="case.yaml", c_parser=fast)
    return doc.data, doc.source_map.nodes, [repr(d) for d in doc.diagnostics]


def _same(text: str) -> None:
    assert _outcome(text, fast=True) == _outcome(text, fast=False)


def test_c_parser_is_installed() -> None:
    # A dependency on CPython (pyproject.toml); without it the fast path would silently never run.
    assert loader.takes_c_parser("steps:\n  - id: 1\n    stage: upload\n")
    assert not loader.takes_c_parser("a: !tag x\n") and not loader.takes_c_parser("a: [\n")


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_yaml_loads_the_same(path: Path) -> None:
    _same(path.read_text("utf-8", errors="surrogateescape"))


@pytest.mark.parametrize("path", sorted(ROOT.glob("manifests/*.yaml")), ids=lambda p: p.name)
def test_shipped_manifests_take_the_fast_path(path: Path) -> None:
    assert loader.takes_c_parser(path.read_text("utf-8"))


@settings(max_examples=400, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_mutated_manifests_load_the_same(good_text: str, data: st.DataObject) -> None:
    lines = good_text.split("\n")
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        cut = data.draw(st.integers(0, len(lines[i])), label="col")
        piece = data.draw(st.sampled_from(HOSTILE) | st.text(max_size=6), label="piece")
        lines[i] = lines[i][:cut] + piece + (lines[i][cut:] if data.draw(st.booleans()) else "")
    _same("\n".join(lines))


YAMLISH = st.text(alphabet=st.sampled_from(list("ab:-?[]{},#&*!|>'\"\\ \n\t%@`\r.0x\u2028\x85é")), max_size=40)


@settings(max_examples=600, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(YAMLISH)
def test_yaml_punctuation_loads_the_same(text: str) -> None:
    _same(text)
    _same(text + "\n")
