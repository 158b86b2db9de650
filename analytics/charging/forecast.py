"""Fleet charging-load forecast: next 7 days, hourly, with a 90 % interval.

The fleet load (kW averaged over each hour) is what the cars really drew, from the session
slots. The model is a SARIMAX(1,0,1) regression on Fourier terms for the daily (5 harmonics)
and weekly (3 harmonics) cycles, fitted on the last eight weeks: the seasonal terms carry the
habits (evening home plug-ins, weekday workplace charging), the ARMA part the last days'
level. Intervals come from the state-space forecast variance; load cannot be negative, so
both the forecast and its bounds are floored at zero. A seasonal-naive forecast (same hour
last week) is provided as the baseline every forecast must beat.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from analytics.errors import ChargingError

__all__ = [
    "HORIZON_H",
    "TRAIN_H",
    "fleet_load",
    "forecast_load",
    "seasonal_naive",
]

HORIZON_H = 168
TRAIN_H = 8 * 168
DAILY_HARMONICS = 5
WEEKLY_HARMONICS = 3


def fleet_load(slots: pl.DataFrame) -> pl.DataFrame:
    """Hourly fleet load ``hour_ts, load_kw`` (kWh in the hour), zero-filled between bounds."""
    if slots.height == 0:
        return pl.DataFrame(schema={"hour_ts": pl.Datetime("us", "UTC"), "load_kw": pl.Float64})
    agg = slots.group_by("hour_ts").agg(pl.col("baseline_kwh").sum().alias("load_kw"))
    full = pl.DataFrame(
        {
            "hour_ts": pl.datetime_range(
                agg["hour_ts"].min(), agg["hour_ts"].max(), "1h", eager=True, time_zone="UTC"
            )
        }
    )
    return full.join(agg, on="hour_ts", how="left").with_columns(pl.col("load_kw").fill_null(0.0))


def _fourier(t_h: np.ndarray) -> np.ndarray:
    cols = []
    for period, k_max in ((24.0, DAILY_HARMONICS), (168.0, WEEKLY_HARMONICS)):
        for k in range(1, k_max + 1):
            w = 2 * np.pi * k * t_h / period
            cols += [np.sin(w), np.cos(w)]
    return np.column_stack(cols)


def seasonal_naive(load: pl.DataFrame, horizon_h: int = HORIZON_H) -> pl.DataFrame:
    """Forecast each of the next ``horizon_h`` hours as the same hour one week earlier."""
    if load.height < 168:
        raise ChargingError("a seasonal-naive forecast needs at least one week of hourly load")
    last = load["hour_ts"].max()
    hist = load.tail(168)["load_kw"].to_numpy()
    reps = int(np.ceil(horizon_h / 168))
    ts = [last + timedelta(hours=i + 1) for i in range(horizon_h)]
    return pl.DataFrame({"ts": ts, "load_kw": np.tile(hist, reps)[:horizon_h]})


def forecast_load(
    load: pl.DataFrame,
    *,
    horizon_h: int = HORIZON_H,
    train_h: int = TRAIN_H,
    interval: float = 0.90,
) -> pl.DataFrame:
    """SARIMAX + Fourier forecast of ``load`` (hour_ts, load_kw): ts, load_kw, low, high."""
    import logging
    import warnings

    logging.getLogger("numexpr").setLevel(logging.WARNING)
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    if load.height < 2 * 168:
        raise ChargingError(
            f"the fleet charging load covers {load.height} hours; a 7-day forecast needs at "
            "least two weeks of charging history"
        )
    hist = load.sort("hour_ts").tail(train_h)
    y = hist["load_kw"].to_numpy().astype(float)
    epoch = np.datetime64("1970-01-05T00:00")  # a Monday: weekly phase is absolute
    t_hist = (hist["hour_ts"].dt.replace_time_zone(None).to_numpy() - epoch) / np.timedelta64(
        1, "h"
    )
    t_fut = t_hist[-1] + np.arange(1, horizon_h + 1)
    model = SARIMAX(y, exog=_fourier(t_hist), order=(1, 0, 1), trend="c", concentrate_scale=True)
    from threadpoolctl import threadpool_limits

    # The state-space filter works on tiny matrices: BLAS threads only add contention.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")  # convergence chatter on flat stretches
        res = model.fit(disp=False, maxiter=200)
        fc = res.get_forecast(steps=horizon_h, exog=_fourier(t_fut))
        mean = np.asarray(fc.predicted_mean)
        ci = np.asarray(fc.conf_int(alpha=1.0 - interval))
    last = hist["hour_ts"].max()
    return pl.DataFrame(
        {
            "ts": [last + timedelta(hours=i + 1) for i in range(horizon_h)],
            "load_kw": np.clip(mean, 0.0, None),
            "load_low_kw": np.clip(ci[:, 0], 0.0, None),
            "load_high_kw": np.clip(ci[:, 1], 0.0, None),
        }
    ).with_columns(
        pl.col("ts").dt.cast_time_unit("us"),
        interval_pct=pl.lit(100.0 * interval),
        model=pl.lit(
            f"sarimax(1,0,1)+fourier(d{DAILY_HARMONICS},w{WEEKLY_HARMONICS}),train={len(y)}h"
        ),
        trained_until=pl.lit(last),
    )
