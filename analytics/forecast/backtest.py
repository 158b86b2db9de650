"""Back-test the degradation forecast against a known truth (the simulator's) and two baselines.

Fit on the data before a cut-off date only, forecast the rest, and score the forecast at
fixed horizons after the cut-off against the true capacity SoH: mean absolute error (points)
and the share of true values inside the 90 % interval. Two baselines are scored the same way:

- ``linear``: ordinary least squares line through the vehicle's own weekly SoH, extrapolated
  (90 % OLS prediction interval);
- ``cohort``: the cohort's mean curve ``SoH = a - b sqrt(age)`` fitted to every cohort
  vehicle's data before the cut-off (interval: +-1.645 x the spread of vehicles around it).

Used by ``benchmarks/forecast_backtest.py`` and ``notebooks/03_degradation.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import polars as pl

from analytics.forecast.api import FleetData, ForecastResult, forecast_vehicles
from analytics.forecast.cohorts import infer_cohorts
from analytics.forecast.design import build_histories
from analytics.forecast.fit import weekly_soh

__all__ = [
    "Z90",
    "add_months",
    "backtest_cutoff",
    "baselines",
    "change_error",
    "model_at",
    "noisy_truth",
    "score",
    "truncate",
]

Z90 = 1.6448536269514722


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` average months (365.25 / 12 days each)."""
    return d + timedelta(days=round(months * 365.25 / 12))


def noisy_truth(
    vehicle_days: pl.DataFrame, seed: int, *, sd: float = 0.8, corr_days: float = 30.0
) -> pl.DataFrame:
    """True capacity SoH plus an AR(1) error (``sd`` points, ``corr_days`` correlation) and a
    matching stated 90 % interval: a realistic SoH input that has not seen the future."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    out = []
    phi = np.exp(-1 / corr_days)
    for (vid,), g in vehicle_days.sort("vehicle_id", "date").group_by(
        "vehicle_id", maintain_order=True
    ):
        e = lfilter([1.0], [1.0, -phi], rng.normal(0, sd * np.sqrt(1 - phi**2), g.height))
        y = g["capacity_soh_pct"].to_numpy() + e
        out.append(
            pl.DataFrame(
                {
                    "vehicle_id": vid,
                    "date": g["date"],
                    "soh_pct": y,
                    "soh_low_pct": y - Z90 * sd,
                    "soh_high_pct": y + Z90 * sd,
                }
            )
        )
    return pl.concat(out).with_columns(pl.col("date").cast(pl.Date))


def truncate(data: FleetData, cut: date, soh: pl.DataFrame) -> FleetData:
    """``data`` as it was before ``cut``: features, exposure and ``soh`` rows before that day,
    cohorts inferred again from what was known then."""
    f = data.features.filter(pl.col("date") < cut)
    e = data.exposure.filter(pl.col("date") < cut)
    s = soh.filter(pl.col("date") < cut)
    cohorts = infer_cohorts(f, data.meta)
    return FleetData(f, e, data.meta, cohorts, s, build_histories(f, e, data.meta))


def baselines(
    data: FleetData, cut: date, targets: dict[str, list[date]]
) -> dict[str, pl.DataFrame]:
    """Linear extrapolation and cohort mean curve forecasts at the target dates."""
    w = weekly_soh(data.soh)
    age0 = data.features.group_by("vehicle_id").agg(
        pl.col("date").min().alias("d0"), pl.col("age_days").min().alias("a0")
    )
    w = w.join(age0, on="vehicle_id").with_columns(
        (((pl.col("date") - pl.col("d0")).dt.total_days() + pl.col("a0")) / 365.25).alias("age_y")
    )
    cohort = dict(data.cohorts.select("vehicle_id", "cohort").iter_rows())
    mc = dict(data.cohorts.select("vehicle_id", pl.concat_str(["model", "chemistry"])).iter_rows())
    lin, coh = [], []
    for vid, dates in targets.items():
        g = w.filter(pl.col("vehicle_id") == vid)
        if g.height < 3 or not dates:
            continue
        a = age0.filter(pl.col("vehicle_id") == vid).row(0, named=True)
        ages = np.array([((d - a["d0"]).days + a["a0"]) / 365.25 for d in dates])
        x, y = g["age_y"].to_numpy(), g["soh_pct"].to_numpy()
        X = np.column_stack([np.ones_like(x), x])
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        res = y - X @ beta
        s2 = float(res @ res / max(len(y) - 2, 1))
        xtx_inv = np.linalg.inv(X.T @ X)
        Xf = np.column_stack([np.ones_like(ages), ages])
        se = np.sqrt(s2 * (1 + np.einsum("ij,jk,ik->i", Xf, xtx_inv, Xf)))
        m = Xf @ beta
        lin.append(_band(vid, dates, m, Z90 * se))
        peers = [v for v, c in cohort.items() if c == cohort.get(vid)]
        if len(peers) < 3:
            peers = [v for v, c in mc.items() if c == mc.get(vid)]
        p = w.filter(pl.col("vehicle_id").is_in(peers))
        Xp = np.column_stack([np.ones(p.height), np.sqrt(p["age_y"].to_numpy())])
        bp, *_ = np.linalg.lstsq(Xp, p["soh_pct"].to_numpy(), rcond=None)
        per_v = p.with_columns(
            (pl.col("soh_pct") - (bp[0] + bp[1] * pl.col("age_y").sqrt())).alias("r")
        )
        spread = float(per_v.group_by("vehicle_id").agg(pl.col("r").mean())["r"].std() or 0.0)
        spread = float(np.hypot(spread, per_v["r"].std() or 0.0))
        coh.append(_band(vid, dates, bp[0] + bp[1] * np.sqrt(ages), Z90 * spread))
    return {"linear": _concat(lin), "cohort": _concat(coh)}


def _band(vid: str, dates: list[date], mid: np.ndarray, half: np.ndarray | float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "vehicle_id": vid,
            "date": dates,
            "soh_pct": mid,
            "soh_low_pct": mid - half,
            "soh_high_pct": mid + half,
        }
    )


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    if frames:
        return pl.concat(frames)
    return pl.DataFrame(
        schema={
            "vehicle_id": pl.String,
            "date": pl.Date,
            "soh_pct": pl.Float64,
            "soh_low_pct": pl.Float64,
            "soh_high_pct": pl.Float64,
        }
    )


def model_at(forecasts: pl.DataFrame, targets: dict[str, list[date]]) -> pl.DataFrame:
    """The forecast (``forecasts`` rows of one scenario) interpolated to the target dates."""
    out = []
    for (vid,), f in forecasts.sort("date").group_by("vehicle_id", maintain_order=True):
        if vid not in targets or not targets[vid]:
            continue
        fd = f["date"].to_numpy().astype("datetime64[D]").astype(float)
        td = np.array(targets[vid], dtype="datetime64[D]").astype(float)
        row = {"vehicle_id": vid, "date": targets[vid]}
        for c in ("soh_pct", "soh_low_pct", "soh_high_pct"):
            row[c] = np.interp(td, fd, f[c].to_numpy())
        out.append(pl.DataFrame(row))
    return _concat(out)


def change_error(forecasts: pl.DataFrame, truth: pl.DataFrame, cut: date, h: int = 12) -> float:
    """MAE of the forecast *change* over ``h`` months (from the last day of data) against the true
    change: how well the model predicts the fade itself, apart from the SoH input's level error."""
    day0 = cut - timedelta(days=1)
    targets = {v: [day0, add_months(cut, h)] for v in forecasts["vehicle_id"].unique().to_list()}
    m = model_at(forecasts, targets).sort("vehicle_id", "date")
    t = truth.filter(pl.col("date").is_in([day0, add_months(cut, h)])).sort("vehicle_id", "date")
    dm = m.group_by("vehicle_id").agg(
        (pl.col("soh_pct").last() - pl.col("soh_pct").first()).alias("dm")
    )
    dt = t.group_by("vehicle_id").agg(
        (pl.col("capacity_soh_pct").last() - pl.col("capacity_soh_pct").first()).alias("dt"),
        pl.len().alias("n"),
    )
    j = dm.join(dt.filter(pl.col("n") == 2), on="vehicle_id")
    return float((j["dm"] - j["dt"]).abs().mean()) if j.height else float("nan")


def score(pred: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float]:
    """MAE against the true capacity SoH, 90 % interval coverage and the number of points."""
    j = pred.with_columns(pl.col("date").cast(pl.Date)).join(
        truth.select("vehicle_id", pl.col("date").cast(pl.Date), "capacity_soh_pct"),
        on=["vehicle_id", "date"],
    )
    err = (j["soh_pct"] - j["capacity_soh_pct"]).abs()
    inside = (j["capacity_soh_pct"] >= j["soh_low_pct"]) & (
        j["capacity_soh_pct"] <= j["soh_high_pct"]
    )
    return {"mae": float(err.mean()), "coverage": float(inside.mean()), "n": j.height}


def backtest_cutoff(
    data: FleetData,
    cut: date,
    truth: pl.DataFrame,
    horizons_months: Sequence[int] = (6, 12, 24),
    *,
    draws: int = 600,
) -> tuple[pl.DataFrame, ForecastResult]:
    """Fit on ``data`` (already cut off before ``cut``), forecast, and score the model and both
    baselines at each horizon that the truth covers.

    ``truth`` holds ``vehicle_id, date, capacity_soh_pct`` (the simulator's ``vehicle_days``).
    Returns one row per horizon and method (``model``, ``linear``, ``cohort``) with ``mae``,
    ``coverage`` and ``n``, plus the forecast result.
    """
    truth = truth.with_columns(pl.col("date").cast(pl.Date))
    last = truth["date"].max()
    targets = {
        v: [d for d in (add_months(cut, h) for h in horizons_months) if d <= last]
        for v in data.histories
    }
    res = forecast_vehicles(data, horizon_months=max(horizons_months) + 1, draws=draws)
    preds = {"model": model_at(res.forecasts, targets), **baselines(data, cut, targets)}
    rows = []
    for name, p in preds.items():
        for h in horizons_months:
            sel = p.filter(pl.col("date") == add_months(cut, h))
            if sel.height:
                rows.append(
                    {"cutoff": cut, "horizon_months": h, "method": name} | score(sel, truth)
                )
    scores = pl.DataFrame(
        rows,
        schema={
            "cutoff": pl.Date,
            "horizon_months": pl.Int64,
            "method": pl.String,
            "mae": pl.Float64,
            "coverage": pl.Float64,
            "n": pl.Int64,
        },
    )
    return scores, res
