"""Thin evidence: one car of its model, a few physical observations, uncalibrated BMS values.

Without a fleet calibration the BMS values must not shape the fused level as if their offset
were known, and a handful of observations that happen to agree must not narrow the interval
below their error budget: the 90 % interval has to contain the truth.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from analytics.soh import FusionModel, fuse
from analytics.soh.daily import Z90
from analytics.soh.estimate import VehicleObservations, fuse_vehicle, set_aside_uncalibrated_bms
from analytics.soh.reference import VehicleRef

D0 = date(2024, 1, 1)
N_DAYS = 120
REF = VehicleRef("v1", "NMC", 150.0, "nominal", 58.0, 55.0, 350.0, 96.0)


def _truth() -> np.ndarray:
    return 98.0 - 0.01 * np.arange(N_DAYS)


def _obs(day: np.ndarray, soh: np.ndarray, sigma: float, method: str) -> pl.DataFrame:
    ts = [datetime(2024, 1, 1, 12, tzinfo=UTC) + timedelta(days=int(d)) for d in day]
    return pl.DataFrame(
        {
            "vehicle_id": "v1",
            "ts": ts,
            "date": [t.date() for t in ts],
            "method": method,
            "quantity": "soh_pct",
            "value": soh,
            "sigma": sigma,
            "soh_pct": soh,
            "soh_sigma_pct": sigma,
            "kept": True,
            "reason": "ok",
        }
    )


def _crafted() -> VehicleObservations:
    """Six charge-counting/OCV pairs a point high (a systematic inside their priors), and
    a BMS SoH 2.5 points high that holds a stale estimate for two months and then steps
    down — a BMS that updates its capacity model rarely, with no other car to calibrate it."""
    rng = np.random.default_rng(7)
    truth = _truth()
    phys_days = np.array([25, 40, 55, 70, 90, 110])
    cc = truth[phys_days] + 1.0 + rng.normal(0, 0.5, phys_days.size)
    ocv = truth[phys_days] + 1.0 + rng.normal(0, 0.3, phys_days.size)
    days = np.arange(N_DAYS)
    bms = np.where(days < 60, truth[0] + 2.5, truth[0] + 0.5) + rng.normal(0, 0.1, N_DAYS)
    obs = pl.concat(
        [
            _obs(phys_days, cc, 4.0, "charge_counting"),
            _obs(phys_days, ocv, 2.5, "ocv"),
            _obs(days, bms, 1.5, "bms_soh"),
        ]
    )
    return VehicleObservations(REF, obs, "nominal", 150.0, None, D0, N_DAYS)


def test_uncalibrated_bms_is_set_aside_and_the_interval_contains_the_truth() -> None:
    vo = _crafted()
    truth = _truth()
    obs, daily, _ = fuse_vehicle(vo, None, final=True)
    bms = obs.filter(pl.col("method") == "bms_soh")
    assert not bms["kept"].any()
    assert bms["reason"].str.starts_with("uncalibrated BMS value").all()
    assert "bms_soh" not in daily["method"][0]
    low, high = daily["soh_low_pct"].to_numpy(), daily["soh_high_pct"].to_numpy()
    inside = (low <= truth) & (truth <= high)
    assert inside.all()
    # the interval is wide because the evidence is thin, not because it is vacuous
    half = (daily["soh_high_pct"] - daily["soh_low_pct"]).to_numpy() / 2
    assert 1.0 < half.mean() < 4.0
    # fused as if its offset were known, the stale BMS drags the curve out of its interval
    _, leaning, _ = fuse_vehicle(vo, None, final=False)
    low, high = leaning["soh_low_pct"].to_numpy(), leaning["soh_high_pct"].to_numpy()
    assert not ((low <= truth) & (truth <= high)).all()


def test_bms_is_fused_when_calibrated_or_when_it_is_all_there_is() -> None:
    vo = _crafted()
    calibrated = set_aside_uncalibrated_bms(vo.obs, {"bms_soh": (2.0, 1.0)})
    assert calibrated.filter(pl.col("method") == "bms_soh")["kept"].all()
    only_bms = vo.obs.filter(pl.col("method") == "bms_soh")
    assert set_aside_uncalibrated_bms(only_bms, {})["kept"].all()
    # without a calibration and with BMS values only, the prior's width is the interval
    alone = VehicleObservations(REF, only_bms, "nominal", 150.0, None, D0, N_DAYS)
    _, daily, _ = fuse_vehicle(alone, None, final=True)
    half = (daily["soh_high_pct"] - daily["soh_low_pct"]) / 2
    assert half.min() > Z90 * 4.0


def test_a_handful_of_agreeing_observations_cannot_narrow_their_error_budget() -> None:
    def scale(n: int) -> float:
        days = np.linspace(0, 299, n).astype(np.int64)
        y = 95.0 + 0.4 * (-1.0) ** np.arange(n)  # stated sigma 1; |residual| 0.4 -> raw 0.59
        fit = fuse(days, y, np.ones(n), np.full(n, "ocv"), 300,
                   unbiased=frozenset({"ocv"}), model=FusionModel())  # fmt: skip
        return fit.scale["ocv"]

    assert scale(6) > 0.8  # from six residuals a factor 0.6 is not established
    assert scale(290) == pytest.approx(0.62, abs=0.05)  # from hundreds it is
