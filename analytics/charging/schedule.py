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

__all__ = ["HIGH_SOC_PCT", "plan_capped", "plan_fleet", "plan_sessions", "time_above_h"]

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
    :func:`plan_sessions` while equally priced energy moves towards emptier hours.
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


def plan_capped(slots: pl.DataFrame, objective: str, max_fleet_kw: float) -> pl.DataFrame:
    """Plan all sessions jointly so the fleet never draws more than ``max_fleet_kw`` in an hour.

    A linear programme (HiGHS via scipy): minimise objective x energy subject to each
    session receiving its energy inside its plug window and each hour's fleet energy staying
    under the cap. Where the cap cannot be met (more must flow than it allows) the excess is
    admitted at a prohibitive penalty, so the plan stays feasible and the report shows the
    remaining peak. Sessions the per-session planner would not manage keep their profile and
    count against the cap.
    """
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, hstack

    from analytics.errors import ChargingError

    plan = plan_sessions(slots, objective)
    free = plan.filter(pl.col("managed"))
    fixed = plan.filter(~pl.col("managed"))
    if free.height == 0:
        return plan
    hours = plan.select(pl.col("hour_ts").unique().sort()).with_row_index("h")
    sess = free.select(pl.col("session_id").unique(maintain_order=True)).with_row_index("s")
    f = free.join(hours, on="hour_ts").join(sess, on="session_id")
    n, n_h, n_s = f.height, hours.height, sess.height
    price = f[objective].to_numpy().astype(float)
    spread = float(np.ptp(price)) if n else 0.0
    penalty = 1e3 * (abs(float(price.max())) + spread + 1.0)
    fixed_h = (
        hours.join(fixed.group_by("hour_ts").agg(pl.col("managed_kwh").sum()), on="hour_ts",
                   how="left")["managed_kwh"].fill_null(0.0).to_numpy()
    )  # fmt: skip
    rows = np.arange(n)
    a_eq = coo_matrix((np.ones(n), (f["s"].to_numpy(), rows)), shape=(n_s, n))
    a_eq = hstack([a_eq, coo_matrix((n_s, n_h))]).tocsr()
    b_eq = free.group_by("session_id").agg(pl.col("grid_energy_kwh").first())
    b_eq = sess.join(b_eq, on="session_id")["grid_energy_kwh"].to_numpy()
    a_ub = hstack(
        [
            coo_matrix((np.ones(n), (f["h"].to_numpy(), rows)), shape=(n_h, n)),
            -coo_matrix((np.ones(n_h), (np.arange(n_h), np.arange(n_h))), shape=(n_h, n_h)),
        ]
    ).tocsr()
    b_ub = max_fleet_kw - fixed_h
    # Later hours are a hair cheaper: equal prices resolve towards less time spent full.
    t_rank = f["hour_ts"].rank("dense").to_numpy().astype(float)
    tie = 1e-9 * (spread + 1.0) * (1.0 - t_rank / max(t_rank.max(), 1.0))
    c = np.concatenate([price + tie, np.full(n_h, penalty)])
    bounds = np.column_stack(
        [np.zeros(n + n_h), np.concatenate([f["cap_kwh"].to_numpy(), np.full(n_h, np.inf)])]
    )
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status != 0:
        raise ChargingError(f"the capped charging plan could not be solved: {res.message}")
    x = np.clip(res.x[:n], 0.0, f["cap_kwh"].to_numpy())
    solved = f.with_columns(managed_kwh=pl.Series(x)).drop("h", "s")
    return pl.concat([solved.select(plan.columns), fixed], how="vertical").sort(
        "session_id", "hour_ts"
    )
