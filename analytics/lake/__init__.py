"""The lake layout for large deployments: ``signals`` as partitioned Parquet in an Iceberg table.

``<lake>/signals/vehicle_id=<id>/date=<YYYY-MM-DD>/<sha256>.parquet`` files, registered in
the Iceberg table ``telemetry.signals`` of a SQLite catalog (``<lake>/catalog.db``); each
ingested file is one atomic snapshot whose summary carries its ingest manifest. The DuckDB
warehouse keeps every other table and reads ``signals`` from the lake's current snapshot, so
the stages run unchanged (docs/lake.md).
"""

from __future__ import annotations

from pathlib import Path

from analytics.lake.attach import (
    attach,
    configure,
    configured_lake,
    lake_of,
    lake_source,
    lake_stored,
    refresh_view,
)
from analytics.lake.commit import LakeCommit, commit_source
from analytics.lake.errors import LakeError
from analytics.lake.layout import partition_dir
from analytics.lake.manifest import mirror
from analytics.lake.table import Lake, LiveFile, open_lake

__all__ = [
    "Lake",
    "LakeCommit",
    "LakeError",
    "LiveFile",
    "attach",
    "commit_source",
    "configure",
    "configured_lake",
    "lake_of",
    "lake_source",
    "lake_stored",
    "mirror",
    "open_lake",
    "partition_dir",
    "refresh_view",
    "vehicle_files",
]


def vehicle_files(lake: str | Path | Lake, vehicle_id: str) -> list[str]:
    """One vehicle's Parquet files in the lake's current snapshot (no warehouse needed).

    A worker reads them with ``duckdb.read_parquet(files)`` or ``polars.read_parquet``; every
    file holds ``vehicle_id, ts, signal, value, source_id``, sorted by ``ts, signal``.
    """
    opened = lake if isinstance(lake, Lake) else open_lake(lake)
    return opened.vehicle_files(vehicle_id)
