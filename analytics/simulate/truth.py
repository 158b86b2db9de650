"""Ground-truth frames of a simulated fleet: vehicles, vehicle-days, sessions, metadata."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from analytics.simulate.behaviour import LOCATIONS
from analytics.simulate.engine import CHARGE, DRIVE, VehicleRun

__all__ = ["metadata_frame", "sessions_frame", "vehicle_days_frame", "vehicles_frame"]

_KIND = np.array(["drive", "charge", "park"])
_CTYPE = np.array([None, "AC", "DC"], dtype=object)


def _dt(seconds: np.ndarray) -> pl.Series:
    return pl.Series((np.asarray(seconds) * 1e6).astype(np.int64)).cast(pl.Datetime("us", "UTC"))


def vehicles_frame(runs: list[VehicleRun]) -> pl.DataFrame:
    """One row per vehicle: model, chemistry, climate, archetypes, capacities, hidden spread."""
    rows = []
    for r in runs:
        s, m, p = r.spec, r.spec.model, r.spec.profile
        rows.append(
            {
                "vehicle_id": s.vehicle_id,
                "make": m.make,
                "model": m.model,
                "model_year": m.model_year,
                "chemistry": m.chemistry,
                "layout": m.layout,
                "climate": s.climate,
                "usage_archetype": p.usage,
                "charging_archetype": p.charging,
                "nominal_capacity_ah": m.nominal_capacity_ah,
                "nominal_capacity_kwh": m.nominal_capacity_kwh,
                "initial_capacity_ah": s.initial_capacity_ah,
                "has_knee": s.has_knee,
                "nominal_voltage_v": m.nominal_voltage_v,
                "cells_series": m.cells_series,
                "cells_parallel": m.cells_parallel,
                "home_charger_kw": p.home_charger_kw,
                "charge_limit_pct": p.charge_limit_pct,
                "calendar_ageing_multiplier": s.cal_multiplier,
                "cycle_ageing_multiplier": s.cyc_multiplier,
                "r0_mohm_new": 1000.0 * s.pack.r0_ohm,
                "r1_mohm_new": 1000.0 * s.pack.r1_ohm,
                "bms_current_gain": s.bms.current_gain,
                "bms_current_offset_a": s.bms.current_offset_a,
                "bms_soh_bias_pct": s.bms.soh_bias_pct if m.bms_reports_soh else None,
                "bms_reports_soh": m.bms_reports_soh,
                "home_latitude_deg": s.home_lat_lon[0],
                "home_longitude_deg": s.home_lat_lon[1],
                "seed": s.seed,
            }
        )
    return pl.DataFrame(rows)


def vehicle_days_frame(runs: list[VehicleRun]) -> pl.DataFrame:
    """One row per vehicle and day: the state at the end of that day (UTC)."""
    frames = []
    for r in runs:
        d = r.daily
        n = d["day"].size
        frame = pl.DataFrame({k: v for k, v in d.items() if k not in ("day", "q_bms_ah")})
        frames.append(
            frame.with_columns(
                pl.lit(r.spec.vehicle_id).alias("vehicle_id"),
                pl.Series("date", [r.start + timedelta(days=int(k)) for k in d["day"]]),
                pl.Series("bms_capacity_ah", d["q_bms_ah"]),
            ).head(n)
        )
    out = pl.concat(frames)
    first = [
        "vehicle_id",
        "date",
        "capacity_ah",
        "capacity_soh_pct",
        "energy_soh_pct",
        "resistance_mohm",
        "resistance_growth_pct",
        "efc",
        "odometer_km",
    ]
    return out.select(first + [c for c in out.columns if c not in first])


def sessions_frame(runs: list[VehicleRun]) -> pl.DataFrame:
    """One row per true session; energies are pack-side (terminal) unless named otherwise."""
    frames = []
    for r in runs:
        ev = r.events
        kind = ev["kind"].astype(np.int64)
        vid = r.spec.vehicle_id
        names = _KIND[kind]
        start = ev["start_s"]
        charge = kind == CHARGE
        sid = [f"{vid}/{k}/{int(t)}" for k, t in zip(names, start, strict=True)]
        ctype = _CTYPE[ev["charge_type"].astype(np.int64)]
        frames.append(
            pl.DataFrame(
                {
                    "vehicle_id": [vid] * kind.size,
                    "session_id": sid,
                    "kind": names,
                    "start_ts": _dt(start),
                    "end_ts": _dt(ev["end_s"]),
                    "energy_kwh": np.abs(ev["terminal_kwh"]),
                    "grid_energy_kwh": np.where(charge, ev["grid_kwh"], np.nan),
                    "soc_start_pct": ev["soc_start"],
                    "soc_end_pct": ev["soc_end"],
                    "charge_type": pl.Series(ctype.tolist(), dtype=pl.String),
                    "power_kw": np.where(charge, ev["charger_kw"], np.nan),
                    "location": np.array(LOCATIONS)[ev["location"].astype(np.int64)],
                    "charging_archetype": [r.spec.profile.charging] * kind.size,
                    "plug_in_ts": _dt(np.where(charge, ev["plug_in_s"], 0.0)),
                    "plug_out_ts": _dt(np.where(charge, ev["plug_out_s"], 0.0)),
                    "target_soc_pct": np.where(charge, ev["target_soc"], np.nan),
                    "charge_ah": np.where(kind == CHARGE, -ev["ah"], 0.0),
                    "discharge_ah": np.where(kind != CHARGE, ev["ah"], 0.0),
                    "stored_energy_kwh": ev["chem_kwh"],
                    "loss_kwh": ev["loss_kwh"],
                    "traction_kwh": np.where(kind == DRIVE, ev["traction_kwh"], np.nan),
                    "aux_kwh": ev["aux_kwh"],
                    "distance_km": ev["distance_km"],
                    "odometer_start_km": ev["odo_start"],
                    "battery_temp_start_c": ev["temp_start"],
                    "battery_temp_end_c": ev["temp_end"],
                    "ambient_temp_c": ev["ambient_c"],
                    "peak_power_kw": ev["peak_kw"],
                    "capacity_ah": ev["cap_ah"],
                    "bms_soc_error_start_pct": ev["bms_err_start"],
                    "bms_soc_error_end_pct": ev["bms_err_end"],
                }
            ).with_columns(
                pl.when(pl.col("kind") == "charge").then(pl.col(c)).otherwise(None).alias(c)
                for c in ("plug_in_ts", "plug_out_ts")
            )
        )
    return pl.concat(frames)


def metadata_frame(runs: list[VehicleRun]) -> pl.DataFrame:
    """Vehicle metadata (required header set first, then optional fields)."""
    rows = []
    for r in runs:
        s, m = r.spec, r.spec.model
        rows.append(
            {
                "vehicle_id": s.vehicle_id,
                "make": m.make,
                "model": m.model,
                "model_year": m.model_year,
                "chemistry": m.chemistry,
                "nominal_capacity_kwh": m.nominal_capacity_kwh,
                "nominal_capacity_ah": m.nominal_capacity_ah,
                "nominal_voltage_v": round(m.nominal_voltage_v, 1),
                "vin": f"SIMVIN{s.index + 1:011d}",
                "usable_capacity_kwh": round(m.nominal_capacity_kwh * 0.96, 1),
                "cells_series": m.cells_series,
                "cells_parallel": m.cells_parallel,
                "curb_weight_kg": m.curb_mass_kg,
                "first_registration_date": r.start,
                "warranty_years": m.warranty_years,
                "warranty_km": m.warranty_km,
                "warranty_soh_pct": m.warranty_soh_pct,
                "price_new_eur": m.price_new_eur,
            }
        )
    return pl.DataFrame(rows)
