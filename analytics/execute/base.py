"""The executor interface: submit a picklable function, stream results back in input order.

Stages keep the warehouse in the driver (DuckDB allows one writing process): the driver reads
one vehicle's inputs, hands them to :meth:`Executor.map` together with a pure, module-level
compute function, and writes each result as it comes back, in the order of the inputs. At
most ``ahead`` inputs are in flight, so memory stays flat on any fleet size.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

__all__ = ["Executor", "Task"]


class Task(Protocol):
    """A submitted call; ``result()`` waits for it and raises what the call raised."""

    def result(self) -> Any: ...


class Executor:
    """Runs per-vehicle work locally, in a process pool or on a Dask cluster.

    Subclasses implement :meth:`submit` and, when they hold resources, :meth:`close`.
    """

    kind: str = "local"
    workers: int = 1

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Task:
        raise NotImplementedError

    def default_ahead(self) -> int:
        """Inputs in flight by default: enough to keep every worker busy."""
        return 2 * self.workers

    def stream(
        self,
        fn: Callable[..., Any],
        items: Iterable[tuple[Any, ...]],
        *,
        ahead: int | None = None,
    ) -> Iterator[Task]:
        """Submit ``fn(*item)`` for each item, ``ahead`` at a time; yield tasks in input order.

        ``items`` is consumed lazily, so a generator that reads each vehicle's inputs from the
        warehouse never holds more than ``ahead`` vehicles in memory.
        """
        limit = max(1, ahead or self.default_ahead())
        pending: deque[Task] = deque()
        source = iter(items)
        try:
            for item in source:
                pending.append(self.submit(fn, *item))
                if len(pending) >= limit:
                    yield pending.popleft()
            while pending:
                yield pending.popleft()
        finally:
            for task in pending:
                self._cancel(task)

    def map(
        self,
        fn: Callable[..., Any],
        items: Iterable[tuple[Any, ...]],
        *,
        ahead: int | None = None,
    ) -> Iterator[Any]:
        """Results of ``fn(*item)`` in input order (see :meth:`stream`)."""
        for task in self.stream(fn, items, ahead=ahead):
            yield task.result()

    def thread_reports(self) -> list[dict[str, Any]]:
        """:func:`analytics.execute.threads.thread_report` of every worker."""
        from analytics.execute.threads import thread_report

        return [thread_report()]

    def _cancel(self, task: Task) -> None:
        cancel = getattr(task, "cancel", None)
        if cancel is not None:
            cancel()

    def close(self) -> None:
        """Release workers (nothing to do for the local executor)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __str__(self) -> str:
        return self.kind if self.kind == "local" else f"{self.kind} ({self.workers} workers)"
