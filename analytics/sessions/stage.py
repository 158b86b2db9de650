"""The ``sessions`` stage: cut every vehicle's signals into drive / charge / park sessions.

``sessions_for_vehicle`` is a pure function of one vehicle's long signal rows (so any
executor runs it per vehicle); ``run_stage`` reads each vehicle's signals in the driver, maps
it over the executor, and replaces the vehicle's rows in table ``sessions`` in vehicle order,
one transaction each.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from analytics.errors import SessionError
from analytics.execute import Executor, local_executor
from analytics.execute.inputs import LakeRows, signal_rows, vehicle_signals
from analytics.sessions.aggregate import summarize_sessions
from analytics.sessions.cut import CutConfig, assign_sessions
from analytics.sessions.frame import clean_clock, wide_frame
from analytics.warehouse import (
    Warehouse,
    record_run,
    replace_vehicle_rows,
    vehicle_ids,
)

__all__ = ["run_stage", "sessions_for_vehicle"]


def sessions_for_vehicle(
    vehicle_id: str, long: pl.DataFrame, cfg: CutConfig | None = None
) -> pl.DataFrame:
    """Sessions of one vehicle from its long ``ts, signal, value`` rows (any order)."""
    cfg = cfg or CutConfig()
    missing = {"ts", "signal", "value"} - set(long.columns)
    if missing:
        raise SessionError(
            f"signals for {vehicle_id} lack columns {sorted(missing)}; "
            "pass the long frame read from table signals"
        )
    wide = wide_frame(long, hold_gap_s=cfg.max_gap_s)
    wide, dropped_ts = _drop_clock_jumps(wide)
    labels = assign_sessions(wide, cfg)
    out = summarize_sessions(vehicle_id, wide, labels, cfg)
    if dropped_ts.size and out.height:
        starts = out["start_ts"].dt.epoch("us").to_numpy()
        hit = np.unique(np.clip(np.searchsorted(starts, dropped_ts, side="right") - 1, 0, None))
        mark = np.zeros(out.height, dtype=bool)
        mark[hit] = True
        out = out.with_columns(
            pl.when(pl.Series(mark))
            .then(
                pl.concat_str(
                    [pl.col("flags"), pl.lit("clock_jump")], separator=";"
                ).str.strip_chars(";")
            )
            .otherwise(pl.col("flags"))
            .alias("flags")
        )
    return out


def _drop_clock_jumps(wide: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray]:
    cleaned, n_bad = clean_clock(wide)
    if n_bad == 0:
        return wide, np.zeros(0, dtype=np.int64)
    kept = set(cleaned["ts"].dt.epoch("us").to_list())
    all_ts = wide["ts"].dt.epoch("us").to_numpy()
    dropped = all_ts[~np.isin(all_ts, np.fromiter(kept, dtype=np.int64))]
    return cleaned, dropped


def _sessions_or_empty(vehicle_id: str, long: pl.DataFrame | LakeRows) -> pl.DataFrame | None:
    """Sessions of one vehicle, or None when it has no signals (runs on any executor)."""
    long = signal_rows(long)
    if long.height == 0:
        return None
    return sessions_for_vehicle(vehicle_id, long)


def _inputs(
    wh: Warehouse, ids: Sequence[str], ex: Executor
) -> Iterator[tuple[str, pl.DataFrame | LakeRows]]:
    for vid in ids:
        yield vid, vehicle_signals(wh, vid, ex)


def run_stage(
    wh: Warehouse,
    vehicles: Sequence[str] | None = None,
    *,
    executor: Executor | None = None,
    changed: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Cut sessions for ``vehicles`` (default: every vehicle with signals) into ``sessions``.

    ``changed``: re-model only these vehicles (an incremental run); the others keep their rows.
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    ids = list(vehicles) if vehicles else vehicle_ids(wh, table="signals")
    if not ids:
        raise SessionError(
            "no signals in the warehouse; ingest telemetry first (`analytics ingest`)"
        )
    if changed is not None:
        ids = [v for v in ids if v in set(changed)]
    ex = executor or local_executor()
    counts = {"drive": 0, "charge": 0, "park": 0}
    rows = 0
    skipped: list[str] = []
    for vid, frame in zip(ids, ex.map(_sessions_or_empty, _inputs(wh, ids, ex)), strict=True):
        if frame is None:
            skipped.append(vid)
            replace_vehicle_rows(wh, "sessions", [vid], pl.DataFrame())
            continue
        rows += replace_vehicle_rows(wh, "sessions", [vid], frame)
        for kind, n in frame["kind"].value_counts().iter_rows():
            counts[kind] = counts.get(kind, 0) + n
    summary: dict[str, Any] = {"vehicles": len(ids) - len(skipped), "sessions": rows, **counts}
    if skipped:
        summary["skipped_no_signals"] = len(skipped)
    record_run(
        wh,
        "sessions",
        started,
        parameters={"vehicles": vehicles, "executor": str(ex)},
        vehicles=len(ids),
        rows_written=rows,
        message=f"{time.perf_counter() - t0:.1f} s",
    )
    return summary
