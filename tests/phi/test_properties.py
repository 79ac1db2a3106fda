"""Property tests: sanitize removes every generated value; findings never hold it; invariances."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phi_values import IN_CONTEXT

from engine.phi import contains_phi, load_registry, sanitize, scan_file, scan_text

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
case = st.sampled_from(sorted(IN_CONTEXT)).flatmap(lambda c: IN_CONTEXT[c].map(lambda tv: (c, *tv)))


@FAST
@given(case)
def test_sanitize_removes_every_category_value(item: tuple[str, str, str]) -> None:
    category, text, value = item
    clean = sanitize(text)
    assert value not in clean
    assert f"[PHI:{category}]" in clean
    assert contains_phi(text) and not contains_phi(clean)


@FAST
@given(case)
def test_scan_finds_the_value_and_never_holds_it(item: tuple[str, str, str]) -> None:
    category, text, value = item
    found = list(scan_text(text))
    assert [f.category for f in found] == [category]
    f = found[0]
    raw = text.encode()
    assert raw[f.offset : f.offset + f.length].decode() == value
    for shown in (repr(f), str(f), json.dumps(f._asdict())):
        assert value not in shown or len(value) < 6  # short digit runs can occur in a hex digest by chance


@FAST
@given(st.text(max_size=300))
def test_sanitize_is_idempotent_and_never_crashes(text: str) -> None:
    once = sanitize(text)
    assert sanitize(once) == once
    list(scan_text(text))


@FAST
@given(st.lists(case, min_size=1, max_size=5), st.text(alphabet=" ,;\n\t", min_size=1, max_size=3))
def test_sanitize_idempotent_on_mixed_phi(items: list[tuple[str, str, str]], sep: str) -> None:
    text = sep.join(t for _, t, _ in items)
    once = sanitize(text)
    assert sanitize(once) == once
    for _, _, value in items:
        assert value not in once


@FAST
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_prefilter_invariant(text: str) -> None:
    # Every guard match contains a prefilter match: text without one is returned untouched safely.
    registry = load_registry()
    from engine.phi.matcher import iter_matches

    for _pat, ms, _vs, _ve, me in iter_matches(registry.guard, text):
        assert registry.prefilter.search(text[ms:me])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(case, min_size=1, max_size=12), st.integers(1, 200))
def test_chunk_size_invariance(tmp_path: Path, items: list[tuple[str, str, str]], chunk: int) -> None:
    p = tmp_path / "p.csv"
    lines = ["id,note"] + [f'{i},"{t}"' for i, (_, t, _) in enumerate(items)]
    p.write_text("\n".join(lines) + "\n")
    assert list(scan_file(p, chunk_size=chunk)) == list(scan_file(p))


def test_fast_form_matches_plain_alternation() -> None:
    """The compiled fast form finds exactly what the plain alternation finds."""
    import re

    from engine.phi.registry import CompiledTier

    reg = load_registry()
    tier = reg.guard
    plain = "|".join(f"(?P<p{i}>{p.source.replace('(?P<value>', f'(?P<p{i}v>')})" for i, p in enumerate(tier.patterns))
    rx = re.compile(plain, re.ASCII)
    pats = tuple(
        attrs.evolve(p, group=rx.groupindex[f"p{i}"], value_group=rx.groupindex.get(f"p{i}v"))
        for i, p in enumerate(tier.patterns)
    )
    by_group: list = [None] * (rx.groups + 1)
    for p in pats:
        by_group[p.group] = p
    plain_tier = CompiledTier("plain", pats, rx, re.compile(plain.encode()), tuple(by_group), tier.position)
    text = Path(__file__).with_name("test_validators.py").read_text() * 2
    from engine.phi.matcher import iter_matches

    fast = [(p.id, a, b, c, d) for p, a, b, c, d in iter_matches(tier, text)]
    slow = [(p.id, a, b, c, d) for p, a, b, c, d in iter_matches(plain_tier, text)]
    assert fast == slow and len(fast) > 20
