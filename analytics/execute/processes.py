"""The ``processes`` executor: a pool of spawned worker processes on this machine's cores.

Workers are spawned (never forked: the driver holds a DuckDB connection and thread pools) and
limit their libraries' threads before anything imports them (see :mod:`.threads`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from analytics.execute.base import Executor
from analytics.execute.spec import usable_cores
from analytics.execute.threads import limit_threads, worker_environment

__all__ = ["ProcessExecutor"]


class ProcessExecutor(Executor):
    """A ``concurrent.futures`` process pool with per-worker thread limits."""

    kind = "processes"

    def __init__(self, workers: int | None = None, *, threads: int | None = None) -> None:
        cores = usable_cores()
        self.workers = max(1, workers or cores)
        self.threads = max(1, threads or cores // self.workers)
        # the pool spawns workers on demand, at any submit: keep the limits in the environment
        # they inherit for the pool's lifetime
        self._env = worker_environment(self.threads)
        self._env.__enter__()
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=get_context("spawn"),
            initializer=limit_threads,
            initargs=(self.threads,),
        )

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        return self._pool.submit(fn, *args)

    def thread_reports(self) -> list[dict[str, Any]]:
        from analytics.execute.threads import thread_report

        futures = [self._pool.submit(thread_report) for _ in range(self.workers * 4)]
        seen: dict[int, dict[str, Any]] = {}
        for f in futures:
            r = f.result()
            seen[r["pid"]] = r
        return list(seen.values())

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._env is not None:
            self._env.__exit__(None, None, None)
            self._env = None
