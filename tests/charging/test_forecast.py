"""Fleet load forecast: shape, intervals, and skill on a load with daily/weekly habits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from analytics.charging.forecast import forecast_load, seasonal_naive
from analytics.errors import ChargingError


def _load(weeks: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = weeks * 168
    h = np.arange(n)
    hour, dow = h % 24, (h // 24) % 7
    evening = np.exp(-0.5 * ((hour - 20) / 2.0) ** 2) * 40
    work = np.where(dow < 5, np.exp(-0.5 * ((hour - 9) / 1.5) ** 2) * 15, 0.0)
    y = np.clip(evening + work + rng.normal(0, 4, n), 0, None)
    ts = pl.datetime_range(
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=n - 1),
        "1h",
        eager=True,
        time_zone="UTC",
    )
    return pl.DataFrame({"hour_ts": ts, "load_kw": y})


def test_forecast_has_168_hours_with_nonnegative_intervals():
    load = _load(10)
    train, test = load.head(9 * 168), load.tail(168)
    fc = forecast_load(train, train_h=4 * 168)
    assert fc.height == 168
    assert fc["ts"][0] == test["hour_ts"][0]
    assert (fc["load_low_kw"] >= 0).all()
    assert (fc["load_low_kw"] <= fc["load_kw"]).all() and (
        fc["load_kw"] <= fc["load_high_kw"]
    ).all()
    err = np.abs(fc["load_kw"].to_numpy() - test["load_kw"].to_numpy()).mean()
    naive = np.abs(seasonal_naive(train)["load_kw"].to_numpy() - test["load_kw"].to_numpy()).mean()
    assert err < naive  # smooth seasonal terms beat last week's noise
    inside = (test["load_kw"].to_numpy() >= fc["load_low_kw"].to_numpy()) & (
        test["load_kw"].to_numpy() <= fc["load_high_kw"].to_numpy()
    )
    assert inside.mean() > 0.8


def test_too_short_history_is_a_clear_error():
    with pytest.raises(ChargingError, match="two weeks"):
        forecast_load(_load(1))
