"""Managed charging: move each session's energy to its cheapest (or cleanest) plugged-in hours.

Per session this is a linear programme with one constraint (deliver the session's energy)
and per-hour bounds (charger power x plugged-in time in the hour): its optimum is the greedy
fill of the cheapest hours first, computed for every session at once with a sort and a
cumulative sum. Ties go to the later hour (less time spent full). A session's energy is what
the driver really left with, so the planned state of charge at plug-out equals the real one;
nothing is planned after plug-out. Sessions the plan cannot serve (hours without a price,
inconsistent energy/power) keep their real profile and are reported.
"""

from __future__ import annotations

import polars as pl

__all__ = ["HIGH_SOC_PCT", "plan_fleet", "plan_sessions", "time_above_h"]

HIGH_SOC_PCT = 90.0
_TOL_KWH = 1e-6


def plan_sessions(slots: pl.DataFrame, objective: str = "price_per_kwh") -> pl.DataFrame:
    """Return ``slots`` with ``managed_kwh`` and ``managed`` (bool per session).

    ``slots`` needs session slots (:func:`analytics.charging.slots.session_slots`) plus the
    ``objective`` column (price or carbon per kWh) for each slot.
    """
    s = slots.with_columns(
        cover=pl.col(objective).is_not_null().all().over("session_id"),
        feasible=(pl.col("cap_kwh").sum().over("session_id") + _TOL_KWH)
        >= pl.col("grid_energy_kwh"),
    )
    s = s.sort(
        ["session_id", objective, "hour_ts"], descending=[False, False, True], nulls_last=True
    )
    cum = pl.col("cap_kwh").cum_sum().over("session_id")
    fill = (pl.col("grid_energy_kwh") - (cum - pl.col("cap_kwh"))).clip(0.0, None)
    fill = pl.min_horizontal(fill, pl.col("cap_kwh"))
    managed = pl.col("cover") & pl.col("feasible")
    return s.with_columns(
        managed_kwh=pl.when(managed).then(fill).otherwise(pl.col("baseline_kwh")),
        managed=managed,
    ).sort("session_id", "hour_ts")


def plan_fleet(slots: pl.DataFrame, objective: str, rounds: int = 4) -> pl.DataFrame:
    """Plan every session, then break price ties towards hours with less fleet load.

    Pure per-session planning sends every car to the same cheapest hour. Here each session is
    re-planned once (in ``rounds`` batches) with ``objective + lam x load of the others``,
    where ``lam`` is small enough that the penalty stays below half of the smallest price
    step: it only chooses among equally priced hours, so cost is exactly that of
    :func:`plan_sessions` while the fleet peak can only be spread.
    """
    plan = plan_sessions(slots, objective)
    if rounds <= 0 or plan.height == 0:
        return plan
    prices = plan[objective].drop_nulls().unique().sort()
    steps = prices.diff().drop_nulls()
    step = float(steps.filter(steps > 1e-12).min() or 1.0) if steps.len() else 1.0
    cap_h = float(plan.group_by("hour_ts").agg(pl.col("cap_kwh").sum())["cap_kwh"].max() or 1.0)
    lam = step / (2.0 * max(cap_h, 1e-9))
    batch = (pl.col("session_id").hash(seed=0) % rounds).cast(pl.Int64)
    plan = plan.with_columns(_batch=batch)
    keep = slots.columns
    for r in range(rounds):
        load = pl.col("managed_kwh").sum().over("hour_ts") - pl.col("managed_kwh")
        plan = plan.with_columns(_others=load)
        part = plan.filter(pl.col("_batch") == r)
        if part.height == 0:
            continue
        eff = part.select(*keep, "_batch", "_others").with_columns(
            _eff=pl.col(objective) + lam * pl.col("_others")
        )
        redo = plan_sessions(eff, "_eff").drop("_eff")
        plan = pl.concat(
            [plan.filter(pl.col("_batch") != r), redo.select(plan.columns)], how="vertical"
        )
    return plan.drop("_batch", "_others").sort("session_id", "hour_ts")


def time_above_h(
    slots: pl.DataFrame, energy_col: str, threshold_pct: float = HIGH_SOC_PCT
) -> pl.DataFrame:
    """Hours each session spends above ``threshold_pct`` SoC while plugged in.

    SoC rises linearly with grid energy from ``soc_in_pct`` to ``soc_out_pct`` (the
    session's own kWh-per-percent); energy in a slot is spread over its plugged-in time.
    """
    gain = pl.col("soc_out_pct") - pl.col("soc_in_pct")
    k = pl.when(pl.col("grid_energy_kwh") > 0).then(gain / pl.col("grid_energy_kwh"))
    s = slots.sort("session_id", "hour_ts").with_columns(
        before=pl.col(energy_col).cum_sum().over("session_id") - pl.col(energy_col)
    )
    a = pl.col("soc_in_pct") + k * pl.col("before")
    b = a + k * pl.col(energy_col)
    t = threshold_pct
    frac = pl.when(a >= t).then(1.0).when(b <= t).then(0.0).otherwise((b - t) / (b - a))
    return s.group_by("session_id").agg((frac * pl.col("plugged_h")).sum().alias("hours"))
