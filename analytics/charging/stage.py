"""The charging stage: build every charge-behaviour table from ``sessions`` and ``signals``.

Per vehicle: ``charging_sessions`` (plug window, energy, location, session type),
``charging_stress`` and ``charging_flexibility``. Over the fleet (all vehicles that have
charging sessions, so a partial re-run keeps archetypes comparable): ``charging_profiles``,
``charging_profile_mix`` and the 7-day ``charging_load_forecast``. The driver reads each
vehicle's inputs and the fleet's inlet fits; :func:`charging_for_vehicle` runs on the executor.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

from analytics.errors import AnalyticsError, ChargingError
from analytics.execute import Executor, local_executor
from analytics.warehouse.db import Warehouse

__all__ = ["run_stage"]

log = logging.getLogger(__name__)

_SOC_MAX_HOLD_S = 3 * 3600.0  # parked cars report SoC rarely; it barely moves meanwhile


def _charge_vehicles(wh: Warehouse, vehicles: Sequence[str] | None) -> list[str]:
    if "sessions" not in wh.table_names():
        raise ChargingError(
            "the warehouse has no sessions table; run `analytics sessions` before "
            "`analytics charging`"
        )
    rows = wh.execute(
        "SELECT DISTINCT vehicle_id FROM sessions WHERE kind = 'charge' ORDER BY 1"
    ).fetchall()
    have = [r[0] for r in rows]
    if vehicles:
        return [v for v in have if v in set(vehicles)]
    return have


def _soc_bands(wh: Warehouse, vid: str, soc_path: str) -> pl.DataFrame:
    from analytics.warehouse import load_sql

    bands = wh.sql(
        load_sql("analytics.charging", "soc_bands.sql"),
        {"vid": vid, "signal": soc_path, "max_hold_s": _SOC_MAX_HOLD_S},
    )
    return bands.with_columns(vehicle_id=pl.lit(vid))


def _fit(wh: Warehouse, table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Keep the frame's columns that the table has (extra model columns stay in memory)."""
    cols = [
        r[0]
        for r in wh.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $t "
            "ORDER BY ordinal_position",
            {"t": table},
        ).fetchall()
    ]
    return frame.select([c for c in cols if c in frame.columns])


def _write_fleet(wh: Warehouse, table: str, frame: pl.DataFrame) -> int:
    frame = _fit(wh, table, frame)
    with wh.transaction():
        wh.execute(f"DELETE FROM {table}")
        if frame.height:
            wh.con.register("_fleet_frame", frame.to_arrow())
            try:
                wh.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _fleet_frame")
            finally:
                wh.con.unregister("_fleet_frame")
    return frame.height


def _fleet_tables(wh: Warehouse) -> dict[str, Any]:
    from analytics.charging.forecast import fleet_load, forecast_load
    from analytics.charging.profiles import mix_stability, profile_vehicles, quarter_mix
    from analytics.charging.slots import schedulable, session_slots

    # in the order a full run writes them, whichever vehicles a run rewrote: the fleet models
    # then see the same rows in the same order after an incremental run
    cs = wh.sql("SELECT * FROM charging_sessions ORDER BY vehicle_id, plug_in_ts, session_id")
    out: dict[str, Any] = {}
    if cs.height == 0:
        return out
    prof = profile_vehicles(cs)
    mix = quarter_mix(cs)
    stab = mix_stability(mix)
    prof = prof.join(stab, on="vehicle_id", how="left")
    _write_fleet(wh, "charging_profiles", prof)
    _write_fleet(wh, "charging_profile_mix", mix)
    counts = prof.group_by("archetype").len().sort("archetype")
    out["archetypes"] = " ".join(f"{a}:{n}" for a, n in counts.iter_rows())
    ok, _ = schedulable(cs)
    load = fleet_load(session_slots(ok))
    try:
        fc = forecast_load(load)
    except AnalyticsError as exc:
        log.warning("load forecast skipped: %s", exc)
        out["forecast"] = "skipped"
        return out
    fc = fc.with_columns(
        vehicles=pl.lit(cs["vehicle_id"].n_unique(), pl.Int32),
        created_at=pl.lit(datetime.now(UTC)),
    )
    _write_fleet(wh, "charging_load_forecast", fc)
    out["forecast_peak_kw"] = round(float(fc["load_kw"].max()), 1)
    return out


def charging_for_vehicle(inputs: Any, bands: pl.DataFrame) -> tuple[Any, ...]:
    """One vehicle's charging sessions, stress and flexibility (a pure function; any executor).

    Returns ``(charges read, charging_sessions, charging_stress, charging_flexibility,
    sessions without energy or power)``.
    """
    from analytics.charging.build import build_charging_sessions
    from analytics.charging.flexibility import flexibility_envelope
    from analytics.charging.profiles import classify_sessions
    from analytics.charging.stress import stress_indicators

    cs = build_charging_sessions(inputs)
    if cs.height:
        cs = classify_sessions(cs)
    stress = stress_indicators(cs, bands) if cs.height else cs
    n_skipped = 0
    if cs.height:
        env, skipped = flexibility_envelope(cs)
        n_skipped = skipped.height
    else:
        env = pl.DataFrame()
    return inputs.charges.height, cs, stress, env, n_skipped


def _inlet_digest(
    inlet: dict[tuple[str, str, str], Any], make: str | None, model: str | None
) -> str:
    """What of the fleet's inlet fits a vehicle of this make and model can use."""
    import hashlib

    mine = sorted((k, repr(v)) for k, v in inlet.items() if k[:2] == (make or "", model or ""))
    return hashlib.md5(repr(mine).encode()).hexdigest()


def run_stage(
    wh: Warehouse,
    vehicles: Sequence[str] | None = None,
    *,
    executor: Executor | None = None,
    changed: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Build the charging tables for ``vehicles`` (default: all with charge sessions).

    ``changed`` (an incremental run): per-vehicle tables are rebuilt for these vehicles and for
    any whose car model's fleet inlet fit moved; the fleet tables are always rebuilt.
    """
    from analytics.catalog import load_catalog
    from analytics.charging.build import load_vehicle_inputs
    from analytics.charging.inlet import model_inlet_fits
    from analytics.execute.incremental import load_states, save_states
    from analytics.warehouse import record_run, replace_vehicle_rows

    started = datetime.now(UTC)
    logging.getLogger("numexpr").setLevel(logging.WARNING)  # import chatter from statsmodels
    ex = executor or local_executor()
    vids = _charge_vehicles(wh, vehicles)
    soc_path = load_catalog().path("soc_bms_pct")
    n_sessions = n_flex = n_skipped = n_charges = 0
    inlet = model_inlet_fits(wh)
    models = {
        r[0]: (r[1], r[2])
        for r in wh.execute("SELECT vehicle_id, make, model FROM vehicles").fetchall()
    }
    digests = {v: _inlet_digest(inlet, *models.get(v, (None, None))) for v in vids}
    if changed is not None:
        saved = load_states(wh, "charging", vids)
        todo = set(changed)
        vids = [v for v in vids if v in todo or (saved.get(v) or {}).get("inlet") != digests[v]]

    def inputs() -> Iterator[tuple[Any, pl.DataFrame]]:
        for vid in vids:
            yield load_vehicle_inputs(wh, vid, inlet), _soc_bands(wh, vid, soc_path)

    results = ex.map(charging_for_vehicle, inputs())
    for vid, (n_read, cs, stress, env, skipped) in zip(vids, results, strict=True):
        n_charges += n_read
        n_sessions += replace_vehicle_rows(
            wh, "charging_sessions", [vid], _fit(wh, "charging_sessions", cs)
        )
        replace_vehicle_rows(wh, "charging_stress", [vid], _fit(wh, "charging_stress", stress))
        n_skipped += skipped
        n_flex += replace_vehicle_rows(
            wh, "charging_flexibility", [vid], _fit(wh, "charging_flexibility", env)
        )
    save_states(wh, "charging", {v: {"inlet": digests[v]} for v in vids})
    summary: dict[str, Any] = {
        "vehicles": len(vids),
        "charge_sessions_read": n_charges,
        "charging_sessions": n_sessions,
        "flexibility_hours": n_flex,
        "sessions_without_energy_or_power": n_skipped,
    }
    summary.update(_fleet_tables(wh))
    record_run(
        wh,
        "charging",
        started,
        parameters={
            "vehicles": list(vehicles) if vehicles else None,
            "executor": str(ex),
        },
        vehicles=len(vids),
        rows_written=n_sessions,
        message=", ".join(f"{k}={v}" for k, v in summary.items()),
    )
    return summary
