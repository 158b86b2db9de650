"""When a pack reaches 80 % and 70 %, and how likely it is to breach each threshold.

From the Monte Carlo paths of :mod:`analytics.forecast.predict`: the first-passage date of each
draw below a level (interpolated within the month) gives the expected date (median) and a
90 % interval (5 % / 95 % quantiles; a draw that never crosses within the paths counts as
"later"). A threshold "SoH >= x % until Y years or K km" is breached with probability
P(min SoH up to the earlier of the two limits < x).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from analytics.forecast.predict import ForecastPaths
from analytics.forecast.thresholds import Threshold

__all__ = ["LEVELS_PCT", "crossing", "milestone_frame"]

LEVELS_PCT = (80.0, 70.0)


def crossing(fp: ForecastPaths, level: float) -> np.ndarray:
    """Fractional step index at which each draw first drops below ``level`` (inf: never)."""
    below = fp.soh < level
    first = np.where(below.any(axis=1), below.argmax(axis=1), -1)
    out = np.full(fp.soh.shape[0], np.inf)
    ok = first > 0
    i = first[ok]
    rows = np.flatnonzero(ok)
    a, b = fp.soh[rows, i - 1], fp.soh[rows, i]
    out[ok] = (i - 1) + np.clip((a - level) / np.where(a - b > 0, a - b, 1.0), 0.0, 1.0)
    out[first == 0] = 0.0  # already below at the last day of data
    return out


def _at(values: np.ndarray, idx: float) -> float | None:
    if not np.isfinite(idx):
        return None
    i = int(np.floor(idx))
    if i >= values.size - 1:
        return float(values[-1])
    return float(values[i] + (values[i + 1] - values[i]) * (idx - i))


def _date_at(fp: ForecastPaths, idx: float) -> date | None:
    days = fp.dates.astype("datetime64[D]").astype(float)
    v = _at(days, idx)
    return None if v is None else np.datetime64(round(v), "D").astype(date)


def _quant(x: np.ndarray, q: float) -> float:
    """Quantile where inf ("not within the paths") sorts last and stays inf."""
    big = 1e12
    v = float(np.quantile(np.where(np.isfinite(x), x, big), q))
    return np.inf if v >= big / 2 else v


def milestone_frame(fp: ForecastPaths, thresholds: list[Threshold]) -> pl.DataFrame:
    """One row per SoH level (80 %, 70 %) and per applicable threshold."""
    rows = []
    horizon = fp.horizon_steps - 1
    for level in LEVELS_PCT:
        c = crossing(fp, level)
        q05, q50, q95 = (_quant(c, q) for q in (0.05, 0.5, 0.95))
        rows.append(
            {
                "kind": "soh_level",
                "threshold_id": f"soh_{level:.0f}",
                "soh_threshold_pct": level,
                "limit_years": None,
                "limit_km": None,
                "expected_date": _date_at(fp, q50),
                "date_low": _date_at(fp, q05),
                "date_high": _date_at(fp, q95),
                "expected_odometer_km": _at(fp.odometer_km, q50),
                "odometer_low_km": _at(fp.odometer_km, q05),
                "odometer_high_km": _at(fp.odometer_km, q95),
                "breach_probability": None,
                "probability_within_horizon": float(np.mean(c <= horizon)),
                "source": None,
                "note": "median beyond the modelled life (age 15 years)"
                if not np.isfinite(q50)
                else None,
            }
        )
    for t in thresholds:
        hit_age = np.flatnonzero(fp.age_years >= t.years)
        hit_km = np.flatnonzero(fp.odometer_km >= t.km)
        limit = min(hit_age[0] if hit_age.size else np.inf, hit_km[0] if hit_km.size else np.inf)
        note = None
        if not np.isfinite(limit):
            limit, note = (
                fp.soh.shape[1] - 1,
                "limit lies beyond the modelled life; probability up to age 15 years",
            )
        elif limit == 0:
            note = "vehicle already past the limit; probability evaluated at the last day of data"
        c = crossing(fp, t.soh_pct)
        rows.append(
            {
                "kind": "threshold",
                "threshold_id": t.threshold_id,
                "soh_threshold_pct": t.soh_pct,
                "limit_years": t.years,
                "limit_km": t.km,
                "expected_date": None,
                "date_low": None,
                "date_high": None,
                "expected_odometer_km": None,
                "odometer_low_km": None,
                "odometer_high_km": None,
                "breach_probability": float(np.mean(c <= limit)),
                "probability_within_horizon": float(np.mean(c <= horizon)),
                "source": t.source,
                "note": note or (t.note or None),
            }
        )
    schema = {
        "kind": pl.String,
        "threshold_id": pl.String,
        "soh_threshold_pct": pl.Float64,
        "limit_years": pl.Float64,
        "limit_km": pl.Float64,
        "expected_date": pl.Date,
        "date_low": pl.Date,
        "date_high": pl.Date,
        "expected_odometer_km": pl.Float64,
        "odometer_low_km": pl.Float64,
        "odometer_high_km": pl.Float64,
        "breach_probability": pl.Float64,
        "probability_within_horizon": pl.Float64,
        "source": pl.String,
        "note": pl.String,
    }
    return pl.DataFrame(rows, schema=schema).with_columns(
        pl.lit(fp.vehicle_id).alias("vehicle_id"),
        pl.lit(fp.scenario).alias("scenario"),
        pl.lit(fp.model).alias("model"),
    )
