"""Fleet calibration of BMS values: leave-one-out, only physically pinned cars teach."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.soh import FusionModel, fuse
from analytics.soh.calibration import MIN_PHYSICAL_OBS, bms_bias_priors


def test_prior_comes_from_the_other_cars_of_the_model() -> None:
    fits = [
        ("a", "Make|M", 40, {"bms_soh": (5.0, 0.2)}),
        ("b", "Make|M", 40, {"bms_soh": (5.4, 0.2)}),
        ("c", "Make|M", 30, {"bms_soh": (4.6, 0.2)}),
        ("d", "Make|M", MIN_PHYSICAL_OBS - 1, {"bms_soh": (-9.0, 3.0)}),  # cannot teach
        ("e", "Other|X", 40, {"bms_soh": (1.0, 0.2)}),
    ]
    priors = bms_bias_priors(fits)
    assert priors["a"]["bms_soh"][0] == pytest.approx(5.0)  # mean of b and c
    assert priors["d"]["bms_soh"][0] == pytest.approx(5.0)  # learns from a, b, c
    assert priors["d"]["bms_soh"][1] >= 0.5
    assert "bms_soh" not in priors.get("e", {})  # alone in its model: no calibration


def test_shared_charge_scale_widens_the_interval_honestly() -> None:
    rng = np.random.default_rng(5)
    days = np.r_[np.arange(0, 200, 2), np.arange(1, 200, 2)]
    method = np.r_[np.full(100, "charge_counting"), np.full(100, "ocv")]
    y = 95.0 + rng.normal(0, 1.0, 200)
    sig = np.full(200, 1.0)
    priors = {"charge_counting": 0.8, "ocv": 1.5, "charge_scale": 0.6}
    alone = fuse(days, y, sig, method, 200, model=FusionModel(bias_prior_sd=priors))
    shared = fuse(
        days, y, sig, method, 200,
        model=FusionModel(bias_prior_sd=priors, shared={"charge_scale": ("charge_counting", "ocv")}),
    )  # fmt: skip
    assert shared.level_sd[100] > alone.level_sd[100]
    assert "charge_scale" in shared.bias
