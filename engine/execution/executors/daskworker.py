"""Preloaded into the worker processes of a LocalCluster that rflow starts (``preload=``).

A terminal's Ctrl-C reaches the whole process group. The run itself cancels its futures and
closes the cluster in order; workers that also took the SIGINT would each print a
KeyboardInterrupt traceback while being shut down. The worker also warms up (imports, PHI
registry) in a thread, so that its first task does not pay for it.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from engine.execution.executors.base import warm_worker


def dask_setup(worker: Any) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    threading.Thread(target=warm_worker, name="rflow-warm-up", daemon=True).start()
