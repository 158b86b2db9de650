"""Where things live: the warehouse path and the project's data folder.

Precedence for the warehouse: the ``--warehouse`` option, then ``ANALYTICS_WAREHOUSE``, then
``data/warehouse.duckdb`` relative to the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_WAREHOUSE", "WAREHOUSE_ENV", "resolve_warehouse"]

WAREHOUSE_ENV = "ANALYTICS_WAREHOUSE"
DEFAULT_WAREHOUSE = Path("data") / "warehouse.duckdb"


def resolve_warehouse(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the warehouse path from the option, the environment, or the default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(WAREHOUSE_ENV)
    if env:
        return Path(env)
    return DEFAULT_WAREHOUSE
