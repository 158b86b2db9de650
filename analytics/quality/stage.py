"""The quality stage: run the checks per vehicle and replace its rows in the quality tables."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

from analytics.quality.report import vehicle_quality
from analytics.warehouse.db import Warehouse
from analytics.warehouse.tables import read_signals, record_run, replace_vehicle_rows, vehicle_ids

__all__ = ["run_stage", "vehicle_quarantine"]

TABLES = ("quality_vehicles", "quality_signals", "quality_events")


def vehicle_quarantine(wh: Warehouse, vehicle_id: str) -> pl.DataFrame:
    """What ingest quarantined for the vehicle (from files that are still in ``sources``)."""
    return wh.sql(
        "SELECT q.signal, q.reason, sum(q.count)::BIGINT AS count FROM quarantine q "
        "JOIN sources s USING (source_id) WHERE q.vehicle_id = ? AND s.status <> 'failed' "
        "GROUP BY ALL",
        [vehicle_id],
    )


def run_stage(wh: Warehouse, vehicles: Sequence[str] | None = None) -> dict[str, Any]:
    """Compute the quality report for each vehicle (all with signals when ``vehicles`` is None)."""
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    ids = list(vehicles) if vehicles else vehicle_ids(wh)
    grades: dict[str, int] = {}
    rows = 0
    for vid in ids:
        frame = read_signals(wh, vid)
        if frame.height == 0:
            for table in TABLES:
                replace_vehicle_rows(wh, table, [vid], pl.DataFrame())
            continue
        q = vehicle_quality(vid, frame, vehicle_quarantine(wh, vid))
        for table, part in zip(TABLES, (q.summary, q.signals, q.events), strict=True):
            rows += replace_vehicle_rows(wh, table, [vid], part)
        grade = q.summary["grade"][0]
        grades[grade] = grades.get(grade, 0) + 1
    record_run(
        wh,
        "quality",
        started,
        parameters={"vehicles": vehicles},
        vehicles=len(ids),
        rows_written=rows,
    )
    return {
        "vehicles": len(ids),
        **{f"grade_{k}": v for k, v in sorted(grades.items())},
        "seconds_compute": round(time.perf_counter() - t0, 1),
    }
