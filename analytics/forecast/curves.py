"""Degradation curves: SoH against age, distance and equivalent full cycles, per vehicle and
per cohort with 10/50/90 % bands.

Per vehicle: the daily ``soh`` series joined to ``degradation_features`` (age, odometer, EFC).
Per cohort: x is binned (age 0.25 years, distance 5,000 km, 25 EFC); each vehicle contributes
its mean SoH per bin once (a vehicle with many days does not outweigh others), and the
percentiles are taken across vehicles. Bins with fewer than ``min_vehicles`` are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from analytics.errors import ForecastError
from analytics.warehouse.db import Warehouse

__all__ = ["AXES", "cohort_curves", "load_vehicle_curves"]

AXES: dict[str, tuple[str, float]] = {
    "age": ("age_years", 0.25),
    "distance": ("odometer_km", 5000.0),
    "efc": ("efc", 25.0),
}


def load_vehicle_curves(wh: Warehouse, vehicle_ids: Sequence[str] | None = None) -> pl.DataFrame:
    """Per vehicle and day: SoH with its interval, age (years), odometer, EFC and cohort."""
    tables = set(wh.table_names())
    if "soh" not in tables:
        raise ForecastError("no soh table; run `analytics soh` first")
    where = "" if not vehicle_ids else "WHERE list_contains($vids, s.vehicle_id)"
    params = {"vids": list(vehicle_ids)} if vehicle_ids else None
    return wh.sql(
        "SELECT s.vehicle_id, CAST(s.date AS DATE) AS date, s.soh_pct, s.soh_low_pct, "
        "s.soh_high_pct, f.age_days / 365.25 AS age_years, f.odometer_km, f.efc, "
        "coalesce(c.cohort, 'unknown') AS cohort, c.model, c.chemistry, c.climate_band, "
        "c.usage_band FROM soh s "
        "JOIN degradation_features f ON f.vehicle_id = s.vehicle_id AND f.date = s.date "
        "LEFT JOIN vehicle_cohorts c ON c.vehicle_id = s.vehicle_id "
        f"{where} ORDER BY s.vehicle_id, s.date",
        params,
    )


def cohort_curves(
    frame: pl.DataFrame,
    axis: str = "age",
    *,
    by: str | Sequence[str] = "cohort",
    min_vehicles: int = 2,
) -> pl.DataFrame:
    """Percentile bands (p10, p50, p90) of SoH per ``by`` group and bin of ``axis``."""
    if axis not in AXES:
        raise ForecastError(f"unknown axis {axis!r}; use one of {sorted(AXES)}")
    col, width = AXES[axis]
    keys = [by] if isinstance(by, str) else list(by)
    per_vehicle = (
        frame.drop_nulls([col, "soh_pct"])
        .with_columns(((pl.col(col) / width).floor() * width + width / 2).alias("x"))
        .group_by([*keys, "vehicle_id", "x"])
        .agg(pl.col("soh_pct").mean())
    )
    return (
        per_vehicle.group_by([*keys, "x"])
        .agg(
            pl.col("soh_pct").quantile(0.1, "linear").alias("p10"),
            pl.col("soh_pct").quantile(0.5, "linear").alias("p50"),
            pl.col("soh_pct").quantile(0.9, "linear").alias("p90"),
            pl.col("vehicle_id").n_unique().alias("n_vehicles"),
        )
        .filter(pl.col("n_vehicles") >= min_vehicles)
        .with_columns(pl.lit(col).alias("axis"))
        .sort([*keys, "x"])
    )
