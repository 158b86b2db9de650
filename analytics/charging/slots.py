"""Hour slots of each plug-in window: the grid every flexibility and scheduling result uses.

A session plugged in from 18:40 to 07:10 becomes 14 slots (18:00 .. 07:00), each with the
plugged-in time inside it, what the charger could deliver in it (``max_power_kw`` x that
time: the physics bound) and what the car really drew in it (the session's grid energy spread
evenly over its active charging span).
"""

from __future__ import annotations

import polars as pl

from analytics.charging.timeutil import utc

__all__ = ["SESSION_COLUMNS", "schedulable", "session_slots"]

SESSION_COLUMNS = (
    "vehicle_id",
    "session_id",
    "plug_in_ts",
    "plug_out_ts",
    "charge_start_ts",
    "charge_end_ts",
    "grid_energy_kwh",
    "max_power_kw",
)

_US_PER_H = 3.6e9


def _hours(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return ((b - a).dt.total_microseconds() / _US_PER_H).clip(lower_bound=0.0)


def schedulable(cs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split sessions into those usable for flexibility and those skipped, with a reason."""
    s = cs.select(SESSION_COLUMNS)
    reason = (
        pl.when(pl.col("grid_energy_kwh").is_null() | pl.col("max_power_kw").is_null())
        .then(pl.lit("missing energy or power"))
        .when(pl.col("grid_energy_kwh") <= 0)
        .then(pl.lit("no energy delivered"))
        .when(pl.col("max_power_kw") <= 0)
        .then(pl.lit("no charger power"))
        .when(pl.col("plug_out_ts") <= pl.col("plug_in_ts"))
        .then(pl.lit("empty plug window"))
    )
    s = s.with_columns(skip_reason=reason)
    return s.filter(pl.col("skip_reason").is_null()).drop("skip_reason"), s.filter(
        pl.col("skip_reason").is_not_null()
    )


def session_slots(cs: pl.DataFrame) -> pl.DataFrame:
    """Explode schedulable sessions into hour slots.

    Columns: session columns plus ``hour_ts, slot_start, slot_end, plugged_h, dwell_h,
    cap_kwh`` (max_power_kw x plugged_h), ``baseline_kwh`` and ``baseline_before_kwh`` (what
    the real charge had delivered before the slot began).
    """
    s = utc(cs, "plug_in_ts", "plug_out_ts", "charge_start_ts", "charge_end_ts").with_columns(
        charge_start_ts=pl.min_horizontal(
            pl.max_horizontal(pl.coalesce("charge_start_ts", "plug_in_ts"), "plug_in_ts"),
            "plug_out_ts",
        ),
        charge_end_ts=pl.min_horizontal(pl.coalesce("charge_end_ts", "plug_out_ts"), "plug_out_ts"),
    )
    s = s.with_columns(
        charge_end_ts=pl.max_horizontal("charge_end_ts", "charge_start_ts"),
        dwell_h=_hours(pl.col("plug_in_ts"), pl.col("plug_out_ts")),
        hour_ts=pl.datetime_ranges(
            pl.col("plug_in_ts").dt.truncate("1h"),
            pl.col("plug_out_ts").dt.truncate("1h"),
            interval="1h",
        ),
    ).explode("hour_ts")
    slot_end = pl.col("hour_ts") + pl.duration(hours=1)
    s = s.with_columns(
        slot_start=pl.max_horizontal("hour_ts", "plug_in_ts"),
        slot_end=pl.min_horizontal(slot_end, "plug_out_ts"),
    )
    active_h = _hours(pl.col("charge_start_ts"), pl.col("charge_end_ts"))
    # Even spread of the session's energy over its active span (or at once if it had none).
    rate = pl.when(active_h > 0).then(pl.col("grid_energy_kwh") / active_h)
    in_active = _hours(
        pl.max_horizontal("slot_start", "charge_start_ts"),
        pl.min_horizontal("slot_end", "charge_end_ts"),
    )
    before_active = _hours(
        pl.col("charge_start_ts"), pl.min_horizontal("slot_start", "charge_end_ts")
    )
    instant = (pl.col("charge_start_ts") >= pl.col("slot_start")) & (
        pl.col("charge_start_ts") < pl.col("slot_end")
    )
    s = s.with_columns(
        plugged_h=_hours(pl.col("slot_start"), pl.col("slot_end")),
        baseline_kwh=pl.when(active_h > 0)
        .then(rate * in_active)
        .otherwise(pl.when(instant).then(pl.col("grid_energy_kwh")).otherwise(0.0)),
        baseline_before_kwh=pl.when(active_h > 0)
        .then(rate * before_active)
        .otherwise(
            pl.when(pl.col("charge_start_ts") < pl.col("slot_start"))
            .then(pl.col("grid_energy_kwh"))
            .otherwise(0.0)
        ),
    )
    return s.with_columns(cap_kwh=pl.col("max_power_kw") * pl.col("plugged_h")).filter(
        pl.col("plugged_h") > 0
    )
