"""Library entry points: compute features, fit the fleet, forecast baseline and what-if scenarios.

``prepare`` reads the warehouse (features, exposure, cohorts, SoH) into memory once;
``forecast_vehicles`` fits and forecasts any scenarios from it; ``write_results`` stores the
tables. :func:`analytics.forecast.stage.run_stage` chains them for the pipeline.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import polars as pl

from analytics.errors import ForecastError
from analytics.forecast.attribution import attribution_frame
from analytics.forecast.cohorts import infer_cohorts
from analytics.forecast.design import VehicleHistory, build_histories
from analytics.forecast.features import daily_exposure, daily_features, vehicle_meta
from analytics.forecast.fit import FleetFit, fit_fleet
from analytics.forecast.milestones import milestone_frame
from analytics.forecast.models import ExtrapolationWarning
from analytics.forecast.predict import (
    default_horizon_months,
    forecast_frame,
    simulate_paths,
)
from analytics.forecast.scenarios import SCENARIOS, Scenario, usage_profile
from analytics.forecast.thresholds import thresholds_for
from analytics.warehouse.db import Warehouse

__all__ = ["FleetData", "ForecastResult", "forecast_vehicles", "prepare", "read_soh"]

BATCH = 50  # vehicles per feature query (bounded memory on large fleets)


@dataclass
class FleetData:
    features: pl.DataFrame
    exposure: pl.DataFrame
    meta: pl.DataFrame
    cohorts: pl.DataFrame
    soh: pl.DataFrame
    histories: dict[str, VehicleHistory]


@dataclass
class ForecastResult:
    fit: FleetFit
    forecasts: pl.DataFrame
    milestones: pl.DataFrame
    fits: pl.DataFrame
    attribution: pl.DataFrame
    warnings: list[str] = field(default_factory=list)


def read_soh(wh: Warehouse, vehicle_ids: Sequence[str]) -> pl.DataFrame:
    """The ``soh`` rows of ``vehicle_ids`` (empty when the SoH stage has not run)."""
    if "soh" not in wh.table_names():
        return pl.DataFrame(
            schema={
                "vehicle_id": pl.String,
                "date": pl.Date,
                "soh_pct": pl.Float64,
                "soh_low_pct": pl.Float64,
                "soh_high_pct": pl.Float64,
            }
        )
    return wh.sql(
        "SELECT vehicle_id, CAST(date AS DATE) AS date, soh_pct, soh_low_pct, soh_high_pct FROM soh "
        "WHERE list_contains($vids, vehicle_id) AND soh_pct IS NOT NULL ORDER BY vehicle_id, date",
        {"vids": list(vehicle_ids)},
    )


def prepare(wh: Warehouse, vehicle_ids: Sequence[str]) -> FleetData:
    """Features, exposure, cohorts and SoH of ``vehicle_ids`` from the warehouse."""
    feats, exps = [], []
    for i in range(0, len(vehicle_ids), BATCH):
        chunk = list(vehicle_ids[i : i + BATCH])
        feats.append(daily_features(wh, chunk))
        exps.append(daily_exposure(wh, chunk))
    features = pl.concat([f for f in feats if f.height], how="vertical_relaxed")
    exposure = (
        pl.concat([e for e in exps if e.height], how="vertical_relaxed")
        if any(e.height for e in exps)
        else exps[0]
    )
    meta = vehicle_meta(wh, vehicle_ids)
    cohorts = infer_cohorts(features, meta)
    return FleetData(
        features,
        exposure,
        meta,
        cohorts,
        read_soh(wh, vehicle_ids),
        build_histories(features, exposure, meta),
    )


def _cohort_temps(data: FleetData) -> dict[str, np.ndarray]:
    t = (
        data.features.join(data.cohorts.select("vehicle_id", "cohort"), on="vehicle_id")
        .group_by("cohort", pl.col("date").dt.month().alias("m"))
        .agg(pl.col("battery_temp_mean_c").mean())
    )
    out: dict[str, np.ndarray] = {}
    for r in t.iter_rows(named=True):
        if r["battery_temp_mean_c"] is not None:
            out.setdefault(r["cohort"], np.full(12, np.nan))[r["m"] - 1] = r["battery_temp_mean_c"]
    return out


def _fits_frame(ff: FleetFit) -> pl.DataFrame:
    now = datetime.now(UTC)
    rows = []
    for vid, vf in ff.vehicles.items():
        sd = np.sqrt(np.diag(vf.cov))
        rows.append(
            {
                "vehicle_id": vid,
                "model": vf.spec.name,
                "cohort": vf.cohort,
                "soh0_pct": vf.mean[0],
                "soh0_sd": sd[0],
                "calendar_coef": vf.mean[1],
                "calendar_coef_sd": sd[1],
                "cycle_coef": vf.mean[2],
                "cycle_coef_sd": sd[2],
                "cycle_exponent": vf.z_cyc,
                "data_weight": vf.data_weight,
                "n_observations": vf.n_obs,
                "span_days": vf.span_days,
                "residual_sd_pct": vf.sigma_r,
                "process_sd_pct_per_sqrt_year": float(np.sqrt(vf.process_var)),
                "last_soh_date": vf.last_soh_date,
                "last_soh_pct": vf.last_soh_pct,
                "flags": ",".join(vf.flags) or None,
                "message": vf.message,
                "fitted_at": now,
            }
        )
    return pl.DataFrame(rows)


def forecast_vehicles(
    data: FleetData,
    *,
    vehicle_ids: Sequence[str] | None = None,
    scenarios: Sequence[Scenario] = (SCENARIOS["baseline"],),
    horizon_months: int | None = None,
    fleet_fit: FleetFit | None = None,
    draws: int = 600,
) -> ForecastResult:
    """Fit (unless ``fleet_fit`` is given) and forecast ``scenarios`` for ``vehicle_ids``."""
    if not data.histories:
        raise ForecastError("no vehicle has degradation features; ingest telemetry first")
    cohort_of = dict(data.cohorts.select("vehicle_id", "cohort").iter_rows())
    ff = fleet_fit or fit_fleet(data.histories, data.soh, cohort_of)
    temps = _cohort_temps(data)
    meta = {r["vehicle_id"]: r for r in data.meta.iter_rows(named=True)}
    fc, ms, notes = [], [], []
    for vid in vehicle_ids or list(ff.vehicles):
        vf = ff.vehicles.get(vid)
        if vf is None:
            notes.append(f"{vid}: no degradation features; skipped")
            continue
        prof = usage_profile(vf.history, temps.get(vf.cohort))
        age_now = float(vf.history.age_days[-1]) / 365.25
        horizon = horizon_months or default_horizon_months(age_now)
        m = meta.get(vid, {})
        ths = thresholds_for(
            m.get("make"),
            m.get("model"),
            warranty_years=m.get("warranty_years"),
            warranty_km=m.get("warranty_km"),
            warranty_soh_pct=m.get("warranty_soh_pct"),
        )
        for sc in scenarios:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ExtrapolationWarning)
                fp = simulate_paths(
                    vf,
                    prof,
                    sc,
                    horizon_months=horizon,
                    draws=draws,
                    seed=zlib.crc32(f"{vid}/{sc.name}".encode()),
                )
            notes += [
                str(w.message) for w in caught if issubclass(w.category, ExtrapolationWarning)
            ]
            fc.append(forecast_frame(fp))
            ms.append(milestone_frame(fp, ths))
    fits = _fits_frame(ff)
    att = attribution_frame(ff.vehicles, data.cohorts)
    return ForecastResult(
        ff,
        pl.concat(fc) if fc else pl.DataFrame(),
        pl.concat(ms) if ms else pl.DataFrame(),
        fits,
        att,
        notes,
    )
