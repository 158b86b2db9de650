"""The DuckDB warehouse: connections, migrations, and table helpers."""

from analytics.warehouse.db import Warehouse, open_warehouse
from analytics.warehouse.info import WarehouseSummary, summarize
from analytics.warehouse.migrations import apply_migrations, current_version, latest_version
from analytics.warehouse.tables import (
    load_sql,
    read_signals,
    record_run,
    replace_vehicle_rows,
    vehicle_ids,
)

__all__ = [
    "Warehouse",
    "WarehouseSummary",
    "apply_migrations",
    "current_version",
    "latest_version",
    "load_sql",
    "open_warehouse",
    "read_signals",
    "record_run",
    "replace_vehicle_rows",
    "summarize",
    "vehicle_ids",
]
