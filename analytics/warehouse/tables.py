"""Reading and writing warehouse tables the way every stage does.

Stages are functions of one vehicle's rows; these helpers read a vehicle's signals and
replace a vehicle's rows in a derived table in one transaction, so a stage can be re-run
alone and never leaves a table half-written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import polars as pl

from analytics.warehouse.db import Warehouse

__all__ = [
    "load_sql",
    "read_signals",
    "record_run",
    "replace_vehicle_rows",
    "signals_sql",
    "vehicle_ids",
]


def load_sql(package: str, name: str) -> str:
    """Return the text of ``sql/<name>`` shipped inside ``package``."""
    return resources.files(package).joinpath("sql", name).read_text("utf-8")


def vehicle_ids(wh: Warehouse, *, table: str = "signals") -> list[str]:
    """Vehicle ids present in ``table`` (``signals`` or ``vehicles``), sorted."""
    if table not in {"signals", "vehicles", "sessions", "soh"}:
        raise ValueError(f"unsupported table {table!r}")
    if table == "signals" and wh.lake is not None:  # lake mode: from the catalog, no file read
        return wh.lake.vehicle_ids()
    rows = wh.execute(f"SELECT DISTINCT vehicle_id FROM {table} ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def read_signals(
    wh: Warehouse,
    vehicle_id: str,
    signals: Sequence[str] | None = None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pl.DataFrame:
    """One vehicle's signals in long form ``ts, signal, value``, sorted by time."""
    where = ["vehicle_id = $vid"]
    params: dict[str, Any] = {"vid": vehicle_id}
    if signals:
        where.append("list_contains($signals, signal)")
        params["signals"] = list(signals)
    if start is not None:
        where.append("ts >= $start")
        params["start"] = start
    if end is not None:
        where.append("ts < $end")
        params["end"] = end
    source = "signals"
    if wh.lake is not None:  # lake mode: only this vehicle's files of the current snapshot
        from analytics.lake.attach import lake_source

        source = lake_source(wh.lake.vehicle_files(vehicle_id))
    return wh.sql(signals_sql(source, where), params)


def signals_sql(source: str, where: Sequence[str]) -> str:
    """The query behind :func:`read_signals`: ``ts, signal, value`` of ``source`` where every
    condition holds, sorted by time (workers reading a vehicle's lake files run it too)."""
    return f"SELECT ts, signal, value FROM {source} WHERE {' AND '.join(where)} ORDER BY ts, signal"


def replace_vehicle_rows(
    wh: Warehouse, table: str, vehicle_ids: Iterable[str], frame: pl.DataFrame
) -> int:
    """Replace ``table``'s rows for ``vehicle_ids`` with ``frame`` in one transaction.

    Columns are matched by name; columns the frame lacks become NULL. Returns rows written.
    """
    ids = sorted(set(vehicle_ids))
    with wh.transaction():
        wh.execute(f"DELETE FROM {table} WHERE list_contains($ids, vehicle_id)", {"ids": ids})
        if frame.height:
            wh.con.register("_replace_frame", frame.to_arrow())
            try:
                wh.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _replace_frame")
            finally:
                wh.con.unregister("_replace_frame")
    return frame.height


def record_run(
    wh: Warehouse,
    stage: str,
    started_at: datetime,
    *,
    parameters: dict[str, Any] | None = None,
    vehicles: int | None = None,
    rows_written: int | None = None,
    status: str = "ok",
    message: str | None = None,
) -> None:
    """Append one row to ``pipeline_runs`` for provenance."""
    from analytics import __version__

    wh.execute(
        "INSERT INTO pipeline_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            stage,
            started_at,
            datetime.now(UTC),
            __version__,
            json.dumps(parameters or {}, sort_keys=True, default=str),
            vehicles,
            rows_written,
            status,
            message,
        ],
    )
