"""Attribution of each vehicle's loss so far: calendar vs cycling, and heat, high SoC and fast
charging relative to its peers.

Calendar and cycle loss are the two fitted terms ``A * X_cal`` and ``B * X_cyc`` at the last
day of data. The excess due to a stressor is a counterfactual with the same fitted A, B: the
vehicle's history re-run with that stressor set to its cohort's median level, keeping
everything else (positive = the vehicle lost more than a cohort peer would have):

- heat: the pack temperature of every hour at or above 25 °C lowered by the vehicle's excess of
  mean temperature over the peer median (the Arrhenius terms of calendar and cycle ageing);
- high SoC: time above 80 % SoC moved to 75 % in proportion to the vehicle's excess time above
  80 % over the cohort median (calendar SoC factor);
- fast charging: the charge C-rate of DC days replaced by an AC C-rate for the share of DC
  charging above the cohort median (cycle C-rate factor).

Peers are the vehicles of the same model and chemistry (climate and usage bands are left out:
they are what is being compared). A vehicle at or below the peer median gets 0 for that
stressor.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl

from analytics.forecast.design import SOC_BINS_PCT, TEMP_BINS_C, VehicleHistory
from analytics.forecast.fit import VehicleFit
from analytics.forecast.scenarios import AC_C_RATE

__all__ = ["attribution_frame"]

_NT, _NS = TEMP_BINS_C.size, SOC_BINS_PCT.size


def _loss(vf: VehicleFit, h: VehicleHistory) -> tuple[float, float]:
    xc, xy, _, _ = h.cumulative(vf.spec, vf.z_cal, vf.z_cyc)
    a, b = max(vf.mean[1], 0.0), max(vf.mean[2], 0.0)
    return a * float(xc[-1]), b * float(xy[-1])


def _cooler(h: VehicleHistory, delta_c: float) -> VehicleHistory:
    if delta_c <= 0:
        return h
    e = h.exposure.reshape(h.n_days, _NT, _NS)
    shift_bins = delta_c / 5.0
    hot = TEMP_BINS_C >= 25.0
    cool = e.copy()
    lo, frac = int(np.floor(shift_bins)), shift_bins - np.floor(shift_bins)
    cool[:, hot, :] = 0.0
    for ti in np.flatnonzero(hot):
        for tgt, w in ((ti - lo, 1.0 - frac), (ti - lo - 1, frac)):
            cool[:, max(tgt, 0), :] += w * e[:, ti, :]
    cyc_t = np.where(
        h.cycle_temp_c >= 25.0, np.maximum(h.cycle_temp_c - delta_c, 25.0), h.cycle_temp_c
    )
    return replace(h, exposure=cool.reshape(h.n_days, -1), cycle_temp_c=cyc_t)


def _lower_soc(h: VehicleHistory, share: float) -> VehicleHistory:
    if share <= 0:
        return h
    e = h.exposure.reshape(h.n_days, _NT, _NS).copy()
    moved = e[:, :, 8:] * min(share, 1.0)
    e[:, :, 8:] -= moved
    e[:, :, 7] += moved.sum(axis=2)
    return replace(h, exposure=e.reshape(h.n_days, -1))


def _less_dc(h: VehicleHistory, share: float) -> VehicleHistory:
    if share <= 0:
        return h
    c = h.c_rate - np.clip(share, 0, 1) * np.maximum(h.c_rate - AC_C_RATE, 0.0)
    return replace(h, c_rate=c)


def attribution_frame(fits: dict[str, VehicleFit], cohorts: pl.DataFrame) -> pl.DataFrame:
    """One ``degradation_attribution`` row per fitted vehicle."""
    c = cohorts.with_columns(
        pl.col("battery_temp_mean_c").median().over("model", "chemistry").alias("_t_med"),
        pl.col("dc_share").fill_null(0.0).median().over("model", "chemistry").alias("_dc_med"),
    )
    hi80 = {v: float(np.mean(f.history.hours_soc_above_80)) / 24.0 for v, f in fits.items()}
    c = c.with_columns(pl.col("vehicle_id").replace_strict(hi80, default=None).alias("_hi80"))
    c = c.with_columns(pl.col("_hi80").median().over("model", "chemistry").alias("_hi80_med"))
    info = {r["vehicle_id"]: r for r in c.iter_rows(named=True)}
    rows = []
    for vid, vf in fits.items():
        h, r = vf.history, info.get(vid, {})
        cal, cyc = _loss(vf, h)
        base = cal + cyc
        dt = (r.get("battery_temp_mean_c") or 0.0) - (r.get("_t_med") or 0.0)
        d80 = (r.get("_hi80") or 0.0) - (r.get("_hi80_med") or 0.0)
        s80 = d80 / r["_hi80"] if r.get("_hi80") else 0.0
        ddc = (r.get("dc_share") or 0.0) - (r.get("_dc_med") or 0.0)
        sdc = ddc / r["dc_share"] if r.get("dc_share") else 0.0
        rows.append(
            {
                "vehicle_id": vid,
                "model": vf.spec.name,
                "cohort": vf.cohort,
                "as_of_date": h.dates[-1].astype("datetime64[D]").item(),
                "loss_pct": float(
                    base if vf.last_soh_pct is None else vf.mean[0] - vf.last_soh_pct
                ),
                "calendar_loss_pct": cal,
                "cycle_loss_pct": cyc,
                "heat_excess_pct": base - sum(_loss(vf, _cooler(h, dt))) if dt > 0 else 0.0,
                "high_soc_excess_pct": base - sum(_loss(vf, _lower_soc(h, s80)))
                if s80 > 0
                else 0.0,
                "fast_charge_excess_pct": base - sum(_loss(vf, _less_dc(h, sdc)))
                if sdc > 0
                else 0.0,
                "method": "fitted calendar/cycle terms; counterfactual at cohort-median exposure",
            }
        )
    return pl.DataFrame(rows) if rows else pl.DataFrame()
