"""The ``dask`` executor: tasks on a Dask cluster through ``distributed.Client`` futures.

With an address it connects to a running scheduler (``dask scheduler`` plus ``dask worker``
processes, or any deployment: Kubernetes, YARN, SLURM via dask-jobqueue); without one it starts
a ``LocalCluster`` of one single-threaded worker process per core for the run. A worker that
dies mid-task is replaced and its tasks are rescheduled by the scheduler (up to
``distributed.scheduler.allowed-failures`` times); the driver still writes each vehicle once,
in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from analytics.errors import ConfigError
from analytics.execute.base import Executor
from analytics.execute.spec import usable_cores
from analytics.execute.threads import worker_env, worker_environment

__all__ = ["DaskExecutor", "ThreadLimits"]

# A vehicle-year of signals is a few MB; tasks carry their inputs (not scattered data), so a
# worker that dies can be replaced and the task rerun from its own arguments.
_DASK_CONFIG = {"distributed.admin.large-graph-warning-threshold": "4GB"}


class ThreadLimits(WorkerPlugin):
    """Caps thread pools on every worker, including ones that join or restart later."""

    name = "analytics-thread-limits"

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads

    def setup(self, worker: Any) -> None:
        from analytics.execute.threads import limit_threads

        limit_threads(self.threads)


class DaskExecutor(Executor):
    """Futures on a Dask scheduler (``address``) or on a ``LocalCluster`` started here."""

    kind = "dask"

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int | None = None,
        threads: int = 1,
        connect_timeout: str = "10s",
    ) -> None:
        import dask
        from distributed import Client, LocalCluster

        if not logging.getLogger().isEnabledFor(logging.DEBUG):  # --debug shows it all
            logging.getLogger("distributed").setLevel(logging.WARNING)
        self._config = dask.config.set(_DASK_CONFIG)
        self._config.__enter__()
        self.cluster = None
        self.address = address
        try:
            if address:
                try:
                    self.client = Client(address, timeout=connect_timeout)
                except (OSError, TimeoutError) as exc:
                    raise ConfigError(
                        f"cannot reach the Dask scheduler at {address} ({exc}); start it with "
                        "`dask scheduler` and workers with `dask worker ADDRESS`, or use "
                        "--executor dask for a cluster on this machine"
                    ) from None
            else:
                with worker_environment(threads):  # nannies and workers inherit it
                    self.cluster = LocalCluster(
                        n_workers=max(1, workers or usable_cores()),
                        threads_per_worker=1,
                        processes=True,
                        # no dashboard; the scheduler's small HTTP server (health, metrics) on a
                        # free port, so several clusters on one machine do not collide
                        dashboard_address=None,
                        scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
                        silence_logs=logging.ERROR,
                        env=worker_env(threads),
                    )
                self.client = Client(self.cluster)
            self.client.register_plugin(ThreadLimits(threads))
        except BaseException:
            self.close()
            raise
        self.threads = threads
        self.workers = max(1, sum(self.client.nthreads().values()))

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def thread_reports(self) -> list[dict[str, Any]]:
        from analytics.execute.threads import thread_report

        return list(self.client.run(thread_report).values())

    def worker_pids(self) -> dict[str, int]:
        """Process id of every worker, by address."""
        import os

        return self.client.run(os.getpid)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None
        if self._config is not None:
            self._config.__exit__(None, None, None)
            self._config = None

    def __str__(self) -> str:
        where = self.address or "LocalCluster"
        return f"dask {where} ({self.workers} workers)"
