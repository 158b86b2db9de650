"""Recovering known parameters from synthetic curves, and partial pooling of thin data."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from analytics.forecast.fit import fit_fleet
from analytics.forecast.predict import forecast_frame, simulate_paths
from analytics.forecast.scenarios import SCENARIOS, usage_profile
from analytics.forecast.synthetic import SyntheticVehicle, synthetic_history, synthetic_soh


def _fleet(
    n: int,
    days: int,
    seed: int,
    noise: float = 0.2,
    short: dict[str, int] | None = None,
    z_cal: float = 0.75,
):
    rng = np.random.default_rng(seed)
    hist, frames, truth = {}, [], {}
    for i in range(n):
        vid = f"v{i:02d}"
        v = SyntheticVehicle(
            vid,
            chemistry="NMC",
            days=(short or {}).get(vid, days),
            temp_mean_c=float(rng.uniform(5, 25)),
            km_per_day=float(rng.uniform(10, 150)),
            dc_share=float(rng.uniform(0, 0.6)),
        )
        h = synthetic_history(v, seed=seed + i)
        params = (100.0 + rng.normal(0, 0.8), rng.normal(2.0, 0.4), rng.normal(1.5, 0.3))
        frame, true_soh = synthetic_soh(
            h, *params, z_cal=z_cal, z_cyc=0.5, noise_sd_pct=noise, seed=seed + i
        )
        hist[vid], truth[vid] = h, (params, true_soh)
        frames.append(frame)
    return hist, pl.concat(frames), truth


@pytest.fixture(scope="module")
def fitted():
    hist, soh, truth = _fleet(16, 1095, seed=11, short={"v15": 75})
    ff = fit_fleet(hist, soh, dict.fromkeys(hist, "fleet"), exponents={"NMC": (0.75, 0.5)})
    return hist, soh, truth, ff


def test_recovers_known_parameters(fitted):
    _, _, truth, ff = fitted
    err: dict[str, list[float]] = {"soh0": [], "A": [], "B": []}
    for vid, ((soh0, a, b), _) in truth.items():
        if vid == "v15":
            continue
        m = ff.vehicles[vid].mean
        err["soh0"].append(m[0] - soh0)
        err["A"].append(m[1] - a)
        err["B"].append(m[2] - b)
    assert np.median(np.abs(err["soh0"])) < 0.3
    assert np.median(np.abs(err["A"])) < 0.25
    assert np.median(np.abs(err["B"])) < 0.25
    # the fleet's hyper-mean is close to the population the parameters were drawn from
    pm = ff.pooled.prior_mean[0]
    assert abs(pm[1] - 2.0) < 0.35 and abs(pm[2] - 1.5) < 0.35


def test_exponents_selected_from_data():
    hist, soh, _ = _fleet(10, 1095, seed=5, noise=0.1)
    # generated with the NMC default (0.75, 0.5): selection keeps it
    ff = fit_fleet(hist, soh, dict.fromkeys(hist, "fleet"), select_exponents=True)
    assert ff.exponents["NMC"] == (0.75, 0.5)
    # generated with sqrt-time calendar ageing: selection finds it
    hist2, soh2, _ = _fleet(10, 1095, seed=6, noise=0.1, z_cal=0.5)
    ff2 = fit_fleet(hist2, soh2, dict.fromkeys(hist2, "fleet"), select_exponents=True)
    assert ff2.exponents["NMC"] == (0.5, 0.5)


def test_thin_vehicle_gets_cohort_curve_and_wide_interval(fitted):
    hist, _, _truth, ff = fitted
    thin, rich = ff.vehicles["v15"], ff.vehicles["v03"]
    assert "cohort_curve" in thin.flags
    assert "cohort" in thin.message and "wide" in thin.message
    assert "cohort_curve" not in rich.flags
    assert thin.data_weight < 0.5 < rich.data_weight
    # its slope parameters sit near the cohort's, not wherever three noisy months point
    prior = ff.pooled.prior_mean[list(hist).index("v15")]
    assert np.all(np.abs(thin.mean[1:] - prior[1:]) < 2.5 * np.sqrt(np.diag(thin.cov))[1:])
    widths, param_widths = {}, {}
    for name, vf in (("thin", thin), ("rich", rich)):
        for out, v in ((widths, vf), (param_widths, replace(vf, process_var=0.0, level_var=0.0))):
            f = forecast_frame(
                simulate_paths(
                    v, usage_profile(v.history), SCENARIOS["baseline"], horizon_months=24
                )
            )
            out[name] = float((f["soh_high_pct"] - f["soh_low_pct"])[-1])
    assert widths["thin"] > 1.2 * widths["rich"]
    # the parameter part alone: the thin vehicle does not know its own rates
    assert param_widths["thin"] > 2.0 * param_widths["rich"]


def test_forecast_tracks_truth_when_data_are_rich(fitted):
    hist, _, truth, ff = fitted
    vf = ff.vehicles["v03"]
    h = hist["v03"]
    (soh0, a, b), _ = truth["v03"]
    fp = simulate_paths(vf, usage_profile(h), SCENARIOS["baseline"], horizon_months=24)
    f = forecast_frame(fp)
    # the truth 24 months on, with the same usage pattern, from the generating parameters
    _, _, s_cal, s_cyc = h.cumulative(vf.spec, 0.75, 0.5)
    expect = float(
        soh0
        - a * (s_cal * (1 + 730 / h.n_days)) ** 0.75
        - b * (s_cyc * (1 + 730 / h.n_days)) ** 0.5
    )
    assert abs(float(f["soh_pct"][-1]) - expect) < 0.6
    assert f["soh_low_pct"][-1] < expect < f["soh_high_pct"][-1]
