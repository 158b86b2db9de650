"""Load a simulated fleet straight into a warehouse, as an ingest would, for benchmarks and notebooks.

Only what a real car reports goes in: the vehicle metadata and the car-reported telemetry.
The truth frames stay with the :class:`~analytics.simulate.fleet.Fleet` for comparison.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from analytics.simulate.fleet import Fleet
    from analytics.warehouse import Warehouse

__all__ = ["load_fleet"]


def load_fleet(wh: Warehouse, fleet: Fleet, *, before: date | None = None) -> int:
    """Insert the fleet's metadata into ``vehicles`` and its telemetry into ``signals``.

    ``before`` keeps only telemetry of days before that date (for back-tests). Returns the
    number of signal rows inserted.
    """
    meta = fleet.metadata()
    known = set(wh.sql("SELECT * FROM vehicles LIMIT 0").columns)
    cols = [c for c in meta.columns if c in known]
    wh.con.register("_fleet_meta", meta.select(cols).to_arrow())
    try:
        wh.execute(f"INSERT INTO vehicles BY NAME SELECT {', '.join(cols)} FROM _fleet_meta")
    finally:
        wh.con.unregister("_fleet_meta")
    rows = 0
    for vid in fleet.vehicle_ids:
        tel = fleet.telemetry(vid).select(
            "vehicle_id",
            pl.col("ts").cast(pl.Datetime("us", "UTC")),
            "signal",
            pl.col("value").cast(pl.Float64),
        )
        if before is not None:
            tel = tel.filter(pl.col("ts").dt.date() < before)
        wh.con.register("_fleet_tel", tel.to_arrow())
        try:
            wh.execute("INSERT INTO signals BY NAME SELECT * FROM _fleet_tel")
        finally:
            wh.con.unregister("_fleet_tel")
        rows += tel.height
    return rows
