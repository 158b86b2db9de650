"""Lake mode for a warehouse: remember the lake folder, mirror its manifests, read it as ``signals``.

A warehouse in lake mode keeps every derived table in its DuckDB file, and its ``signals`` are
the Parquet files of the lake's current Iceberg snapshot. On open, a TEMP VIEW named
``signals`` over exactly those files shadows the (empty) table of that name, so every query
and stage that reads ``signals`` reads the lake unchanged; Hive partition pruning on
``vehicle_id`` keeps one vehicle's reads to that vehicle's files. The view is refreshed after
each commit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analytics.lake.errors import LakeError
from analytics.lake.layout import sql_list
from analytics.lake.manifest import mirror
from analytics.lake.table import Lake, open_lake

__all__ = [
    "attach",
    "configure",
    "configured_lake",
    "lake_of",
    "lake_source",
    "lake_stored",
    "refresh_view",
]

SETTING = "lake"
_EMPTY = (
    "SELECT CAST(NULL AS VARCHAR) AS vehicle_id, CAST(NULL AS TIMESTAMPTZ) AS ts, "
    "CAST(NULL AS VARCHAR) AS signal, CAST(NULL AS DOUBLE) AS value, "
    "CAST(NULL AS BIGINT) AS source_id WHERE false"
)


def lake_of(wh: Any) -> Lake | None:
    """The lake a warehouse connection is attached to, or None (plain DuckDB file)."""
    return getattr(wh, "lake", None)


def configured_lake(wh: Any) -> Path | None:
    """The lake folder recorded in the warehouse's settings, or None."""
    has = wh.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = 'warehouse_settings'"
    ).fetchall()[0][0]
    if not has:
        return None
    row = wh.execute("SELECT value FROM warehouse_settings WHERE key = ?", [SETTING]).fetchall()
    return Path(row[0][0]) if row else None


def _stored_rows(wh: Any) -> int:
    """Rows in the warehouse file's own ``signals`` table (not the lake view)."""
    db = wh.one("SELECT current_database()")[0]
    return int(wh.one(f'SELECT count(*) FROM "{db}".main.signals')[0])


def lake_source(paths: list[str]) -> str:
    """A FROM-clause item with the ``signals`` columns of these lake files."""
    if not paths:
        return f"({_EMPTY})"
    return (
        "(SELECT vehicle_id, ts, signal, value, source_id FROM read_parquet("
        f"{sql_list(paths)}, hive_partitioning = true, "
        "hive_types = {'vehicle_id': VARCHAR, 'date': DATE}))"
    )


def lake_stored(lake: Lake, vehicle_ids: list[str]) -> str:
    """A FROM-clause item with the stored rows of these vehicles only (no other file read);
    without vehicle ids, the whole ``signals`` view."""
    if not vehicle_ids:
        return "signals"
    wanted = set(vehicle_ids)
    return lake_source([f.path for f in lake.live_files() if f.vehicle_id in wanted])


def refresh_view(wh: Any) -> None:
    """Point the ``signals`` TEMP VIEW at the lake's current files."""
    lake = lake_of(wh)
    if lake is None:
        return
    paths = [f.path for f in lake.live_files()]
    wh.execute(f"CREATE OR REPLACE TEMP VIEW signals AS SELECT * FROM {lake_source(paths)}")


def attach(wh: Any) -> Lake | None:
    """Attach the configured lake (if any): mirror missing manifests when writable, make
    ``signals`` read the lake. Called by :func:`analytics.warehouse.open_warehouse`."""
    root = configured_lake(wh)
    if root is None:
        return None
    lake = open_lake(root)
    wh.lake = lake
    # lake files never change once written (a new content is a new name): keep their footers
    wh.execute("SET parquet_metadata_cache = true")
    if not wh.read_only:
        mirror(wh, lake)
    refresh_view(wh)
    return lake


def configure(wh: Any, lake_dir: str | Path) -> Lake:
    """Put the warehouse in lake mode with ``lake_dir`` (created when new) and attach it.

    Idempotent for the same folder. Refuses a different folder than the one configured, and a
    warehouse whose own ``signals`` table already holds rows (they would be hidden).
    """
    if wh.read_only:
        raise LakeError(f"{wh.path} is open read-only; open it for writing to configure a lake")
    if wh.path is None:
        raise LakeError("an in-memory warehouse cannot use a lake; give a warehouse file")
    root = Path(lake_dir).expanduser().resolve()
    current = configured_lake(wh)
    if current is not None and current != root:
        raise LakeError(
            f"the warehouse {wh.path} already stores its signals in the lake {current}; "
            f"use that folder, or a new warehouse file for the lake {root}"
        )
    if current is None:
        if (n := _stored_rows(wh)) > 0:
            raise LakeError(
                f"the warehouse {wh.path} already holds {n:,} signal rows in the file itself; "
                "lake mode needs a warehouse without them: use a new warehouse file"
            )
        open_lake(root, create=True)
        with wh.transaction():
            wh.execute(
                "INSERT OR REPLACE INTO warehouse_settings (key, value, updated_at) "
                "VALUES (?, ?, ?)",
                [SETTING, str(root), datetime.now(UTC)],
            )
    lake = attach(wh)
    assert lake is not None
    return lake
