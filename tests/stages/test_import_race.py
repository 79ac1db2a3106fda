"""The deidentify package imports safely from two threads at once, as a Dask worker does.

A worker unpickles a task (importing ``stages.stage_06_deidentify.ranges``) while its plugin
warm-up imports the stage module on another thread. A package ``__init__`` that imported its own
submodules made the two imports wait on each other, and Python handed one side a partially
initialized module: the worker never started ("cannot import name 'DeidPart'").
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

RACE = textwrap.dedent("""
    import importlib, sys, threading
    import engine, stages._common, stages.components, stages.dictionary, stages.tabular
    PACKAGE = "stages.stage_06_deidentify"
    failures = 0
    for _ in range(150):
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]
        barrier, errors = threading.Barrier(2), []
        def load(name):
            barrier.wait()
            try:
                importlib.import_module(name)
            except ImportError as exc:
                errors.append(exc)
        threads = [threading.Thread(target=load, args=(PACKAGE + "." + m,)) for m in ("stage", "ranges")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        failures += bool(errors)
    print(failures)
""")


def test_two_threads_import_the_stage_and_its_task_module_at_once() -> None:
    out = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip() == "0", out.stdout + out.stderr[-2000:]
