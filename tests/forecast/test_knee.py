"""Knee detection: accelerated fade is found where it exists and not invented where it does not."""

from __future__ import annotations

import numpy as np
import polars as pl

from analytics.forecast.fit import fit_fleet
from analytics.forecast.knee import detect_knee, knee_basis
from analytics.forecast.predict import forecast_frame, simulate_paths
from analytics.forecast.scenarios import SCENARIOS, usage_profile
from analytics.forecast.synthetic import SyntheticVehicle, synthetic_history, synthetic_soh


def test_detect_knee_on_residuals():
    rng = np.random.default_rng(3)
    t = np.arange(0.0, 730.0, 7.0)
    w = np.full(t.size, 1 / 0.3**2)
    flat = rng.normal(0, 0.3, t.size)
    assert detect_knee(t, flat, w) is None
    bent = flat - 8.0 * knee_basis(t, 450.0)
    k = detect_knee(t, bent, w)
    assert k is not None and abs(k.onset_day - 450) < 60 and k.coef > 4


def test_knee_vehicle_is_flagged_and_forecast_keeps_falling():
    hist, frames = {}, []
    for i in range(8):
        v = SyntheticVehicle(f"k{i}", days=730, km_per_day=30 + 10 * i, temp_mean_c=12 + i)
        h = synthetic_history(v, seed=i)
        f, _ = synthetic_soh(h, 100.0, 2.0, 1.0, z_cal=0.75, noise_sd_pct=0.3, seed=i)
        if i == 0:  # accelerated fade from day 450 on
            extra = 10.0 * knee_basis(np.arange(730.0), 450.0)
            f = f.with_columns(
                pl.col(c) - extra for c in ("soh_pct", "soh_low_pct", "soh_high_pct")
            )
        hist[v.vehicle_id] = h
        frames.append(f)
    ff = fit_fleet(hist, pl.concat(frames), dict.fromkeys(hist, "all"))
    assert "knee" in ff.vehicles["k0"].flags and "knee" in ff.vehicles["k0"].message
    assert all("knee" not in ff.vehicles[f"k{i}"].flags for i in range(1, 8))
    vf = ff.vehicles["k0"]
    f = forecast_frame(
        simulate_paths(vf, usage_profile(vf.history), SCENARIOS["baseline"], horizon_months=12)
    )
    slope_per_year = float(f["soh_pct"][0] - f["soh_pct"][-1])
    # the knee adds 2 * 10 * u per year at u = 280 / 365 years past onset (~15 points/year)
    assert slope_per_year > 10
