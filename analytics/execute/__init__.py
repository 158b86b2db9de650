"""Where per-vehicle work runs: in this process, in a local process pool, or on Dask.

``open_executor(spec)`` turns an :class:`ExecutorSpec` (``--executor`` / ``ANALYTICS_EXECUTOR``)
into an :class:`Executor`; stages call ``executor.map(compute_fn, inputs)`` with a pure,
module-level compute function and write the results in input order, so the tables are the
same whatever runs the work. See docs/scale.md.
"""

from __future__ import annotations

from analytics.execute.base import Executor, Task
from analytics.execute.spec import ExecutorSpec, parse_executor, usable_cores

__all__ = [
    "Executor",
    "ExecutorSpec",
    "Task",
    "local_executor",
    "open_executor",
    "parse_executor",
    "usable_cores",
]


def local_executor() -> Executor:
    """The in-process executor (the default)."""
    from analytics.execute.local import LocalExecutor

    return LocalExecutor()


def open_executor(spec: ExecutorSpec | str | None = None) -> Executor:
    """Start the executor ``spec`` names (``None``: local). Close it, or use ``with``."""
    if isinstance(spec, str):
        spec = parse_executor(spec)
    if spec is None or spec.kind == "local":
        return local_executor()
    if spec.kind == "processes":
        from analytics.execute.processes import ProcessExecutor

        return ProcessExecutor(spec.workers)
    from analytics.execute.cluster import DaskExecutor

    return DaskExecutor(spec.address, workers=spec.workers)
