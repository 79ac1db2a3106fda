"""User patterns: one dialect (RE2), linear-time matching, refused by ``rflow validate`` at their column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stages  # noqa: F401 - registers the built-in stages
from engine.core.userpattern import PatternError, check_pattern, compile_pattern
from engine.manifest import validate_manifest

FAST = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
LONG = 100_000
"""Input length every generated pattern must get through (Python's `re` never finishes on most)."""

ATOMS = st.sampled_from(["a", "a?", "a*", "aa", "(?:a|aa)", "[ab]", "."])


def _nest(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Nested quantifiers over alternations: the shapes that backtrack exponentially."""
    pair = st.tuples(inner, inner)
    return st.one_of(
        pair.map(lambda p: f"({p[0]}|{p[1]})+"),
        pair.map(lambda p: f"({p[0]}|{p[1]})*"),
        inner.map(lambda x: f"((?:{x})+)+"),
        inner.map(lambda x: f"((?:{x})*)*"),
        pair.map(lambda p: f"{p[0]}{p[1]}"),
    )


CATASTROPHIC = st.recursive(ATOMS, _nest, max_leaves=6).map(lambda p: f"^{p}$")


@FAST
@given(CATASTROPHIC)
def test_nested_quantifiers_over_alternations_match_long_inputs(pattern: str) -> None:
    compiled = compile_pattern(pattern)
    text = "a" * LONG + "!"  # the "!" forces a failing match, the worst case for a backtracker
    assert compiled.fullmatch(text) in (True, False)
    assert compiled.search(text) in (True, False)


OUTSIDE = st.sampled_from(["(?=x)", "(?!x)", "(?<=x)", "(?<!x)", "\\1", "\\2", "x++", "\\Z"])
SAFE = st.text(st.sampled_from("abcXYZ019 _-"), max_size=12)
TAIL = st.text(st.sampled_from("abcXYZ _-"), max_size=12)  # no digit: "\\10" is an octal escape in RE2


@FAST
@given(SAFE, OUTSIDE, TAIL)
def test_constructs_outside_re2_are_refused_at_their_column(before: str, bad: str, after: str) -> None:
    pattern = before + bad + after
    if "\\" in bad:  # a backreference needs its group to be meaningful in other dialects
        pattern = "(a)" + pattern
    problem = check_pattern(pattern)
    assert isinstance(problem, PatternError)
    start = pattern.index(bad)
    assert problem.offset == start + (1 if bad == "x++" else 0)
    text = _manifest(pattern)
    diags = [d for d in validate_manifest(text) if d.code == "RF309"]
    assert diags, "rflow validate must refuse the pattern"
    line = text.split("\n").index(next(x for x in text.split("\n") if "pattern: '" in x))
    col = text.split("\n")[line].index("pattern: '") + len("pattern: '") + 1 + problem.offset
    assert (diags[0].line, diags[0].col) == (line + 1, col)
    assert "RE2" in diags[0].message and pattern not in diags[0].message


def _manifest(pattern: str, column: str = "notes") -> str:
    quoted = pattern.replace("'", "''")
    return f"""\
apiVersion: rflow/v1
kind: Pipeline
metadata: {{name: patterns, version: "1.0.0"}}
inputs: [{{name: dataset, format: csv}}]
steps:
  - id: upload
    stage: upload
  - id: validate
    stage: validate
    config:
      on_errors: report
      max_field_chars: 200000
      rules:
        - kind: pattern
          column: {column}
          pattern: '{quoted}'
governance:
  default_mode: DEMO
  modes:
    DEMO: {{steps: [upload, validate], phi_policy: warn}}
"""


def _rflow(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def test_catastrophic_pattern_on_a_long_notes_cell_finishes(tmp_path: Path) -> None:
    """The reported case, end to end: `(a|a?)+$` over a 100 kB notes cell (it never returned before)."""
    manifest = tmp_path / "p.yaml"
    manifest.write_text(_manifest("(a|a?)+$"), "utf-8")
    data = tmp_path / "d.csv"
    data.write_text("id,notes\n1," + "a" * LONG + "!\n2,aaa\n", "utf-8")
    assert _rflow("validate", str(manifest), cwd=tmp_path).returncode == 0
    res = _rflow("run", str(manifest), "--input", f"dataset={data}", "--out", str(tmp_path / "out"),
                 cwd=tmp_path, timeout=240)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    report = (tmp_path / "out" / "report.json").read_text("utf-8")
    assert '"errors_total": 1' in report.replace("\n", "").replace("  ", "")


def test_validate_cli_refuses_lookaround_with_file_line_col(tmp_path: Path) -> None:
    manifest = tmp_path / "p.yaml"
    manifest.write_text(_manifest("[0-9]+(?=kg)"), "utf-8")
    res = _rflow("validate", str(manifest), cwd=tmp_path)
    assert res.returncode == 1
    line = _manifest("x").split("\n").index("          pattern: 'x'") + 1
    assert f"p.yaml:{line}:{len('          pattern: ') + 1 + 1 + 6}: error RF309" in res.stdout, res.stdout
    assert "(?=kg)" not in res.stdout + res.stderr
    assert "E0000" not in res.stderr and "re2.cc" not in res.stderr  # RE2's own logging stays off


@FAST
@given(SAFE, OUTSIDE, TAIL)
def test_dictionary_patterns_outside_re2_are_refused_at_their_position(
    before: str, bad: str, after: str
) -> None:
    """A dictionary's column pattern is checked by `rflow validate` too, at the dictionary's own line:col."""
    import tempfile

    pattern = ("(a)" if "\\" in bad else "") + before + bad + after
    problem = check_pattern(pattern)
    assert problem is not None
    with tempfile.TemporaryDirectory() as tmp:
        dictionary = Path(tmp) / "dict.yaml"
        dictionary.write_text(f"columns:\n  notes: {{type: string, pattern: '{pattern}'}}\n", "utf-8")
        text = _manifest("[a-z]+").replace("      rules:", f"      dictionary: '{dictionary}'\n      rules:")
        found = [d for d in validate_manifest(text) if d.code == "RF320"]
    col = len("  notes: {type: string, pattern: '") + 1 + problem.offset
    assert [(Path(d.file).name, d.line, d.col) for d in found if d.file != "<string>"] == [("dict.yaml", 2, col)]
    at_config = [d for d in found if d.file == "<string>"]
    assert at_config and at_config[0].is_error and at_config[0].path[-1] == "dictionary"
    assert all(pattern not in d.message for d in found)


def test_unreadable_dictionary_is_a_warning_and_device_an_error(tmp_path: Path) -> None:
    missing = _manifest("[a-z]+").replace("      rules:", f"      dictionary: '{tmp_path / 'none.yaml'}'\n      rules:")
    found = [d for d in validate_manifest(missing) if d.code == "RF320"]
    assert [d.severity.value for d in found] == ["warning"]
    device = _manifest("[a-z]+").replace("      rules:", "      dictionary: /dev/zero\n      rules:")
    found = [d for d in validate_manifest(device) if d.code == "RF320"]
    assert found and all(d.is_error for d in found)
    assert all("not a regular file" in d.message + d.hint for d in found)
