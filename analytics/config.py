"""Where things live and where work runs: the warehouse path and the executor.

Precedence for the warehouse: the ``--warehouse`` option, then ``ANALYTICS_WAREHOUSE``, then
``data/warehouse.duckdb`` relative to the working directory. For the executor (docs/scale.md):
the ``--executor`` option, then ``ANALYTICS_EXECUTOR``, then ``local``.
"""

from __future__ import annotations

import os
from pathlib import Path

from analytics.execute.spec import ExecutorSpec, parse_executor

__all__ = [
    "DEFAULT_EXECUTOR",
    "DEFAULT_WAREHOUSE",
    "EXECUTOR_ENV",
    "WAREHOUSE_ENV",
    "resolve_executor",
    "resolve_warehouse",
]

WAREHOUSE_ENV = "ANALYTICS_WAREHOUSE"
DEFAULT_WAREHOUSE = Path("data") / "warehouse.duckdb"
EXECUTOR_ENV = "ANALYTICS_EXECUTOR"
DEFAULT_EXECUTOR = "local"


def resolve_warehouse(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the warehouse path from the option, the environment, or the default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(WAREHOUSE_ENV)
    if env:
        return Path(env)
    return DEFAULT_WAREHOUSE


def resolve_executor(
    explicit: str | None = None, *, default: str | None = DEFAULT_EXECUTOR
) -> ExecutorSpec | None:
    """The executor from the option, the environment, or ``default``.

    ``default=None`` returns None when neither is set, for a caller with its own default
    (ingest keeps decoding raw logs on every core unless told otherwise).
    """
    text = explicit or os.environ.get(EXECUTOR_ENV) or default
    return parse_executor(text) if text else None
