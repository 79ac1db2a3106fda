"""Hypothesis: whatever the input, the validator returns diagnostics (or nothing) and never raises."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.manifest import Diagnostic, validate_manifest
from engine.manifest.loader import make_yaml
from tests.manifest.registry import make_registry

REGISTRY = make_registry()
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
YAML_CHARS = st.sampled_from([*"abc:-[]{}&*!|>'\"#%@`,? \n\t\\0123456789.", "\u00e9", "\x00", "\ufeff"])


def _check(found: object) -> None:
    assert isinstance(found, list)
    for d in found:
        assert isinstance(d, Diagnostic)
        assert d.code.startswith("RF") and d.line >= 0 and d.col >= 0


@FAST
@given(st.text(YAML_CHARS, max_size=200))
def test_random_yaml_text_never_crashes(text: str) -> None:
    _check(validate_manifest(text + "\n", registry=REGISTRY))


@FAST
@given(st.binary(max_size=200))
def test_random_bytes_never_crash(raw: bytes) -> None:
    _check(validate_manifest(raw, registry=REGISTRY))


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["upload", "phi_scan", "DEMO", "rflow/v1", "Pipeline"]))
KEYS = st.one_of(st.text(max_size=10), st.sampled_from(
    ["apiVersion", "kind", "metadata", "steps", "governance", "modes", "default_mode", "id", "stage", "config",
     "name", "version", "inputs", "gates", "require", "allow_stages", "phi_policy", "execution"]))
TREES = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(KEYS, kids, max_size=5),
                     max_leaves=15)


@FAST
@given(TREES)
def test_random_structures_never_crash(tree: object) -> None:
    out = io.StringIO()
    make_yaml().dump(tree, out)
    _check(validate_manifest(out.getvalue() + "\n", registry=REGISTRY))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, TREES, max_size=4))
def test_random_fields_on_a_valid_base_never_crash(extra: dict) -> None:
    base = {"apiVersion": "rflow/v1", "kind": "Pipeline", "metadata": {"name": "x", "version": "1.0.0"},
            "steps": [{"id": "upload", "stage": "upload"}],
            "governance": {"default_mode": "DEMO", "modes": {"DEMO": {"steps": ["upload"]}}}}
    base.update(extra)
    out = io.StringIO()
    make_yaml().dump(base, out)
    _check(validate_manifest(out.getvalue(), registry=REGISTRY))


@FAST
@given(st.data())
def test_mutations_of_a_good_manifest_never_crash(good_text: str, data: st.DataObject) -> None:
    text = good_text
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 8)))
        text = text[:i] + data.draw(st.text(YAML_CHARS, max_size=4)) + text[j:]
    _check(validate_manifest(text, registry=REGISTRY))
