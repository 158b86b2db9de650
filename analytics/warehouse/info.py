"""A summary of what the warehouse holds, for ``analytics info`` and the app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from analytics.warehouse.db import Warehouse

__all__ = ["WarehouseSummary", "summarize"]


@dataclass
class WarehouseSummary:
    path: str
    schema_version: int
    vehicles: int
    sources: int
    signals_distinct: int
    first_ts: datetime | None
    last_ts: datetime | None
    table_rows: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        span = (
            f"{self.first_ts:%Y-%m-%d %H:%M} .. {self.last_ts:%Y-%m-%d %H:%M} UTC"
            if self.first_ts and self.last_ts
            else "no signals yet"
        )
        out = [
            f"warehouse       {self.path}",
            f"schema version  {self.schema_version}",
            f"vehicles        {self.vehicles}",
            f"sources         {self.sources}",
            f"signals         {self.signals_distinct} distinct",
            f"time range      {span}",
            "rows per table:",
        ]
        width = max((len(t) for t in self.table_rows), default=0)
        out += [f"  {t:<{width}}  {n:>14,}" for t, n in self.table_rows.items()]
        return out


def summarize(wh: Warehouse) -> WarehouseSummary:
    """Count vehicles, sources, signals, the time range and rows per table."""
    tables = wh.table_names()
    rows = {t: int(wh.one(f'SELECT count(*) FROM "{t}"')[0]) for t in tables}
    vehicles = wh.one(
        "SELECT count(*) FROM (SELECT vehicle_id FROM vehicles UNION "
        "SELECT DISTINCT vehicle_id FROM signals)"
    )[0]
    sources = wh.one("SELECT count(*) FROM sources WHERE status <> 'failed'")[0]
    distinct, first, last = wh.one("SELECT count(DISTINCT signal), min(ts), max(ts) FROM signals")
    return WarehouseSummary(
        path=str(wh.path or ":memory:"),
        schema_version=wh.schema_version,
        vehicles=int(vehicles),
        sources=int(sources),
        signals_distinct=int(distinct),
        first_ts=first,
        last_ts=last,
        table_rows=rows,
    )
