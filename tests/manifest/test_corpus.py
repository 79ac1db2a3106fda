"""The broken-manifest corpus: one problem per file, expected ``line:col code`` in its header.

Each file in ``corpus/`` starts with ``# case: ...`` and ``# expect: LINE:COL CODE`` (and optionally
``# max-bytes: N``); validating it with the test registry must give exactly that one diagnostic.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.manifest import CODES, validate_manifest
from tests.manifest.registry import make_registry

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.yaml"))
_EXPECT = re.compile(rb"# expect: (\d+):(\d+) (RF\d{3})")
_MAX = re.compile(rb"# max-bytes: (\d+)")
# Codes that a single static file cannot produce; each has a unit test instead.
NOT_IN_CORPUS = {"RF100": "test_missing_file_is_rf100", "RF208": "test_rf208_fallback_keyword",
                 "RF318": "test_plugin_failure_is_reported_with_unknown_stage",
                 "RF119": "test_validate_dir_isolates_each_file",
                 "RF320": "test_dictionary_patterns_outside_re2_are_refused_at_their_position",
                 "RF321": "test_breaking_setting_is_reported_at_its_position",
                 "RF323": "test_a_root_that_is_a_file_is_an_error_and_a_missing_one_a_warning",
                 "RF324": "test_validate_refuses_every_escape_at_the_option_and_accepts_the_file_inside"}

REGISTRY = make_registry()


def _header(path: Path) -> tuple[tuple[int, int, str], int | None]:
    head = path.read_bytes()[:400]
    m = _EXPECT.search(head)
    assert m, f"{path.name} has no '# expect: LINE:COL CODE' header"
    cap = _MAX.search(head)
    return (int(m.group(1)), int(m.group(2)), m.group(3).decode()), int(cap.group(1)) if cap else None


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_corpus_file(path: Path) -> None:
    expected, cap = _header(path)
    kwargs = {"max_bytes": cap} if cap else {}
    found = validate_manifest(path, registry=REGISTRY, **kwargs)
    assert [(d.line, d.col, d.code) for d in found] == [expected], [d.message for d in found]
    assert found[0].file == str(path)


def test_corpus_is_large_and_covers_every_code() -> None:
    assert len(FILES) >= 40
    covered = {_header(p)[0][2] for p in FILES}
    missing = set(CODES) - covered - set(NOT_IN_CORPUS)
    assert not missing, f"codes without a corpus file: {sorted(missing)}"
    assert {p.stem.split("_")[0].upper() for p in FILES} == covered  # file names start with the code
