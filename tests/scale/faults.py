"""Fault injection for the Dask tests (importable by the workers, which unpickle the plugin)."""

from __future__ import annotations

import os

from distributed.diagnostics.plugin import WorkerPlugin


class KillWorker(WorkerPlugin):
    """A Dask worker plugin that kills its worker as a task of ``prefix`` starts executing.

    ``once``: only the first time across the cluster (a marker file records it). A test-only
    fault, injected from outside the code under test.
    """

    def __init__(self, prefix: str, marker: str, once: bool = True, name: str = "rflow-kill-worker") -> None:
        self.prefix = prefix
        self.marker = marker
        self.once = once
        self.name = name

    def transition(self, key: object, start: str, finish: str, **kwargs: object) -> None:
        if finish != "executing" or not str(key).startswith(self.prefix):
            return
        if self.once:
            try:
                fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return
            os.close(fd)
        else:
            with open(self.marker, "a") as fh:
                fh.write("x")
        os._exit(1)
