"""The ``local`` executor: every call runs in this process when its result is asked for.

No pickling and no second process: the same order of reads, computations and writes as a
plain loop, which is what a small fleet, a notebook or a debugger wants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from analytics.execute.base import Executor

__all__ = ["LocalExecutor"]


class _Deferred:
    """A call made on :meth:`result` (once), so a stream computes one item at a time."""

    __slots__ = ("_args", "_done", "_fn", "_value")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self._fn, self._args = fn, args
        self._done = False
        self._value: Any = None

    def result(self) -> Any:
        if not self._done:
            self._value = self._fn(*self._args)
            self._done = True
            self._args = ()
        return self._value


class LocalExecutor(Executor):
    """Runs each call in the calling process, one at a time."""

    kind = "local"
    workers = 1

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> _Deferred:
        return _Deferred(fn, args)

    def default_ahead(self) -> int:
        return 1
