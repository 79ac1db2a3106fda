"""Canary: no planted value reaches any output of a DEMO run but the de-identified copy's own cells.

The unseen-forms corpus (bench/phi_corpus_unseen.py, drawn from a hypothesis seed) plants values
of every case in identifier columns and notes of an export. The real CLI runs the DEMO pipeline on
it in a subprocess; every file of the run folder, the folder's file names and the CLI's stdout and
stderr are read, and no planted value containing letters may appear in any of them.
``leaks`` also serves the header and file-name canaries (test_canary_headers.py).
"""

from __future__ import annotations

import functools
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from phi_corpus_unseen import load_labels, write  # noqa: E402
from phi_unseen import Outputs, measure_file, run_demo  # noqa: E402

FILES = {"export": "unseen.csv", "headerless": "unseen_headerless.csv", "header": "unseen_header.csv"}


@functools.cache
def tool_words() -> frozenset[str]:
    """Words of a clean run's own outputs: a name part that is one of them is not evidence alone."""
    with tempfile.TemporaryDirectory() as tmp:
        return frozenset(Outputs(run_demo(None, Path(tmp) / "run"), with_copy=True).tokens)


def leaks(kind: str, seed: int) -> tuple[list[str], dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        desc = write(corpus, rows=40, seed=seed)
        name = FILES.get(kind) or next(f for f in desc["files"] if f not in FILES.values())
        labels = [lab for lab in load_labels(corpus) if lab.file == name]
        run = run_demo(corpus / name, Path(tmp) / "run")
        measured = measure_file(name, corpus, labels, run, tool_words())
    found = [f"{r['label'].kind} {r['label'].case} {r['label'].category}: {r['label'].value!r}"
             for r in measured["results"] if r.get("leaked")]  # fmt: skip
    return found, {"exit_code": run["exit_code"], "labels": len(labels)}


CANARY = settings(max_examples=2, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
                  suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


def check(kind: str, seed: int) -> None:
    """``kind``'s file of the corpus drawn from ``seed`` runs, and nothing planted shows."""
    found, info = leaks(kind, seed)
    assert info["exit_code"] == 0, info
    assert info["labels"] > 0
    assert not found, f"{len(found)} planted value(s) in the run's outputs:\n" + "\n".join(found[:10])


@CANARY
@given(seed=st.integers(0, 2**32 - 1))
def test_no_planted_value_of_an_export_in_any_output(seed: int) -> None:
    check("export", seed)
