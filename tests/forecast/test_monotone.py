"""More heat or more throughput never forecasts a healthier pack."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.forecast.fit import fit_fleet
from analytics.forecast.predict import forecast_frame, simulate_paths
from analytics.forecast.scenarios import Scenario, usage_profile
from analytics.forecast.synthetic import SyntheticVehicle, synthetic_history, synthetic_soh


@pytest.fixture(scope="module")
def fleet():
    hist, frames = {}, []
    for i, chem in enumerate(["NMC", "LFP", "NCA", "NMC", "LFP", "NCA"]):
        v = SyntheticVehicle(
            f"m{i}", chemistry=chem, days=500, temp_mean_c=10 + 3 * i, km_per_day=20 + 15 * i
        )
        h = synthetic_history(v, seed=i)
        frames.append(synthetic_soh(h, 100.0, 2.0, 1.0, seed=i)[0])
        hist[v.vehicle_id] = h
    return fit_fleet(hist, pl.concat(frames), dict.fromkeys(hist, "all"))


def _median_path(vf, sc: Scenario) -> np.ndarray:
    fp = simulate_paths(vf, usage_profile(vf.history), sc, horizon_months=36, draws=200, seed=7)
    return forecast_frame(fp)["soh_pct"].to_numpy()


@settings(max_examples=15, deadline=None)
@given(vid=st.sampled_from([f"m{i}" for i in range(6)]), extra_c=st.floats(0.5, 15.0))
def test_more_heat_never_healthier(fleet, vid, extra_c):
    vf = fleet.vehicles[vid]
    base = _median_path(vf, Scenario("b"))
    hot = _median_path(vf, Scenario("h", temp_offset_c=extra_c))
    assert np.all(hot <= base + 1e-9)
    assert hot[-1] < base[-1]


@settings(max_examples=15, deadline=None)
@given(vid=st.sampled_from([f"m{i}" for i in range(6)]), factor=st.floats(1.1, 4.0))
def test_more_throughput_never_healthier(fleet, vid, factor):
    vf = fleet.vehicles[vid]
    km_now = float(np.mean(vf.history.km_day)) * 365.25
    base = _median_path(vf, Scenario("b", km_per_year=km_now))
    more = _median_path(vf, Scenario("m", km_per_year=km_now * factor))
    assert np.all(more <= base + 1e-9)


def test_named_what_ifs_move_the_right_way(fleet):
    vf = fleet.vehicles["m3"]
    base = _median_path(vf, Scenario("b"))[-1]
    assert _median_path(vf, Scenario("hot", climate="hot"))[-1] < base
    assert _median_path(vf, Scenario("nodc", no_dc=True))[-1] >= base
    assert _median_path(vf, Scenario("lim", max_soc_pct=80))[-1] >= base
    assert _median_path(vf, Scenario("far", km_per_year=60000))[-1] < base


def test_forecast_paths_never_heal_in_expectation(fleet):
    for vf in fleet.vehicles.values():
        p = _median_path(vf, Scenario("b"))
        assert np.all(np.diff(p) <= 0.05)  # medians of noisy draws: allow Monte Carlo jitter
