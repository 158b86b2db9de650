"""The fusion: no jumps, wider intervals where data is thin, biased methods found and flagged."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.soh import FusionModel, fuse


def _series(days: np.ndarray, value: np.ndarray, sigma: float, method: str):
    return days, value, np.full(days.size, sigma), np.full(days.size, method)


def test_one_wild_observation_cannot_move_the_estimate() -> None:
    days = np.arange(0, 200, 2)
    y = np.full(days.size, 95.0)
    y[50] = 80.0  # a single absurd measurement on day 100
    fit = fuse(days, y, np.full(days.size, 1.0), np.full(days.size, "charge_counting"), 200,
               unbiased=frozenset({"charge_counting"}))  # fmt: skip
    assert abs(fit.level[100] - 95.0) < 0.3
    assert fit.outlier[50] and fit.outlier.sum() == 1
    assert np.max(np.abs(np.diff(fit.level))) < 0.05


def test_interval_widens_where_data_is_thin() -> None:
    days = np.r_[np.arange(0, 100), np.arange(250, 350)]
    rng = np.random.default_rng(1)
    y = 97.0 - 0.005 * days + rng.normal(0, 1.0, days.size)
    fit = fuse(days, y, np.full(days.size, 1.0), np.full(days.size, "charge_counting"), 350,
               unbiased=frozenset({"charge_counting"}))  # fmt: skip
    assert fit.level_sd[175] > 1.5 * fit.level_sd[50]
    assert abs(fit.level[175] - (97.0 - 0.005 * 175)) < 3 * fit.level_sd[175]


def test_biased_method_is_estimated_and_does_not_pull_the_level() -> None:
    rng = np.random.default_rng(2)
    d1, y1, s1, m1 = _series(np.arange(0, 300, 3), np.full(100, 92.0), 1.0, "charge_counting")
    d2, y2, s2, m2 = _series(np.arange(0, 300), np.full(300, 97.0), 1.0, "bms_soh")
    y1 = y1 + rng.normal(0, 1.0, y1.size)
    y2 = y2 + rng.normal(0, 1.0, y2.size)
    fit = fuse(np.r_[d1, d2], np.r_[y1, y2], np.r_[s1, s2], np.r_[m1, m2], 300,
               unbiased=frozenset({"charge_counting"}), model=FusionModel())  # fmt: skip
    assert fit.level[150] == pytest.approx(92.0, abs=0.6)
    bias, bias_sd = fit.bias["bms_soh"]
    assert bias == pytest.approx(5.0, abs=0.6)
    assert abs(bias) > max(2.0, 2 * bias_sd)  # the rule that flags a disagreeing method


def test_noise_scale_is_learnt_from_residuals() -> None:
    rng = np.random.default_rng(3)
    days = np.arange(0, 300)
    y = 95.0 + rng.normal(0, 3.0, days.size)  # claims sigma 1, really 3
    fit = fuse(days, y, np.full(days.size, 1.0), np.full(days.size, "ocv"), 300,
               unbiased=frozenset({"ocv"}))  # fmt: skip
    assert fit.scale["ocv"] == pytest.approx(3.0, rel=0.25)


def test_lagging_bms_does_not_drag_the_level_after_a_fast_drop() -> None:
    rng = np.random.default_rng(4)
    n = 300
    truth = np.where(np.arange(n) < 100, 98.0, 98.0 - 0.04 * (np.arange(n) - 100))
    bms = np.empty(n)
    bms[0] = truth[0]
    for d in range(1, n):  # the BMS follows the truth with a 45-day time constant
        bms[d] = bms[d - 1] + (truth[d - 1] - bms[d - 1]) / 45.0
    days_cc = np.arange(0, n, 7)
    y_cc = truth[days_cc] + rng.normal(0, 1.0, days_cc.size)
    days = np.r_[days_cc, np.arange(n)]
    y = np.r_[y_cc, bms + 2.0]
    sig = np.r_[np.full(days_cc.size, 1.0), np.full(n, 0.3)]
    method = np.r_[np.full(days_cc.size, "charge_counting"), np.full(n, "bms_soh")]
    kw = {"unbiased": frozenset({"charge_counting"})}
    lagged = fuse(days, y, sig, method, n, model=FusionModel(lagged=("bms_soh",)), **kw)
    plain = fuse(days, y, sig, method, n, model=FusionModel(), **kw)
    err_lagged = np.abs(lagged.level[150:] - truth[150:]).mean()
    err_plain = np.abs(plain.level[150:] - truth[150:]).mean()
    assert err_lagged < 0.6
    assert err_lagged < err_plain
