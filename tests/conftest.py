"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
from hypothesis import settings

# CI (CI=true) runs every property test on a fixed seed: a run is repeatable and a red build names
# the example that failed, instead of a new random one each time. Locally the search stays random.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


@pytest.fixture
def interruptible_children() -> Iterator[None]:
    """Processes started by the test get Ctrl-C's default action, as under an interactive shell.

    Why: a shell without job control (``cmd &`` in a script, ``nohup``) starts a background job
    with SIGINT ignored, and an ignored signal stays ignored across ``exec``. A CLI started by a
    test run launched that way would ignore the test's SIGINT and run to completion. A signal
    with a handler is reset to its default action on ``exec``, so installing Python's own handler
    here gives the children the disposition that a terminal user's process has.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
