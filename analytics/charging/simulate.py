"""``analytics charging simulate``: what managed charging against a tariff would change.

Reads ``charging_sessions``, plans every session with :func:`plan_sessions`, and compares the
plan with how the cars really charged: kWh shifted, fleet peak load, cost and emissions,
sessions that would have ended short (the plan guarantees zero; it is checked, not assumed),
and the battery side effect (hours plugged in above 90 % SoC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from analytics.charging.schedule import (
    HIGH_SOC_PCT,
    plan_capped,
    plan_fleet,
    plan_sessions,
    time_above_h,
)
from analytics.charging.slots import schedulable, session_slots
from analytics.charging.tariff import Tariff
from analytics.errors import ChargingError

__all__ = ["SimulationResult", "simulate_managed_charging"]

_TOL_KWH = 1e-6


@dataclass
class SimulationResult:
    """Summary figures plus the hourly fleet profile and the per-session plan."""

    summary: dict[str, Any]
    fleet_hourly: pl.DataFrame
    plan: pl.DataFrame
    skipped: pl.DataFrame = field(default_factory=pl.DataFrame)

    def lines(self) -> list[str]:
        s = self.summary
        cur = s.get("currency") or ""
        out = [
            f"tariff                  {s['tariff']} ({s['objective']})",
            f"sessions planned        {s['sessions_managed']:,} of {s['sessions']:,}"
            f" (kept as charged: {s['sessions_unmanaged']:,}; skipped: {s['sessions_skipped']:,})",
            f"energy                  {s['energy_kwh']:,.1f} kWh",
            f"kWh shifted             {s['kwh_shifted']:,.1f} ({s['share_shifted_pct']:.1f} %)",
            f"fleet peak load         {s['peak_kw_before']:,.1f} kW -> {s['peak_kw_after']:,.1f} kW",
        ]
        if s.get("cost_before") is not None:
            out.append(
                f"cost                    {s['cost_before']:,.2f} -> {s['cost_after']:,.2f} {cur}"
                f" (saved {s['cost_saved']:,.2f})"
            )
        if s.get("emissions_before_kg") is not None:
            out.append(
                f"emissions               {s['emissions_before_kg']:,.1f} -> "
                f"{s['emissions_after_kg']:,.1f} kg CO2e (saved {s['emissions_saved_kg']:,.1f})"
            )
        if "max_fleet_kw" in s:
            out.append(
                f"hours over the cap      {s['hours_over_cap']} (more had to flow than "
                f"{s['max_fleet_kw']:g} kW allows)"
                if s["hours_over_cap"]
                else f"hours over the cap      0 (fleet load <= {s['max_fleet_kw']:g} kW)"
            )
        out += [
            f"sessions ended short    {s['sessions_ended_short']}",
            f"hours above {HIGH_SOC_PCT:.0f} % SoC     {s['high_soc_h_before']:,.1f} h -> "
            f"{s['high_soc_h_after']:,.1f} h while plugged in",
        ]
        return out


def simulate_managed_charging(
    cs: pl.DataFrame,
    tariff: Tariff,
    *,
    objective: str = "auto",
    spread: bool = True,
    max_fleet_kw: float | None = None,
) -> SimulationResult:
    """Plan all sessions in ``cs`` (charging_sessions rows) against ``tariff`` and compare.

    ``spread`` breaks price ties towards hours with less fleet load (same cost, lower peak);
    ``max_fleet_kw`` plans the fleet jointly under an hourly fleet power cap (an LP).
    """
    if max_fleet_kw is not None and max_fleet_kw <= 0:
        raise ChargingError("--max-fleet-kw must be a positive power in kW")
    if cs.height == 0:
        raise ChargingError(
            "no charging sessions to simulate; run `analytics charging` after `analytics sessions`"
        )
    ok, skipped = schedulable(cs)
    extra = cs.select("session_id", "soc_in_pct", "soc_out_pct")
    slots = session_slots(ok)
    priced = slots.join(tariff.hourly(slots["hour_ts"].unique()), on="hour_ts", how="left")
    if objective == "auto":
        objective = "price" if priced["price_per_kwh"].is_not_null().any() else "carbon"
    col = {"price": "price_per_kwh", "carbon": "carbon_g_per_kwh"}.get(objective)
    if col is None:
        raise ChargingError(f"objective must be price or carbon, not {objective!r}")
    if priced[col].is_null().all():
        raise ChargingError(
            f"the tariff {tariff.name} has no {col} for any plugged-in hour "
            f"({slots['hour_ts'].min()} .. {slots['hour_ts'].max()}); use a file covering them"
        )
    if max_fleet_kw is not None:
        plan = plan_capped(priced, col, max_fleet_kw)
        objective += f" under a {max_fleet_kw:g} kW fleet cap"
    else:
        plan = (plan_fleet if spread else plan_sessions)(priced, col)
        objective += " + load-spreading ties" if spread else ""
    plan = plan.join(extra, on="session_id", how="left")

    per_session = plan.group_by("session_id").agg(
        pl.col("grid_energy_kwh").first(),
        pl.col("managed_kwh").sum(),
        pl.col("managed").first(),
        pl.col("plug_out_ts").first(),
        pl.col("slot_end").filter(pl.col("managed_kwh") > _TOL_KWH).max().alias("last_end"),
        pl.col(col).is_not_null().all().alias("covered"),
    )
    short = per_session.filter(
        (pl.col("managed_kwh") < pl.col("grid_energy_kwh") - 1e-4)
        | (pl.col("last_end") > pl.col("plug_out_ts"))
    )
    hourly = (
        plan.group_by("hour_ts")
        .agg(
            pl.col("baseline_kwh").sum().alias("baseline_kw"),
            pl.col("managed_kwh").sum().alias("managed_kw"),
            (pl.col("baseline_kwh") * pl.col("price_per_kwh")).sum().alias("cost_before"),
            (pl.col("managed_kwh") * pl.col("price_per_kwh")).sum().alias("cost_after"),
            (pl.col("baseline_kwh") * pl.col("carbon_g_per_kwh")).sum().alias("co2_before_g"),
            (pl.col("managed_kwh") * pl.col("carbon_g_per_kwh")).sum().alias("co2_after_g"),
        )
        .sort("hour_ts")
    )
    shifted = float((plan["baseline_kwh"] - plan["managed_kwh"]).clip(lower_bound=0.0).sum())
    energy = float(plan["baseline_kwh"].sum())
    has_price = plan["price_per_kwh"].is_not_null().any()
    has_co2 = plan["carbon_g_per_kwh"].is_not_null().any()
    hi_before = time_above_h(plan, "baseline_kwh")["hours"].sum()
    hi_after = time_above_h(plan, "managed_kwh")["hours"].sum()
    n_managed = int(per_session["managed"].sum())
    summary: dict[str, Any] = {
        "tariff": tariff.name,
        "currency": tariff.currency,
        "objective": objective,
        "sessions": cs.height,
        "sessions_managed": n_managed,
        "sessions_unmanaged": per_session.height - n_managed,
        "sessions_uncovered": int((~per_session["covered"]).sum()),
        "sessions_skipped": skipped.height,
        "energy_kwh": energy,
        "kwh_shifted": shifted,
        "share_shifted_pct": 100.0 * shifted / energy if energy > 0 else 0.0,
        "peak_kw_before": float(hourly["baseline_kw"].max() or 0.0),
        "peak_kw_after": float(hourly["managed_kw"].max() or 0.0),
        "cost_before": float(hourly["cost_before"].sum()) if has_price else None,
        "cost_after": float(hourly["cost_after"].sum()) if has_price else None,
        "emissions_before_kg": float(hourly["co2_before_g"].sum()) / 1e3 if has_co2 else None,
        "emissions_after_kg": float(hourly["co2_after_g"].sum()) / 1e3 if has_co2 else None,
        "sessions_ended_short": short.height,
        "high_soc_h_before": float(hi_before),
        "high_soc_h_after": float(hi_after),
    }
    if max_fleet_kw is not None:
        summary["max_fleet_kw"] = max_fleet_kw
        summary["hours_over_cap"] = int((hourly["managed_kw"] > max_fleet_kw + 1e-6).sum())
    if has_price:
        summary["cost_saved"] = summary["cost_before"] - summary["cost_after"]
    if has_co2:
        summary["emissions_saved_kg"] = (
            summary["emissions_before_kg"] - summary["emissions_after_kg"]
        )
    return SimulationResult(summary, hourly, plan, skipped)
