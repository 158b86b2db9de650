"""A vehicle's signal rows as a stage hands them to its compute function.

Without a lake, or on the local executor, the driver reads the rows (``read_signals``) and
the frame travels to the worker. In lake mode on ``processes`` or ``dask`` the driver hands
over only the paths of the vehicle's content-named lake files, and the worker reads them with
the same query ``read_signals`` runs: the driver's serial share of a stage shrinks to its
writes, and a vehicle's rows cross the network once. Workers must then see the lake folder at
the same path (a shared file system or mount), as the driver does.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analytics.execute.base import Executor
from analytics.warehouse.db import Warehouse

__all__ = ["LakeRows", "signal_rows", "vehicle_signals"]


@dataclass(frozen=True)
class LakeRows:
    """One vehicle's rows as the lake files that hold them; read where the work runs."""

    vehicle_id: str
    paths: tuple[str, ...]

    def read(self) -> pl.DataFrame:
        """``ts, signal, value`` sorted by time: what ``read_signals`` returns for the vehicle."""
        import duckdb

        from analytics.lake.attach import lake_source
        from analytics.warehouse.tables import signals_sql

        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            return con.sql(
                signals_sql(lake_source(list(self.paths)), ["vehicle_id = $vid"]),
                params={"vid": self.vehicle_id},
            ).pl()
        finally:
            con.close()


def vehicle_signals(wh: Warehouse, vehicle_id: str, executor: Executor) -> pl.DataFrame | LakeRows:
    """The vehicle's rows (local executor or no lake) or the lake files to read them from."""
    from analytics.warehouse.tables import read_signals

    lake = getattr(wh, "lake", None)
    if lake is None or executor.kind == "local":
        return read_signals(wh, vehicle_id)
    return LakeRows(vehicle_id, tuple(lake.vehicle_files(vehicle_id)))


def signal_rows(rows: pl.DataFrame | LakeRows) -> pl.DataFrame:
    """The frame itself, or the rows read from the lake files (in the worker)."""
    return rows.read() if isinstance(rows, LakeRows) else rows
