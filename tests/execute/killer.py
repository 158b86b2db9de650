"""A Dask worker plugin that kills its own worker process once, when a task starts executing.

Loaded by the worker processes (by reference), so it lives in a small module of its own.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class KillOnce(WorkerPlugin):
    """SIGKILL the worker at its ``after``-th task start, once across the whole cluster.

    The marker file is created exclusively, so exactly one worker dies, and a worker that
    the nanny restarts does not die again.
    """

    name = "kill-once"

    def __init__(self, marker: str, after: int = 2) -> None:
        self.marker = marker
        self.after = after
        self.started = 0

    def setup(self, worker: Any) -> None:
        self.started = 0

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        if finish != "executing":
            return
        self.started += 1
        if self.started < self.after:
            return
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)
