"""The quality stage: run the checks per vehicle and replace its rows in the quality tables.

The driver reads each vehicle's signals and quarantine counts, the executor runs
:func:`analytics.quality.report.vehicle_quality` (a pure function of them), and the driver
writes the results in vehicle order, one transaction per table and vehicle.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

from analytics.execute import Executor, local_executor
from analytics.execute.inputs import LakeRows, signal_rows, vehicle_signals
from analytics.quality.report import VehicleQuality, vehicle_quality
from analytics.warehouse.db import Warehouse
from analytics.warehouse.tables import record_run, replace_vehicle_rows, vehicle_ids

__all__ = ["quality_for_vehicle", "run_stage", "vehicle_quarantine"]

TABLES = ("quality_vehicles", "quality_signals", "quality_events")


def vehicle_quarantine(wh: Warehouse, vehicle_id: str) -> pl.DataFrame:
    """What ingest quarantined for the vehicle (from files that are still in ``sources``)."""
    return wh.sql(
        "SELECT q.signal, q.reason, sum(q.count)::BIGINT AS count FROM quarantine q "
        "JOIN sources s USING (source_id) WHERE q.vehicle_id = ? AND s.status <> 'failed' "
        "GROUP BY ALL",
        [vehicle_id],
    )


def quality_for_vehicle(
    vehicle_id: str, frame: pl.DataFrame | LakeRows, quarantined: pl.DataFrame
) -> VehicleQuality | None:
    """Quality of one vehicle (None without signals); runs on any executor."""
    frame = signal_rows(frame)
    if frame.height == 0:
        return None
    return vehicle_quality(vehicle_id, frame, quarantined)


def _inputs(
    wh: Warehouse, ids: Sequence[str], ex: Executor
) -> Iterator[tuple[str, pl.DataFrame | LakeRows, pl.DataFrame]]:
    for vid in ids:
        yield vid, vehicle_signals(wh, vid, ex), vehicle_quarantine(wh, vid)


def run_stage(
    wh: Warehouse,
    vehicles: Sequence[str] | None = None,
    *,
    executor: Executor | None = None,
    changed: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Compute the quality report for each vehicle (all with signals when ``vehicles`` is None).

    ``changed``: re-model only these vehicles (an incremental run); the others keep their rows.
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    ids = list(vehicles) if vehicles else vehicle_ids(wh)
    if changed is not None:
        ids = [v for v in ids if v in set(changed)]
    ex = executor or local_executor()
    grades: dict[str, int] = {}
    rows = 0
    for vid, q in zip(ids, ex.map(quality_for_vehicle, _inputs(wh, ids, ex)), strict=True):
        if q is None:
            for table in TABLES:
                replace_vehicle_rows(wh, table, [vid], pl.DataFrame())
            continue
        for table, part in zip(TABLES, (q.summary, q.signals, q.events), strict=True):
            rows += replace_vehicle_rows(wh, table, [vid], part)
        grade = q.summary["grade"][0]
        grades[grade] = grades.get(grade, 0) + 1
    record_run(
        wh,
        "quality",
        started,
        parameters={"vehicles": vehicles, "executor": str(ex)},
        vehicles=len(ids),
        rows_written=rows,
    )
    return {
        "vehicles": len(ids),
        **{f"grade_{k}": v for k, v in sorted(grades.items())},
        "seconds_compute": round(time.perf_counter() - t0, 1),
    }
