"""State-of-health estimates against a known truth (the simulator's), per method and fused.

Real data has no truth; the simulator writes one (``truth/vehicle_days.parquet``,
``truth/vehicles.parquet``). These functions join the warehouse's ``soh_observations`` and
``soh`` rows to it and summarise the errors by any grouping (method, chemistry, temperature,
SoC window), so a notebook or benchmark can show where each estimator holds and where it
breaks. Errors are estimate minus truth, in SoH points.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import polars as pl

__all__ = [
    "OBSERVED_DAYS",
    "SOC_BANDS_PCT",
    "SWING_BANDS_PCT",
    "TEMP_BANDS_C",
    "Z90",
    "error_summary",
    "fused_errors",
    "observation_errors",
    "rejections",
]

Z90 = 1.6449
TEMP_BANDS_C = (0.0, 5.0, 15.0, 25.0, 35.0, 45.0)
SOC_BANDS_PCT = (20.0, 40.0, 60.0, 80.0)
SWING_BANDS_PCT = (20.0, 40.0, 60.0, 80.0)
OBSERVED_DAYS = (30.0, 90.0, 180.0, 365.0)

_TRUTH_COLS = {
    "capacity_soh_pct": "true_soh",
    "energy_soh_pct": "true_energy",
    "resistance_growth_pct": "true_growth",
    "battery_temp_mean_c": "true_battery_temp_c",
}


def _truth(vehicle_days: pl.DataFrame, vehicles: pl.DataFrame | None) -> pl.DataFrame:
    cols = [c for c in _TRUTH_COLS if c in vehicle_days.columns]
    t = vehicle_days.select(
        "vehicle_id", pl.col("date").cast(pl.Date), *[pl.col(c).alias(_TRUTH_COLS[c]) for c in cols]
    )
    if vehicles is not None:
        extra = [c for c in ("chemistry", "model", "climate") if c in vehicles.columns]
        t = t.join(vehicles.select("vehicle_id", *extra), on="vehicle_id", how="left")
    return t


def _band(col: pl.Expr, edges: Sequence[float], unit: str) -> pl.Expr:
    """Readable interval labels (``'15-25 °C'``, ``'< 0 °C'``) as an ordered ``Enum`` (so tables
    sort from low to high), null where ``col`` is null."""
    labels = [f"< {edges[0]:g}{unit}"]
    labels += [f"{a:g}-{b:g}{unit}" for a, b in pairwise(edges)]
    labels.append(f">= {edges[-1]:g}{unit}")
    expr = pl.when(col < edges[0]).then(pl.lit(labels[0]))
    for edge, label in zip(edges[1:], labels[1:-1], strict=True):
        expr = expr.when(col < edge).then(pl.lit(label))
    return expr.when(col.is_not_null()).then(pl.lit(labels[-1])).cast(pl.Enum(labels))


def observation_errors(
    observations: pl.DataFrame,
    vehicle_days: pl.DataFrame,
    vehicles: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every capacity observation (``soh_observations`` rows, resistance excluded) joined to the
    true capacity SoH of its day.

    Adds ``error_pts``; ``inside90`` (truth within the observation's own 90 % interval);
    ``temp_c`` (the observation's battery temperature, else the day's true mean pack
    temperature, for the BMS values that carry none); ``temp_band``; ``soc_low_band`` (the
    lower SoC end of the pair) and ``swing_band`` (|ΔSoC|), null for single-point methods;
    ``reason_kind`` (the reason with its numbers replaced by ``#``); and ``chemistry``,
    ``model``, ``climate`` when ``vehicles`` (the truth's vehicles table) is given.
    """
    obs = observations.filter(pl.col("quantity") != "resistance_mohm").with_columns(
        pl.col("date").cast(pl.Date)
    )
    out = obs.join(_truth(vehicle_days, vehicles), on=["vehicle_id", "date"], how="inner")
    lower = pl.min_horizontal("soc_start_pct", "soc_end_pct")
    return out.with_columns(
        (pl.col("soh_pct") - pl.col("true_soh")).alias("error_pts"),
        ((pl.col("soh_pct") - pl.col("true_soh")).abs() <= Z90 * pl.col("soh_sigma_pct")).alias(
            "inside90"
        ),
        pl.coalesce("temperature_c", "true_battery_temp_c").alias("temp_c"),
        _band(pl.coalesce("temperature_c", "true_battery_temp_c"), TEMP_BANDS_C, " °C").alias(
            "temp_band"
        ),
        _band(lower, SOC_BANDS_PCT, " %").alias("soc_low_band"),
        _band(pl.col("delta_soc_pct").abs(), SWING_BANDS_PCT, " %").alias("swing_band"),
        pl.col("reason").str.replace_all(r"[-+]?\d+(\.\d+)?", "#").alias("reason_kind"),
    )


def fused_errors(
    soh: pl.DataFrame,
    vehicle_days: pl.DataFrame,
    vehicles: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The fused daily ``soh`` rows joined to the truth of their day.

    Adds ``error_pts`` and ``inside90`` for the capacity SoH, ``energy_error_pts`` and
    ``growth_error_pts`` where the truth has them, ``days_in`` (days since the vehicle's
    first SoH row: estimates settle after the first weeks) and its band ``observed_for``.
    """
    s = soh.with_columns(pl.col("date").cast(pl.Date)).join(
        _truth(vehicle_days, vehicles), on=["vehicle_id", "date"], how="inner"
    )
    extra = []
    if "true_energy" in s.columns and "energy_soh_pct" in s.columns:
        extra.append((pl.col("energy_soh_pct") - pl.col("true_energy")).alias("energy_error_pts"))
    if "true_growth" in s.columns and "resistance_growth_pct" in s.columns:
        extra.append(
            (pl.col("resistance_growth_pct") - pl.col("true_growth")).alias("growth_error_pts")
        )
    return s.with_columns(
        (pl.col("soh_pct") - pl.col("true_soh")).alias("error_pts"),
        pl.col("true_soh")
        .is_between(pl.col("soh_low_pct"), pl.col("soh_high_pct"))
        .alias("inside90"),
        (pl.col("date") - pl.col("date").min().over("vehicle_id")).dt.total_days().alias("days_in"),
        *extra,
    ).with_columns(_band(pl.col("days_in"), OBSERVED_DAYS, " d").alias("observed_for"))


def error_summary(
    errors: pl.DataFrame, by: str | Sequence[str] = (), *, error: str = "error_pts"
) -> pl.DataFrame:
    """Per group of ``by``: ``n``, ``mae``, ``bias`` (mean error), ``p95`` and ``max`` of |error|,
    and ``coverage90`` (share inside the 90 % interval) when ``inside90`` is present."""
    keys = [by] if isinstance(by, str) else list(by)
    e = errors.filter(pl.col(error).is_not_null() & pl.col(error).is_finite())
    a = pl.col(error).abs()
    aggs = [
        pl.len().alias("n"),
        a.mean().alias("mae"),
        pl.col(error).mean().alias("bias"),
        a.quantile(0.95, "linear").alias("p95"),
        a.max().alias("max"),
    ]
    if "inside90" in e.columns:
        aggs.append(pl.col("inside90").mean().alias("coverage90"))
    if not keys:
        return e.select(aggs)
    return e.group_by(keys).agg(aggs).sort(keys, nulls_last=True)


def rejections(observations: pl.DataFrame, by: str | Sequence[str] = "method") -> pl.DataFrame:
    """Rejected observations per group and kind of reason (numbers replaced by ``#``), with the
    share of the group's observations each kind removed; largest first."""
    keys = [by] if isinstance(by, str) else list(by)
    obs = observations.with_columns(
        pl.col("reason").str.replace_all(r"[-+]?\d+(\.\d+)?", "#").alias("reason_kind")
    )
    total = obs.group_by(keys).agg(pl.len().alias("observations"))
    return (
        obs.filter(~pl.col("kept"))
        .group_by([*keys, "reason_kind"])
        .agg(pl.len().alias("rejected"), pl.col("reason").first().alias("example"))
        .join(total, on=keys)
        .with_columns((pl.col("rejected") / pl.col("observations")).alias("share"))
        .sort([*keys, "rejected"], descending=[False] * len(keys) + [True])
    )
