"""A YAML string left open is reported on the line where it opens, whatever line of whichever
shipped manifest it is on, and wherever the parser gives up (the next quote, or the end)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.manifest import analyze

ROOT = Path(__file__).resolve().parents[2]
QUOTED = re.compile(r"""^(\s*-?\s*[A-Za-z_]+: )(["'])([^"'#]*)\2""")


def _cases() -> list[tuple[str, int]]:
    cases = []
    for path in sorted((ROOT / "manifests").glob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if QUOTED.match(line):
                cases.append((path.name, number))
    return cases


CASES = _cases()


def test_there_are_quoted_values_to_open() -> None:
    assert len(CASES) >= 5


@pytest.mark.parametrize(("manifest", "number"), CASES)
def test_removing_a_closing_quote_points_at_its_line(manifest: str, number: int) -> None:
    lines = (ROOT / "manifests" / manifest).read_text(encoding="utf-8").split("\n")
    m = QUOTED.match(lines[number - 1])
    assert m is not None
    lines[number - 1] = lines[number - 1][: m.end() - 1] + lines[number - 1][m.end():]  # drop the closing quote
    diagnostics = analyze("\n".join(lines), name=manifest).diagnostics
    errors = [d for d in diagnostics if d.code == "RF104"]
    assert errors, diagnostics
    assert (errors[0].line, errors[0].col) == (number, len(m.group(1)) + 1), errors[0]
    assert "quoted string that opens here" in errors[0].message


def test_a_string_open_at_the_end_of_the_file() -> None:
    text = "apiVersion: rflow/v1\nkind: Pipeline\nmetadata:\n  name: 'demo\n  version: 1.0.0\n\n\n"
    [error] = [d for d in analyze(text, name="m.yaml").diagnostics if d.code == "RF104"]
    assert (error.line, error.col) == (4, 9) and "runs on to the end of the file" in error.message


def test_a_closed_string_over_lines_is_not_blamed_for_another_error() -> None:
    text = 'apiVersion: rflow/v1\nkind: Pipeline\nmetadata:\n  description: "two\n    lines"\n  version: [1\n'
    [error] = [d for d in analyze(text, name="m.yaml").diagnostics if d.code == "RF104"]
    assert error.line == 7 and "quoted string" not in error.message
