"""A plausible warehouse of derived tables, generated directly (no raw telemetry).

Used by the report tests, the report speed benchmark and app tests, where running the whole
pipeline for hundreds of vehicles would take too long. Rows follow the column contracts of
the sessions, SoH, forecast and charging tables; values follow simple, documented ageing and
usage laws (square-root calendar fade plus linear cycle fade), with noise. It is test data,
not a model of any real fleet.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl

from analytics.warehouse.db import Warehouse

__all__ = ["MODELS", "populate"]

MODELS = (
    ("Volta", "City 40", "NMC", 42.0, 39.0, 120.0, 32000.0),
    ("Volta", "Tourer 77", "NMC", 82.0, 77.0, 200.0, 48000.0),
    ("Ampere", "Box 60", "LFP", 62.0, 60.0, 170.0, 38000.0),
)
T0 = datetime(2023, 1, 1, tzinfo=UTC)
CELL_MIN = "Vehicle.Powertrain.TractionBattery.CellVoltage.Min"
CELL_MAX = "Vehicle.Powertrain.TractionBattery.CellVoltage.Max"
ODOMETER = "Vehicle.TraveledDistance"


def _insert(wh: Warehouse, table: str, frame: pl.DataFrame) -> None:
    if frame.height == 0:
        return
    wh.con.register("_syn", frame.to_arrow())
    try:
        wh.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _syn")
    finally:
        wh.con.unregister("_syn")


def _vehicle(
    i: int, days: int, rng: np.random.Generator, start: date, with_signals: bool
) -> dict[str, pl.DataFrame]:
    vid = f"V{i:04d}"
    make, model, chem, nom_kwh, use_kwh, nom_ah, price = MODELS[i % len(MODELS)]
    reg = start - timedelta(days=int(rng.integers(0, 900)))
    km_day = float(rng.uniform(15, 80))
    dc = float(rng.uniform(0.0, 0.6))
    t_days = np.arange(days)
    dates = [start + timedelta(days=int(d)) for d in t_days]
    age_y = (np.array([(d - reg).days for d in dates]) + 1) / 365.25
    odo = np.cumsum(rng.gamma(2.0, km_day / 2.0, days))
    cal = rng.uniform(1.6, 2.6) * np.sqrt(age_y)
    cyc = (0.8 + 2.0 * dc) * (odo + km_day * (start - reg).days) / 100000.0 * rng.uniform(2.0, 3.5)
    true = 100.0 - cal - cyc
    n_obs = np.cumsum(rng.random(days) < 0.2)
    half = 1.2 + 5.0 / np.sqrt(1.0 + n_obs)
    fused = true + rng.normal(0, 0.25, days)
    energy = fused - 0.6
    soh = pl.DataFrame(
        {
            "vehicle_id": vid,
            "date": dates,
            "soh_pct": fused,
            "soh_low_pct": fused - half,
            "soh_high_pct": fused + half,
            "energy_soh_pct": energy,
            "energy_soh_low_pct": energy - half * 1.1,
            "energy_soh_high_pct": energy + half * 1.1,
            "resistance_growth_pct": (100 - true) * 1.5,
            "method": "fused(charge_counting,ocv,bms_capacity)",
            "n_observations": np.diff(np.concatenate([[0], n_obs])).astype(np.int32),
            "n_observations_total": n_obs.astype(np.int32),
            "reference": "nominal",
            "reference_temp_c": 25.0,
            "capacity_ah": nom_ah * fused / 100,
        }
    )
    obs_days = np.flatnonzero(np.diff(np.concatenate([[0], n_obs])) > 0)
    methods = np.array(["charge_counting", "ocv", "bms_capacity"])[
        rng.integers(0, 3, obs_days.size)
    ]
    sig = np.where(methods == "bms_capacity", 1.5, 0.9)
    obs = pl.DataFrame(
        {
            "vehicle_id": vid,
            "session_id": [f"{vid}/charge/{int(d)}" for d in obs_days],
            "ts": [
                T0 + timedelta(days=int((dates[d] - T0.date()).days), hours=6) for d in obs_days
            ],
            "date": [dates[d] for d in obs_days],
            "method": methods,
            "quantity": "capacity_ah",
            "value": nom_ah * (true[obs_days] + rng.normal(0, sig)) / 100,
            "sigma": nom_ah * sig / 100,
            "soh_pct": true[obs_days] + rng.normal(0, sig),
            "soh_sigma_pct": sig,
            "kept": True,
            "reason": "ok",
        }
    )
    # sessions: one drive a day, a charge every ~3 days
    amb = 12 + 10 * np.sin(2 * np.pi * (t_days - 100) / 365.25) + rng.normal(0, 3, days)
    dist = np.diff(np.concatenate([[0.0], odo]))
    day_ts = [T0 + timedelta(days=(d - T0.date()).days) for d in dates]
    drive_start = [t + timedelta(hours=8) for t in day_ts]
    cons = 0.15 + 0.004 * np.abs(amb - 20)
    drives = pl.DataFrame(
        {
            "vehicle_id": vid,
            "session_id": [f"{vid}/drive/{int(t.timestamp())}" for t in drive_start],
            "kind": "drive",
            "start_ts": drive_start,
            "end_ts": [t + timedelta(hours=1) for t in drive_start],
            "duration_s": 3600.0,
            "energy_out_kwh": dist * cons * 1.1,
            "energy_in_kwh": dist * cons * 0.1,
            "distance_km": dist,
            "odometer_start_km": odo - dist,
            "odometer_end_km": odo,
            "ambient_temp_c": amb,
            "battery_temp_mean_c": amb + 8,
            "battery_temp_min_c": amb + 3,
            "battery_temp_max_c": amb + 15,
        }
    )
    cdays = t_days[::3]
    is_dc = rng.random(cdays.size) < dc
    plug_in = [day_ts[d] + timedelta(hours=18, minutes=int(rng.integers(0, 90))) for d in cdays]
    plug_out = [p + timedelta(hours=12) for p in plug_in]
    power = np.where(is_dc, 50.0, 7.4)
    kwh = np.minimum(dist[cdays] * 3 * cons[cdays] + 2, power * 10)
    dur_h = kwh / power
    charges = pl.DataFrame(
        {
            "vehicle_id": vid,
            "session_id": [f"{vid}/charge/{int(p.timestamp())}" for p in plug_in],
            "kind": "charge",
            "start_ts": plug_in,
            "end_ts": [p + timedelta(hours=float(h)) for p, h in zip(plug_in, dur_h, strict=True)],
            "duration_s": dur_h * 3600,
            "energy_in_kwh": kwh,
            "energy_out_kwh": 0.0,
            "distance_km": 0.0,
            "odometer_start_km": odo[cdays],
            "odometer_end_km": odo[cdays],
            "ambient_temp_c": amb[cdays],
            "battery_temp_mean_c": amb[cdays] + 10,
            "battery_temp_min_c": amb[cdays] + 5,
            "battery_temp_max_c": amb[cdays] + 18,
            "charge_type": np.where(is_dc, "DC", "AC"),
            "power_level_kw": power,
            "soc_start_pct": 40.0,
            "soc_end_pct": 80.0,
            "latitude": 52.5,
            "longitude": 13.4,
        }
    )
    sessions = pl.concat([drives, charges], how="diagonal_relaxed")
    cs = charges.select(
        "vehicle_id",
        "session_id",
        pl.col("start_ts").alias("plug_in_ts"),
        pl.col("start_ts").alias("charge_start_ts"),
        pl.col("end_ts").alias("charge_end_ts"),
        pl.col("energy_in_kwh").alias("pack_energy_kwh"),
        (pl.col("energy_in_kwh") / 0.9).alias("grid_energy_kwh"),
        "charge_type",
        "power_level_kw",
        pl.col("power_level_kw").alias("max_power_kw"),
        pl.lit(40.0).alias("soc_in_pct"),
        pl.lit(80.0).alias("soc_out_pct"),
        pl.lit(1.0).alias("utc_offset_h"),
        pl.when(pl.col("charge_type") == "DC")
        .then(pl.lit("public"))
        .otherwise(pl.lit("home"))
        .alias("location"),
        pl.when(pl.col("charge_type") == "DC")
        .then(pl.lit("dc_fast"))
        .otherwise(pl.lit("overnight_home"))
        .alias("session_type"),
    ).with_columns(plug_out_ts=pl.Series(plug_out))
    hours = []
    for p, e, pw in zip(plug_in, cs["grid_energy_kwh"].to_list(), power.tolist(), strict=True):
        h0 = p.replace(minute=0)
        need = e
        for k in range(12):
            take = min(pw, need)
            hours.append(
                (h0 + timedelta(hours=k), 1.0, need, take, pw, 0.0 if k < 11 else take, take)
            )
            need -= take
    flex = pl.DataFrame(
        hours,
        schema=[
            "hour_ts",
            "plugged_in_h",
            "energy_needed_kwh",
            "baseline_kwh",
            "max_kwh",
            "min_kwh",
            "shiftable_kwh",
        ],
        orient="row",
    ).with_columns(vehicle_id=pl.lit(vid))
    score = float(np.clip(90 - 60 * dc + rng.normal(0, 5), 0, 100))
    stress = pl.DataFrame(
        {
            "vehicle_id": vid,
            "period": "all",
            "period_start": dates[0],
            "period_end": dates[-1],
            "charge_sessions": cdays.size,
            "dc_energy_share": dc,
            "share_time_above_90_pct": 0.05,
            "share_time_below_10_pct": 0.01,
            "hot_charge_energy_share": 0.02,
            "cold_charge_energy_share": 0.03,
            "p90_dod_pct": 55.0,
            "penalty_dc": 60 * dc,
            "penalty_high_soc": 2.0,
            "penalty_low_soc": 0.5,
            "penalty_hot": 1.0,
            "penalty_cold": 1.0,
            "penalty_dod": 2.0,
            "treatment_score": score,
            "main_driver": "dc_fast_charging" if dc > 0.2 else "high_soc",
            "method": "synthetic",
        }
    )
    profiles = pl.DataFrame(
        {
            "vehicle_id": [vid],
            "archetype": ["dc_road_trip" if dc > 0.4 else "overnight_home"],
            "n_sessions": [cdays.size],
            "sessions_per_week": [7 / 3],
            "dc_energy_share": [dc],
            "home_share": [1 - dc],
            "work_share": [0.0],
            "public_share": [dc],
            "stability": [0.9],
            "method": ["synthetic"],
        }
    )
    mix = (
        cs.group_by(
            pl.col("plug_in_ts").dt.date().dt.truncate("1q").alias("period_start"), "session_type"
        )
        .agg(pl.len().cast(pl.Int32).alias("sessions"))
        .with_columns(vehicle_id=pl.lit(vid))
    )
    fc_dates = [
        dates[-1] + timedelta(days=30 * k) for k in range(1, 1 + 12 * max(1, int(10 - age_y[-1])))
    ]
    fc_age = np.array([(d - reg).days for d in fc_dates]) / 365.25
    rate = (true[0] - true[-1]) / max(days / 365.25, 0.1)
    fc_soh = true[-1] - rate * (fc_age - age_y[-1])
    spread = 1.5 + 1.2 * (fc_age - age_y[-1])
    forecasts = pl.DataFrame(
        {
            "vehicle_id": vid,
            "date": fc_dates,
            "soh_pct": fc_soh,
            "soh_low_pct": fc_soh - spread,
            "soh_high_pct": fc_soh + spread,
            "model": "synthetic_linear",
            "scenario": "baseline",
            "age_years": fc_age,
            "extrapolated": False,
        }
    )
    ms = []
    for lvl in (80.0, 70.0):
        yrs = (true[-1] - lvl) / max(rate, 0.05)
        exp = dates[-1] + timedelta(days=int(yrs * 365.25))
        ms.append(
            {
                "vehicle_id": vid,
                "scenario": "baseline",
                "model": "synthetic_linear",
                "kind": "soh_level",
                "threshold_id": f"soh_{int(lvl)}",
                "soh_threshold_pct": lvl,
                "expected_date": exp,
                "date_low": exp - timedelta(days=400),
                "date_high": exp + timedelta(days=500),
                "expected_odometer_km": odo[-1] + km_day * yrs * 365.25,
                "odometer_low_km": odo[-1] + km_day * yrs * 300,
                "odometer_high_km": odo[-1] + km_day * yrs * 450,
            }
        )
    ms.append(
        {
            "vehicle_id": vid,
            "scenario": "baseline",
            "kind": "threshold",
            "threshold_id": "gtr22_80",
            "soh_threshold_pct": 80.0,
            "limit_years": 5.0,
            "limit_km": 100000.0,
            "breach_probability": float(np.clip(0.3 - 0.05 * (true[-1] - 85), 0, 1)),
            "source": "UN GTR 22",
        }
    )
    out = {
        "vehicles": pl.DataFrame(
            {
                "vehicle_id": [vid],
                "vin": [f"WVWZZZ{i:011d}"],
                "make": [make],
                "model": [model],
                "model_year": [reg.year],
                "chemistry": [chem],
                "nominal_capacity_kwh": [nom_kwh],
                "nominal_capacity_ah": [nom_ah],
                "usable_capacity_kwh": [use_kwh],
                "first_registration_date": [reg],
                "warranty_years": [8.0],
                "warranty_km": [160000.0],
                "warranty_soh_pct": [70.0],
                "price_new_eur": [price],
            }
        ),
        "soh": soh,
        "soh_observations": obs,
        "sessions": sessions,
        "charging_sessions": cs,
        "charging_flexibility": flex,
        "charging_stress": stress,
        "charging_profiles": profiles,
        "charging_profile_mix": mix,
        "forecasts": forecasts,
        "milestones": pl.DataFrame(ms),
    }
    if with_signals:
        ts = [day_ts[d] + timedelta(hours=h) for d in range(days) for h in range(0, 24, 3)]
        n = len(ts)
        spread_v = 0.012 + rng.normal(0, 0.002, n)
        vmin = 3.6 + rng.normal(0, 0.05, n)
        odo_s = np.repeat(odo, 8)
        out["signals"] = pl.DataFrame(
            {
                "vehicle_id": vid,
                "ts": ts * 3,
                "signal": [CELL_MIN] * n + [CELL_MAX] * n + [ODOMETER] * n,
                "value": np.concatenate([vmin, vmin + spread_v, odo_s]),
                "source_id": i + 1,
            }
        )
        out["sources"] = pl.DataFrame(
            {
                "source_id": [i + 1],
                "path": [f"exports/long/{vid}.parquet"],
                "sha256": [f"{i:064x}"],
                "format": ["long_parquet"],
                "vehicle_id": [vid],
                "rows_written": [3 * n],
                "status": ["ok"],
            }
        )
    return out


def populate(
    wh: Warehouse,
    vehicles: int = 20,
    days: int = 365,
    *,
    seed: int = 0,
    start: date = date(2023, 1, 1),
    with_signals: bool = True,
    short: dict[str, int] | None = None,
) -> list[str]:
    """Fill the derived tables for ``vehicles`` synthetic vehicles; ``short`` maps index -> days."""
    rng = np.random.default_rng(seed)
    frames: dict[str, list[pl.DataFrame]] = {}
    ids = []
    for i in range(vehicles):
        n = (short or {}).get(i, days)
        for table, frame in _vehicle(i, n, rng, start, with_signals).items():
            frames.setdefault(table, []).append(frame)
        ids.append(f"V{i:04d}")
    with wh.transaction():
        for table, parts in frames.items():
            _insert(wh, table, pl.concat(parts, how="diagonal_relaxed"))
        wh.con.execute(
            "INSERT INTO pipeline_runs VALUES ('soh', TIMESTAMPTZ '2024-01-02 00:00:00+00', NULL, 'synthetic', "
            '\'{"method": "fused", "reference_temp_c": 25}\', ?, NULL, \'ok\', NULL)',
            [vehicles],
        )
    return ids
