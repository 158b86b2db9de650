"""Fleet process noise is robust to odd vehicles, and no forecast lets a pack regain capacity."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from analytics.forecast.fit import DEFAULT_PROCESS_VAR, fit_fleet
from analytics.forecast.knee import knee_basis
from analytics.forecast.models import ExtrapolationWarning
from analytics.forecast.predict import forecast_frame, simulate_paths
from analytics.forecast.scenarios import SCENARIOS, usage_profile
from analytics.forecast.synthetic import SyntheticVehicle, synthetic_history, synthetic_soh

N_HEALTHY = 10
SOH_COLS = ("soh_pct", "soh_low_pct", "soh_high_pct")


def _fleet(odd: bool):
    """Healthy vehicles from the model itself; with ``odd``: a knee and a faulty series."""
    hist, frames = {}, []
    for i in range(N_HEALTHY + 2):
        v = SyntheticVehicle(f"p{i}", days=730, km_per_day=25 + 5 * i, temp_mean_c=10 + 0.5 * i)
        h = synthetic_history(v, seed=i)
        f, _ = synthetic_soh(h, 100.0, 2.0, 1.0, z_cal=0.75, noise_sd_pct=0.3, seed=i)
        if i == N_HEALTHY:  # accelerated fade from day 300 on (20 points by the end)
            extra = 15.0 * knee_basis(np.arange(730.0), 300.0)
            f = f.with_columns(pl.col(c) - extra for c in SOH_COLS)
        elif i == N_HEALTHY + 1:  # a faulty SoH series: 3 points of extra scatter and a
            # 12 points/year slide over its last 90 days (a knee or an outlier, either way odd)
            rng = np.random.default_rng(99)
            d = np.arange(730)
            bad = np.where(d >= 580, rng.normal(0.0, 3.0, 730), 0.0)
            bad -= 12.0 * np.clip(d - 640, 0, None) / 365.25
            f = f.with_columns(pl.col(c) + bad for c in SOH_COLS)
        if i < N_HEALTHY or odd:
            hist[v.vehicle_id] = h
            frames.append(f)
    return fit_fleet(hist, pl.concat(frames), dict.fromkeys(hist, "all"))


@pytest.fixture(scope="module")
def fleets():
    return _fleet(odd=False), _fleet(odd=True)


def test_odd_vehicles_do_not_set_the_fleet_process_noise(fleets):
    healthy, mixed = fleets
    assert "knee" in mixed.vehicles[f"p{N_HEALTHY}"].flags
    # a plain pooled mean of the hold-out errors gives 3.2 points per sqrt(year) here
    assert np.sqrt(mixed.process_var) <= np.sqrt(healthy.process_var) + 0.1
    assert mixed.process_var < 4 * DEFAULT_PROCESS_VAR
    assert "excluded" in mixed.process_source


@pytest.mark.parametrize("process_var", [None, 4.0])
def test_forecast_never_rises_above_today(fleets, process_var):
    _, mixed = fleets
    for vid in ("p0", "p3", f"p{N_HEALTHY}", f"p{N_HEALTHY + 1}"):
        vf = mixed.vehicles[vid]
        if process_var is not None:  # a noisy fleet must not make a pack heal either
            vf = replace(vf, process_var=process_var)
        with warnings.catch_warnings():  # the knee vehicle's forecast leaves the valid range
            warnings.simplefilter("ignore", ExtrapolationWarning)
            fp = simulate_paths(
                vf, usage_profile(vf.history), SCENARIOS["baseline"], horizon_months=36, draws=300
            )
        assert np.all(np.diff(fp.soh, axis=1) <= 1e-9)  # every draw is non-increasing
        f = forecast_frame(fp)
        for col in SOH_COLS:
            v = f[col].to_numpy()
            assert np.all(np.diff(v) <= 1e-9), (vid, col)
            assert v.max() <= v[0] + 1e-9
