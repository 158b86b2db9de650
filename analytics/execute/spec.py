"""What ``--executor`` / ``ANALYTICS_EXECUTOR`` mean: ``local``, ``processes[=N]``, ``dask[=ADDRESS]``.

Parsing is kept apart from the executors themselves so the command line can check the
setting without importing Dask.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from analytics.errors import ConfigError

__all__ = ["KINDS", "ExecutorSpec", "parse_executor", "usable_cores"]

KINDS = ("local", "processes", "dask")


@dataclass(frozen=True)
class ExecutorSpec:
    """Where per-vehicle work runs.

    ``kind``: ``local`` (in this process, no pickling), ``processes`` (a pool on this
    machine's cores) or ``dask`` (a running scheduler at ``address``, or a ``LocalCluster``
    started for the run when ``address`` is None). ``workers``: pool size for ``processes``
    (default: the usable cores).
    """

    kind: str = "local"
    address: str | None = None
    workers: int | None = None

    def __str__(self) -> str:
        if self.address:
            return f"{self.kind}={self.address}"
        if self.workers:
            return f"{self.kind}={self.workers}"
        return self.kind


def usable_cores() -> int:
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def parse_executor(text: str) -> ExecutorSpec:
    """``local``, ``processes``, ``processes=4``, ``dask`` or ``dask=tcp://host:8786``."""
    raw = text.strip()
    kind, _, arg = raw.partition("=")
    kind = kind.strip().lower()
    arg = arg.strip()
    if kind not in KINDS:
        raise ConfigError(
            f"unknown executor {text!r}; use local, processes[=N] or dask[=SCHEDULER_ADDRESS] "
            "(e.g. dask=tcp://scheduler:8786)"
        )
    if kind == "local":
        if arg:
            raise ConfigError(f"the local executor takes no argument (got {text!r}); use local")
        return ExecutorSpec("local")
    if kind == "processes":
        if not arg:
            return ExecutorSpec("processes")
        if not arg.isdigit() or int(arg) < 1:
            raise ConfigError(f"processes=N needs a positive number of workers, not {arg!r}")
        return ExecutorSpec("processes", workers=int(arg))
    if not arg:
        return ExecutorSpec("dask")
    if arg.isdigit():
        return ExecutorSpec("dask", workers=int(arg))  # LocalCluster with N workers
    if "://" not in arg:
        arg = f"tcp://{arg}"
    return ExecutorSpec("dask", address=arg)
