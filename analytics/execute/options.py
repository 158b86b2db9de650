"""The ``--executor`` option shared by ``ingest``, the per-vehicle stages and ``run``."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from analytics.execute.base import Executor

__all__ = ["add_executor_option", "executor_from_args"]

HELP = (
    "where per-vehicle work runs: local (this process, the default), processes[=N] (a pool "
    "on this machine's cores) or dask[=SCHEDULER_ADDRESS] (a Dask cluster; without an address "
    "a LocalCluster on this machine); default: $ANALYTICS_EXECUTOR or local"
)


def add_executor_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--executor KIND`` to a subcommand."""
    parser.add_argument("--executor", metavar="KIND", default=None, help=HELP)


@contextmanager
def executor_from_args(
    args: argparse.Namespace, *, default: str | None = "local"
) -> Iterator[Executor | None]:
    """The executor the option or environment names, started for the command and closed after.

    Yields None when neither names one and ``default`` is None.
    """
    from analytics.config import resolve_executor
    from analytics.execute import open_executor

    spec = resolve_executor(getattr(args, "executor", None), default=default)
    if spec is None:
        yield None
        return
    ex = open_executor(spec)
    try:
        yield ex
    finally:
        ex.close()
