"""Flexibility envelope for utilities: per vehicle and hour, what could move and what cannot.

For each hour slot of each plug-in window (see :mod:`analytics.charging.slots`):

- ``max_kwh`` = charger power x plugged-in time in the hour (never more: physics);
- ``min_kwh`` = energy that *must* flow in this hour for the session to still reach its energy
  by plug-out, i.e. ``max(0, E - P x (dwell - plugged_h))``;
- ``baseline_kwh`` = what the car really drew in the hour;
- ``shiftable_kwh`` = ``baseline_kwh - min_kwh`` (>= 0): load that could move to other hours
  of the same plug-in without leaving the driver short;
- ``energy_needed_kwh`` = energy still to deliver at the start of the hour (as it charged);
- ``latest_finish_ts`` = the latest plug-out among the sessions plugged in that hour.

Per vehicle and hour these are summed; the fleet envelope is the view
``charging_flexibility_fleet`` (sum over vehicles).
"""

from __future__ import annotations

import polars as pl

from analytics.charging.slots import schedulable, session_slots

__all__ = ["flexibility_envelope", "slot_flexibility"]


def slot_flexibility(slots: pl.DataFrame) -> pl.DataFrame:
    """Add ``max_kwh, min_kwh, shiftable_kwh, energy_needed_kwh`` to session slots."""
    e = pl.col("grid_energy_kwh")
    must = (e - pl.col("max_power_kw") * (pl.col("dwell_h") - pl.col("plugged_h"))).clip(
        lower_bound=0.0
    )
    return slots.with_columns(
        max_kwh=pl.col("cap_kwh"),
        min_kwh=pl.min_horizontal(must, pl.col("cap_kwh")),
        energy_needed_kwh=(e - pl.col("baseline_before_kwh")).clip(lower_bound=0.0),
    ).with_columns(
        shiftable_kwh=(pl.col("baseline_kwh") - pl.col("min_kwh")).clip(lower_bound=0.0),
    )


def flexibility_envelope(cs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Hourly envelope per vehicle from charging_sessions rows; also returns skipped sessions."""
    ok, skipped = schedulable(cs)
    slots = slot_flexibility(session_slots(ok))
    env = (
        slots.group_by("vehicle_id", "hour_ts")
        .agg(
            pl.col("plugged_h").sum().alias("plugged_in_h"),
            pl.col("session_id").n_unique().cast(pl.Int32).alias("sessions"),
            pl.col("energy_needed_kwh").sum(),
            pl.col("baseline_kwh").sum(),
            pl.col("max_kwh").sum(),
            pl.col("min_kwh").sum(),
            pl.col("shiftable_kwh").sum(),
            pl.col("plug_out_ts").max().alias("latest_finish_ts"),
        )
        .sort("vehicle_id", "hour_ts")
    )
    return env, skipped
