"""Cohorts: model x chemistry x climate x usage, with climate and usage inferred from data.

The warehouse holds no truth about where or how a car is used, so the bands come from the
vehicle's own telemetry: mean ambient temperature (pack temperature when ambient is missing)
and time spent hot or cold give the climate; km per day gives the usage. Bands:

- climate: ``hot`` if mean ambient >= 17 °C or >= 1 h/day above 35 °C; ``cold`` if mean ambient
  < 7 °C or >= 4 h/day below 0 °C; otherwise ``temperate`` (a temperate Central European year
  averages about 9-10 °C, a desert-city year 23-25 °C, a Nordic one 5-7 °C);
- usage: ``low`` < 25 km/day (~9,000 km/year), ``high`` >= 70 km/day (~25,000 km/year),
  otherwise ``medium``.

Less than a year of data biases the climate toward the season observed; the band is still the
best available and ``days_observed`` is stored next to it.
"""

from __future__ import annotations

import polars as pl

__all__ = ["CLIMATE_BANDS", "USAGE_BANDS", "infer_cohorts"]

CLIMATE_BANDS = ("cold", "temperate", "hot")
USAGE_BANDS = ("low", "medium", "high")


def infer_cohorts(features: pl.DataFrame, meta: pl.DataFrame) -> pl.DataFrame:
    """One ``vehicle_cohorts`` row per vehicle in ``features``."""
    agg = features.group_by("vehicle_id").agg(
        pl.col("distance_km").mean().alias("km_per_day"),
        pl.col("battery_temp_mean_c").mean().alias("battery_temp_mean_c"),
        pl.coalesce("ambient_temp_mean_c", "battery_temp_mean_c").mean().alias("_climate_temp_c"),
        pl.col("hours_above_35c").mean().alias("hours_above_35c_per_day"),
        pl.col("hours_below_0c").mean().alias("hours_below_0c_per_day"),
        (
            pl.col("dc_charge_kwh").sum()
            / (pl.col("dc_charge_kwh").sum() + pl.col("ac_charge_kwh").sum())
        )
        .fill_nan(None)
        .alias("dc_share"),
        pl.len().cast(pl.Int32).alias("days_observed"),
    )
    t = pl.col("_climate_temp_c")
    climate = (
        pl.when((t >= 17.0) | (pl.col("hours_above_35c_per_day").fill_null(0) >= 1.0))
        .then(pl.lit("hot"))
        .when((t < 7.0) | (pl.col("hours_below_0c_per_day").fill_null(0) >= 4.0))
        .then(pl.lit("cold"))
        .otherwise(pl.lit("temperate"))
    )
    km = pl.col("km_per_day").fill_null(0.0)
    usage = (
        pl.when(km < 25.0)
        .then(pl.lit("low"))
        .when(km >= 70.0)
        .then(pl.lit("high"))
        .otherwise(pl.lit("medium"))
    )
    out = agg.join(meta.select("vehicle_id", "model", "chemistry"), on="vehicle_id", how="left")
    out = out.with_columns(
        climate.alias("climate_band"),
        usage.alias("usage_band"),
        pl.col("model").fill_null("unknown"),
        pl.col("chemistry").fill_null("UNKNOWN"),
    )
    return (
        out.with_columns(
            pl.concat_str(
                ["model", "chemistry", "climate_band", "usage_band"], separator=" | "
            ).alias("cohort")
        )
        .select(
            "vehicle_id",
            "model",
            "chemistry",
            "climate_band",
            "usage_band",
            "cohort",
            "km_per_day",
            "battery_temp_mean_c",
            "hours_above_35c_per_day",
            "hours_below_0c_per_day",
            "dc_share",
            "days_observed",
        )
        .sort("vehicle_id")
    )
