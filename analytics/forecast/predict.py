"""Forecast paths with prediction intervals, by Monte Carlo over parameters and process noise.

For each vehicle: draw the ageing parameters from their posterior (``SoH0, A, B``; A and B
truncated at zero so no draw makes a pack heal), push the extrapolated usage of
:mod:`analytics.forecast.scenarios` through the model month by month, and add a random walk
with the fleet's process variance (what the smooth model cannot foresee, e.g. a knee). Each
path is non-increasing (capacity is not regained), so no quantile rises above today's. The
5/50/95 % quantiles give ``soh_low_pct / soh_pct / soh_high_pct`` (a 90 % interval, as in the
``soh`` table).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

from analytics.forecast.design import DAYS_PER_YEAR, calendar_increments
from analytics.forecast.fit import VehicleFit
from analytics.forecast.knee import knee_forecast_basis
from analytics.forecast.models import ExtrapolationWarning, cycle_stress
from analytics.forecast.scenarios import Scenario, UsageProfile

__all__ = [
    "DEFAULT_DRAWS",
    "ForecastPaths",
    "default_horizon_months",
    "forecast_frame",
    "simulate_paths",
]

DEFAULT_DRAWS = 600
MONTH_DAYS = DAYS_PER_YEAR / 12.0


@dataclass
class ForecastPaths:
    vehicle_id: str
    scenario: str
    model: str
    dates: np.ndarray  # datetime64[D], index 0 = last day of data
    age_years: np.ndarray
    odometer_km: np.ndarray
    efc: np.ndarray
    soh: np.ndarray  # (draws, steps)
    extrapolated: np.ndarray  # (steps,) bool
    horizon_steps: int  # rows of the published forecast (the rest serve milestones)


def default_horizon_months(age_years_now: float) -> int:
    """Until the vehicle is 10 years old, but at least 24 months ahead."""
    return int(max(24, np.ceil((10.0 - age_years_now) * 12.0)))


def simulate_paths(
    vf: VehicleFit,
    profile: UsageProfile,
    scenario: Scenario,
    *,
    horizon_months: int,
    extend_to_age_years: float = 15.0,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
) -> ForecastPaths:
    """Monthly SoH draws from the last day of data to the horizon (and on to milestones)."""
    h, spec = vf.history, vf.spec
    p = profile.apply(scenario, h.nominal_kwh)
    age0 = float(h.age_days[-1]) / DAYS_PER_YEAR if h.n_days else 0.0
    steps = int(max(horizon_months, np.ceil((extend_to_age_years - age0) * 12.0)))
    k = np.arange(steps + 1)
    day_off = np.round(k * MONTH_DAYS).astype(int)
    dates = h.dates[-1] + day_off.astype("timedelta64[D]")
    mid = dates[:-1] + (np.diff(day_off) // 2).astype("timedelta64[D]")
    moy = (mid.astype("datetime64[M]").astype(int) % 12).astype(int)
    ndays = np.diff(day_off).astype(float)

    cal_rate = calendar_increments(spec, p.exposure, vf.z_cal, p.temp_shift_c)  # per day, by month
    cal_rate = np.where(np.isfinite(cal_rate), cal_rate, 1.0 / DAYS_PER_YEAR)
    cyc_rate = cycle_stress(spec, p.cycle_temp_c, p.dod_frac, p.c_rate) ** (1.0 / vf.z_cyc)
    cyc_rate = cyc_rate * p.efc_per_day / 100.0
    s_cal = vf.s_cal_end + np.concatenate([[0.0], np.cumsum(ndays * cal_rate[moy])])
    s_cyc = vf.s_cyc_end + np.concatenate([[0.0], np.cumsum(ndays * cyc_rate[moy])])
    odo0 = (
        h.odometer_km[np.isfinite(h.odometer_km)][-1]
        if np.isfinite(h.odometer_km).any()
        else h.pre_km
    )
    odo = odo0 + np.concatenate([[0.0], np.cumsum(ndays * p.km_per_day[moy])])
    efc = float(np.sum(h.efc_day)) + np.concatenate([[0.0], np.cumsum(ndays * p.efc_per_day[moy])])
    age = age0 + day_off / DAYS_PER_YEAR

    rng = np.random.default_rng(seed)
    beta = rng.multivariate_normal(vf.mean, vf.cov, size=draws, method="cholesky")
    beta[:, 1:] = np.maximum(beta[:, 1:], 0.0)
    curve = (
        beta[:, :1]
        - beta[:, 1:2] * s_cal[None] ** vf.z_cal
        - beta[:, 2:3] * s_cyc[None] ** vf.z_cyc
    )
    if vf.knee is not None:
        k_draw = np.maximum(rng.normal(vf.knee.coef, vf.knee.coef_sd, size=draws), 0.0)
        curve = (
            curve
            - k_draw[:, None] * knee_forecast_basis(h.n_days - 1, day_off, vf.knee.onset_day)[None]
        )
    steps_sd = np.sqrt(vf.process_var * ndays / DAYS_PER_YEAR)
    walk = np.concatenate(
        [np.zeros((draws, 1)), np.cumsum(rng.standard_normal((draws, steps)) * steps_sd, axis=1)],
        axis=1,
    )
    # a pack does not regain capacity: where a draw's drift would lift it above its own
    # earlier value, it stays there (running minimum; each path is non-increasing)
    path = np.minimum.accumulate(curve + walk, axis=1)
    # the level today is only as certain as the SoH estimate says (an offset per draw)
    level = rng.normal(0.0, np.sqrt(vf.level_var), size=(draws, 1)) if vf.level_var > 0 else 0.0
    soh = np.maximum(path + level, 0.0)  # a knee continued for years cannot pass empty
    extrap = (age > spec.valid_age_years_max) | (efc > spec.valid_efc_max)
    extrap |= np.median(soh, axis=0) < spec.valid_soh_min_pct
    if extrap[: horizon_months + 1].any():
        warnings.warn(
            f"{vf.vehicle_id}: forecast beyond the valid range of {spec.name} "
            f"(age <= {spec.valid_age_years_max:.0f} years, <= {spec.valid_efc_max:.0f} EFC, "
            f"SoH >= {spec.valid_soh_min_pct:.0f} %) from {dates[int(np.argmax(extrap))]}; "
            "those rows are marked extrapolated",
            ExtrapolationWarning,
            stacklevel=2,
        )
    return ForecastPaths(
        vf.vehicle_id,
        scenario.name,
        spec.name,
        dates,
        age,
        odo,
        efc,
        soh,
        extrap,
        horizon_steps=horizon_months + 1,
    )


def forecast_frame(fp: ForecastPaths) -> pl.DataFrame:
    """The ``forecasts`` rows of one vehicle and scenario (monthly, up to the horizon)."""
    n = fp.horizon_steps
    q = np.quantile(fp.soh[:, :n], [0.05, 0.5, 0.95], axis=0)
    return pl.DataFrame(
        {
            "vehicle_id": [fp.vehicle_id] * n,
            "date": fp.dates[:n].astype("datetime64[D]"),
            "soh_pct": q[1],
            "soh_low_pct": q[0],
            "soh_high_pct": q[2],
            "model": [fp.model] * n,
            "scenario": [fp.scenario] * n,
            "age_years": fp.age_years[:n],
            "odometer_km": fp.odometer_km[:n],
            "efc": fp.efc[:n],
            "extrapolated": fp.extrapolated[:n],
        }
    ).with_columns(pl.col("date").cast(pl.Date))
