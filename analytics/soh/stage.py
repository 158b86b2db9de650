"""The ``soh`` stage: estimators and fusion for every vehicle into ``soh`` and ``soh_observations``.

Reads ``signals``, ``sessions`` (run ``analytics sessions`` first) and ``vehicles``. Pass 1
computes each vehicle's observations and a first fusion (pure per-vehicle functions in
:mod:`analytics.soh.estimate`); the BMS values' biases are then calibrated per make and model
on the vehicles that physical methods pin down (:mod:`analytics.soh.calibration`), and pass 2
fuses every vehicle with those priors. Both passes are pure per-vehicle functions mapped over
the executor; the driver reads the inputs and replaces rows per vehicle in one transaction.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

from analytics.errors import SohError
from analytics.execute import Executor, local_executor
from analytics.execute.incremental import load_states, save_states
from analytics.execute.inputs import LakeRows, signal_rows, vehicle_signals
from analytics.soh.calibration import bms_bias_priors
from analytics.soh.estimate import VehicleObservations, fuse_vehicle, vehicle_observations
from analytics.soh.reference import VehicleRef, vehicle_reference
from analytics.warehouse import (
    Warehouse,
    record_run,
    replace_vehicle_rows,
    vehicle_ids,
)

__all__ = ["run_stage"]


def _observe(
    ref: VehicleRef, long: pl.DataFrame | LakeRows, sessions: pl.DataFrame
) -> tuple[VehicleObservations, dict[str, Any]]:
    """Pass 1 for one vehicle (any executor): observations and the fit a calibration needs."""
    vo = vehicle_observations(ref, signal_rows(long), sessions)
    _, _, biases = fuse_vehicle(vo)
    n_phys = int(
        vo.obs.filter(pl.col("kept") & pl.col("method").is_in(["charge_counting", "ocv"])).height
    )
    return vo, {"n_phys": n_phys, "biases": biases}


def _publish(
    vo: VehicleObservations, priors: dict[str, tuple[float, float]] | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Pass 2 for one vehicle (any executor): the published observations and daily series."""
    obs, daily, _ = fuse_vehicle(vo, priors, final=True)
    return obs, daily


def _plain(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists), for comparisons."""
    return json.loads(json.dumps(value, sort_keys=True))


def _observe_all(
    wh: Warehouse, ex: Executor, ids: Sequence[str], meta: dict[str, Any]
) -> dict[str, tuple[VehicleObservations, dict[str, Any]]]:
    def inputs() -> Iterator[tuple[VehicleRef, pl.DataFrame | LakeRows, pl.DataFrame]]:
        for vid in ids:
            sessions = wh.sql(
                "SELECT * FROM sessions WHERE vehicle_id = $v ORDER BY start_ts", {"v": vid}
            )
            yield vehicle_reference(vid, meta.get(vid)), vehicle_signals(wh, vid, ex), sessions

    return dict(zip(ids, ex.map(_observe, inputs()), strict=True))


def run_stage(
    wh: Warehouse,
    vehicles: Sequence[str] | None = None,
    *,
    executor: Executor | None = None,
    changed: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Estimate SoH for ``vehicles`` (default: every vehicle with sessions).

    ``changed`` (an incremental run): only these vehicles are observed again; the others'
    calibration fits come from ``stage_inputs``, and a vehicle is fused again when it changed
    or when the fleet calibration it gets has moved.
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    ids = list(vehicles) if vehicles else vehicle_ids(wh, table="sessions")
    if not ids:
        raise SohError("no sessions in the warehouse; run `analytics sessions` first")
    ex = executor or local_executor()
    meta = {r["vehicle_id"]: r for r in wh.sql("SELECT * FROM vehicles").iter_rows(named=True)}
    saved = load_states(wh, "soh", ids) if changed is not None else {}
    todo = set(ids) if changed is None else set(changed) | (set(ids) - set(saved))
    # pass 1: observations and a first fusion with default priors
    observed = _observe_all(wh, ex, [v for v in ids if v in todo], meta)
    states = {v: _plain(st) for v, (_, st) in observed.items()}
    fits = []
    for vid in ids:
        st = states.get(vid) or saved[vid]
        biases = {m: (b, sd) for m, (b, sd) in st["biases"].items()}
        fits.append((vid, _group(meta.get(vid)), st["n_phys"], biases))
    # pass 2: BMS values calibrated on the fleet, per make and model
    priors = bms_bias_priors(fits)
    moved = [v for v in ids if v not in todo and _plain(priors.get(v)) != saved[v].get("prior")]
    observed |= _observe_all(wh, ex, moved, meta)
    publish = [v for v in ids if v in observed]
    n_obs = n_kept = n_days = 0
    references: Counter[str] = Counter()
    no_estimate: list[str] = []
    results = ex.map(_publish, ((observed[v][0], priors.get(v)) for v in publish))
    for vid, (obs, daily) in zip(publish, results, strict=True):
        replace_vehicle_rows(wh, "soh_observations", [vid], obs)
        replace_vehicle_rows(wh, "soh", [vid], daily)
        n_obs += obs.height
        n_kept += int(obs["kept"].sum()) if obs.height else 0
        n_days += daily.height
        if daily.height:
            references[str(daily["reference"][0])] += 1
        else:
            no_estimate.append(vid)
    save_states(
        wh,
        "soh",
        {v: {**_plain(observed[v][1]), "prior": _plain(priors.get(v))} for v in publish},
    )
    summary: dict[str, Any] = {
        "vehicles": len(publish),
        "observations": n_obs,
        "kept": n_kept,
        "soh_days": n_days,
        **{f"ref_{k}": v for k, v in sorted(references.items())},
    }
    if changed is not None:
        summary["fleet"] = len(ids)
    if no_estimate:
        summary["no_estimate"] = len(no_estimate)
    record_run(
        wh,
        "soh",
        started,
        parameters={"vehicles": vehicles, "executor": str(ex)},
        vehicles=len(publish),
        rows_written=n_obs + n_days,
        message=(f"no estimate for {', '.join(no_estimate[:10])}" if no_estimate else None)
        or f"{time.perf_counter() - t0:.1f} s",
    )
    return summary


def _group(row: dict[str, Any] | None) -> str:
    """Calibration group of a vehicle: make and model (BMS definitions are per model)."""
    row = row or {}
    return f"{row.get('make') or '?'}|{row.get('model') or '?'}"
