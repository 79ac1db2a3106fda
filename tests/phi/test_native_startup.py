"""Start-up: the registry's Python regexes compile only where the Python path runs them.

The stand-ins must behave as the compiled patterns (group numbering from the source alone, the
same matches, pickling to worker processes); a one-row scan with the core compiles none of the
tiers' combined alternations; and ``rflow validate`` never loads the core.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.phi import load_registry, native, native_match
from engine.phi.native_lazy import LazyPattern, group_index, lazy_compile

needs_core = pytest.mark.skipif(native.core is None, reason="NATIVE CORE NOT BUILT: CI sets RFLOW_REQUIRE_NATIVE=1")


def _registry_sources() -> list[str | bytes]:
    reg = load_registry()
    out: list[str | bytes] = []
    for tier in (reg.scan, reg.guard):
        out += [tier.str_re.pattern, tier.bytes_re.pattern]
        out += [p.source for p in tier.patterns]
    return out


def test_group_numbering_of_every_registry_regex_is_the_one_re_gives() -> None:
    for source in _registry_sources():
        compiled = re.compile(source)
        assert group_index(source) == (compiled.groups, dict(compiled.groupindex))


PIECES = ["a", "(", ")", "(?:", "(?P<v>", "(?=", "(?<!", "[", "]", "^", "\\(", "\\[", "\\]", "|", "*", "\\\\"]


@pytest.mark.filterwarnings("ignore::FutureWarning")
@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_group_numbering_matches_re_on_any_regex_it_compiles(source: str) -> None:
    try:
        compiled = re.compile(source)
    except (re.error, FutureWarning):
        return
    assert group_index(source) == (compiled.groups, dict(compiled.groupindex))


def test_a_stand_in_matches_as_the_compiled_pattern_and_pickles(monkeypatch: pytest.MonkeyPatch) -> None:
    source = r"(?<![0-9])(?P<value>[0-9]{3})-(x)?"
    real = re.compile(source, re.ASCII)
    compiled: list[str | bytes] = []
    compile_ = re.compile

    def counted(pattern: str | bytes, flags: int = 0) -> re.Pattern[Any]:
        compiled.append(pattern)
        return compile_(pattern, flags)

    monkeypatch.setattr(re, "compile", counted)
    lazy = lazy_compile(source, re.ASCII)
    assert isinstance(lazy, LazyPattern) and compiled == []
    assert (lazy.groups, dict(lazy.groupindex)) == (real.groups, dict(real.groupindex))
    assert compiled == [], "numbering the groups compiled the pattern"
    text = "a123-x 4567- 890-"
    assert [m.span("value") for m in lazy.finditer(text)] == [m.span("value") for m in real.finditer(text)]
    assert lazy.flags == real.flags
    assert compiled == [source], "the stand-in compiled its pattern other than once, on first use"
    again = pickle.loads(pickle.dumps(lazy))
    assert again == lazy and hash(again) == hash(lazy) and again.match("123-").span() == (0, 4)


@needs_core
def test_a_one_row_scan_on_the_core_compiles_no_combined_regex(tmp_path: Path) -> None:
    one = tmp_path / "one.csv"
    one.write_text("name,ssn,note\nJane Roe,536-22-8410,seen today\n")
    code = (
        "import sys\n"
        "import re\n"
        "compiled, compile_ = [], re.compile\n"
        "re.compile = lambda p, f=0: compiled.append(p) or compile_(p, f)\n"
        "from engine.cli import main\n"
        "from engine.phi import load_registry\n"
        "rc = main(['phi', 'scan', sys.argv[1], '--format', 'json'])\n"
        "reg = load_registry()\n"
        "built = [t.name for t in (reg.scan, reg.guard) for rx in (t.str_re, t.bytes_re) if rx.pattern in compiled]\n"
        "print('COMPILED', built, rc, file=sys.stderr)\n"
    )
    env = {**os.environ, native_match.ENV_ENGINE: "auto", "RFLOW_PHI_KEY": "startup-test-key-0123456789"}
    out = subprocess.run([sys.executable, "-c", code, str(one)], env=env, capture_output=True, text=True, check=False)
    assert "COMPILED [] 0" in out.stderr, out.stderr[-2000:]
    report = json.loads(out.stdout)
    assert report["regex_engine"] == "native" and report["by_category"].get("SSN") == 1


def test_rflow_validate_never_loads_the_core(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from engine.cli import main\n"
        "main(['validate', sys.argv[1]])\n"
        "print('LOADED', 'engine._native' in sys.modules, 'engine.phi.native' in sys.modules, file=sys.stderr)\n"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: 123-45-6789\nsteps: [\n")
    out = subprocess.run([sys.executable, "-c", code, str(bad)], capture_output=True, text=True, check=False)
    assert "LOADED False False" in out.stderr, out.stderr[-2000:]
    assert "123-45-6789" not in out.stderr + out.stdout
