"""The ``soh`` stage: estimators and fusion for every vehicle into ``soh`` and ``soh_observations``.

Reads ``signals``, ``sessions`` (run ``analytics sessions`` first) and ``vehicles``. Pass 1
computes each vehicle's observations and a first fusion (pure per-vehicle functions in
:mod:`analytics.soh.estimate`); the BMS values' biases are then calibrated per make and model
on the vehicles that physical methods pin down (:mod:`analytics.soh.calibration`), and pass 2
fuses every vehicle with those priors. Rows are replaced per vehicle in one transaction.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

from analytics.errors import SohError
from analytics.soh.calibration import bms_bias_priors
from analytics.soh.estimate import VehicleObservations, fuse_vehicle, vehicle_observations
from analytics.soh.reference import vehicle_reference
from analytics.warehouse import (
    Warehouse,
    read_signals,
    record_run,
    replace_vehicle_rows,
    vehicle_ids,
)

__all__ = ["run_stage"]


def run_stage(wh: Warehouse, vehicles: Sequence[str] | None = None) -> dict[str, Any]:
    """Estimate SoH for ``vehicles`` (default: every vehicle with sessions)."""
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    ids = list(vehicles) if vehicles else vehicle_ids(wh, table="sessions")
    if not ids:
        raise SohError("no sessions in the warehouse; run `analytics sessions` first")
    meta = {r["vehicle_id"]: r for r in wh.sql("SELECT * FROM vehicles").iter_rows(named=True)}
    # pass 1: observations and a first fusion with default priors
    prepared: list[VehicleObservations] = []
    fits: list[tuple[str, str, int, dict[str, tuple[float, float]]]] = []
    for vid in ids:
        ref = vehicle_reference(vid, meta.get(vid))
        long = read_signals(wh, vid)
        sessions = wh.sql(
            "SELECT * FROM sessions WHERE vehicle_id = $v ORDER BY start_ts", {"v": vid}
        )
        vo = vehicle_observations(ref, long, sessions)
        prepared.append(vo)
        _, _, biases = fuse_vehicle(vo)
        n_phys = int(
            vo.obs.filter(
                pl.col("kept") & pl.col("method").is_in(["charge_counting", "ocv"])
            ).height
        )
        fits.append((vid, _group(meta.get(vid)), n_phys, biases))
    # pass 2: BMS values calibrated on the fleet, per make and model
    priors = bms_bias_priors(fits)
    n_obs = n_kept = n_days = 0
    references: Counter[str] = Counter()
    no_estimate: list[str] = []
    for vo in prepared:
        vid = vo.ref.vehicle_id
        obs, daily, _ = fuse_vehicle(vo, priors.get(vid), final=True)
        replace_vehicle_rows(wh, "soh_observations", [vid], obs)
        replace_vehicle_rows(wh, "soh", [vid], daily)
        n_obs += obs.height
        n_kept += int(obs["kept"].sum()) if obs.height else 0
        n_days += daily.height
        if daily.height:
            references[str(daily["reference"][0])] += 1
        else:
            no_estimate.append(vid)
    summary: dict[str, Any] = {
        "vehicles": len(ids),
        "observations": n_obs,
        "kept": n_kept,
        "soh_days": n_days,
        **{f"ref_{k}": v for k, v in sorted(references.items())},
    }
    if no_estimate:
        summary["no_estimate"] = len(no_estimate)
    record_run(
        wh,
        "soh",
        started,
        parameters={"vehicles": vehicles},
        vehicles=len(ids),
        rows_written=n_obs + n_days,
        message=(f"no estimate for {', '.join(no_estimate[:10])}" if no_estimate else None)
        or f"{time.perf_counter() - t0:.1f} s",
    )
    return summary


def _group(row: dict[str, Any] | None) -> str:
    """Calibration group of a vehicle: make and model (BMS definitions are per model)."""
    row = row or {}
    return f"{row.get('make') or '?'}|{row.get('model') or '?'}"
