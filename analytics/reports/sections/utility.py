"""Utility report: charging archetypes, plug-in windows, flexibility, managed-charging value."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from analytics.reports.data import VehicleData
from analytics.reports.params import ReportParams
from analytics.reports.sections.base import estimate, finite, missing_table_note, section

__all__ = ["archetypes", "flexibility", "managed_charging", "plug_windows"]


def archetypes(data: VehicleData) -> dict[str, Any]:
    """The vehicle's charging archetype and its session-type mix over time."""
    prof = data.table("charging_profiles")
    mix = data.table("charging_profile_mix")
    if prof.height == 0 and mix.height == 0:
        return section(
            "missing", [missing_table_note(data.tables, "charging_profiles", "charging")]
        )
    out: dict[str, Any] = {}
    notes: list[str] = []
    if prof.height:
        r = prof.row(0, named=True)
        out["archetype"] = r.get("archetype")
        out["stability"] = finite(r.get("stability"))
        out["shares"] = {
            k: None if finite(r.get(k)) is None else round(float(r[k]), 4)
            for k in (
                "home_share",
                "work_share",
                "public_share",
                "dc_energy_share",
                "full_charge_share",
                "overnight_share",
            )
        }
        out["sessions_per_week"] = (
            None
            if finite(r.get("sessions_per_week")) is None
            else round(float(r["sessions_per_week"]), 2)
        )
        out["method"] = r.get("method")
    if mix.height:
        m = mix.filter(pl.col("period_start") <= data.as_of)
        tot = (
            m.group_by("session_type")
            .agg(pl.col("sessions").sum())
            .sort("sessions", descending=True)
        )
        n = int(tot["sessions"].sum() or 0)
        out["mix"] = (
            [
                {"session_type": t, "sessions": int(s), "share": round(s / n, 4)}
                for t, s in tot.iter_rows()
            ]
            if n
            else []
        )
    else:
        notes.append("no quarterly mix in charging_profile_mix")
    return section("ok" if not notes else "partial", notes, **out)


def _windows(share: np.ndarray) -> list[dict[str, Any]]:
    """Contiguous local hours plugged in on at least half as many days as the busiest hour."""
    top = float(share.max()) if share.size else 0.0
    if top < 0.05:
        return []
    on = share >= 0.5 * top
    if on.all():
        return [{"from": "00:00", "to": "24:00", "mean_share": round(float(share.mean()), 3)}]
    out = []
    start = int(np.argmin(on))  # begin scanning at an 'off' hour so runs do not wrap
    h, run = start, []
    for _ in range(24):
        if on[h]:
            run.append(h)
        elif run:
            out.append(run)
            run = []
        h = (h + 1) % 24
    if run:
        out.append(run)
    return [
        {
            "from": f"{r[0]:02d}:00",
            "to": f"{(r[-1] + 1) % 24:02d}:00",
            "mean_share": round(float(share[r].mean()), 3),
        }
        for r in out
    ]


def plug_windows(data: VehicleData, params: ReportParams) -> dict[str, Any]:
    """When the car is typically plugged in (local hours), from the hourly flexibility envelope."""
    flex = data.table("charging_flexibility")
    cs = data.table("charging_sessions")
    if flex.height == 0:
        return section(
            "missing", [missing_table_note(data.tables, "charging_flexibility", "charging")]
        )
    start = data.as_of + timedelta(days=1) - timedelta(weeks=params.flex_weeks)
    f = flex.filter(pl.col("hour_ts").dt.date() >= start)
    offset = 0.0
    if cs.height and cs["utc_offset_h"].drop_nulls().len():
        offset = float(cs["utc_offset_h"].drop_nulls().median())
    days = max((data.as_of - max(start, f["hour_ts"].min().date())).days + 1, 1) if f.height else 1
    local = f.with_columns(
        hour=((pl.col("hour_ts").dt.hour().cast(pl.Float64) + offset) % 24).floor().cast(pl.Int32)
    )
    by_hour = local.group_by("hour").agg(pl.col("plugged_in_h").sum())
    share = np.zeros(24)
    for h, v in by_hour.iter_rows():
        share[int(h)] = min(float(v) / days, 1.0)
    notes = [] if f.height else [f"no plugged-in hours in the last {params.flex_weeks} weeks"]
    return section(
        "ok" if f.height else "partial",
        notes,
        window_weeks=params.flex_weeks,
        utc_offset_h=offset,
        plugged_in_share_by_local_hour=[round(float(x), 3) for x in share],
        typical_windows=_windows(share),
        method="share of days plugged in, per local hour, from charging_flexibility; windows = hours at >= half the busiest hour's share",
    )


def flexibility(data: VehicleData, params: ReportParams) -> dict[str, Any]:
    """Flexible (shiftable) kWh per week over the window, next to the energy charged."""
    flex = data.table("charging_flexibility")
    if flex.height == 0:
        return section(
            "missing", [missing_table_note(data.tables, "charging_flexibility", "charging")]
        )
    start = data.as_of + timedelta(days=1) - timedelta(weeks=params.flex_weeks)
    f = flex.filter(pl.col("hour_ts").dt.date() >= start)
    if f.height == 0:
        return section(
            "missing", [f"no charging in the last {params.flex_weeks} weeks before the as-of date"]
        )
    first = f["hour_ts"].min().date()
    weeks = max((data.as_of - max(first, start)).days + 1, 1) / 7.0
    weekly = f.group_by(pl.col("hour_ts").dt.truncate("1w").alias("week")).agg(
        pl.col("shiftable_kwh").sum(), pl.col("baseline_kwh").sum()
    )
    # only whole weeks inside the window and the data: partial first/last weeks would widen the range
    lo_day, hi_day = max(first, start), data.as_of + timedelta(days=1)
    whole = weekly.filter(
        (pl.col("week").dt.date() >= lo_day)
        & (pl.col("week").dt.date() + timedelta(days=7) <= hi_day)
    )
    vals = whole["shiftable_kwh"].to_numpy()
    total = float(f["shiftable_kwh"].sum())
    notes = [] if weeks >= 4 else [f"only {weeks:.1f} weeks of charging in the window"]
    lo = hi = None
    if vals.size >= 4:
        lo, hi = (float(x) for x in np.percentile(vals, [5, 95]))
    return section(
        "ok" if not notes else "partial",
        notes,
        window_weeks=round(weeks, 2),
        flexible_kwh_per_week=estimate(
            total / weeks,
            lo,
            hi,
            unit="kWh/week",
            method="sum of shiftable kWh (baseline minus must-run) / weeks; interval = 5-95 % of whole weeks' values",
        ),
        charged_kwh_per_week=round(float(f["baseline_kwh"].sum()) / weeks, 2),
        share_flexible_pct=round(100 * total / float(f["baseline_kwh"].sum()), 1)
        if float(f["baseline_kwh"].sum()) > 0
        else None,
    )


def managed_charging(
    data: VehicleData, params: ReportParams, value_per_point_eur: float | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Savings of managed charging under the tariff, and the battery-wear cost it implies."""
    if not params.tariff:
        return section(
            "missing",
            ["no tariff given: pass --tariff FILE (a file from data/tariffs) for savings"],
        ), None
    path = Path(params.tariff)
    if not path.is_file():
        return section("missing", [f"tariff file {path} not found"]), None
    tariff_info = {"path": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    cs = data.table("charging_sessions")
    if cs.height == 0:
        return section(
            "missing", [missing_table_note(data.tables, "charging_sessions", "charging")]
        ), tariff_info
    start = data.as_of + timedelta(days=1) - timedelta(weeks=params.flex_weeks)
    cs = cs.filter(pl.col("plug_in_ts").dt.date() >= start).with_columns(
        vehicle_id=pl.lit(data.vehicle_id)
    )
    if cs.height == 0:
        return section(
            "missing", [f"no charging sessions in the last {params.flex_weeks} weeks"]
        ), tariff_info
    try:
        from analytics.charging.simulate import simulate_managed_charging
        from analytics.charging.tariff import load_tariff
        from analytics.errors import ChargingError
    except ImportError:
        return section("missing", ["the managed-charging simulator is not installed"]), tariff_info
    try:
        res = simulate_managed_charging(cs, load_tariff(path))
    except ChargingError as exc:
        return section("missing", [f"managed charging not simulated: {exc}"]), tariff_info
    s = res.summary
    weeks = max((data.as_of - max(cs["plug_in_ts"].min().date(), start)).days + 1, 1) / 7.0
    notes: list[str] = []
    if s.get("sessions_skipped"):
        notes.append(
            f"{s['sessions_skipped']} sessions could not be scheduled (missing energy or power)"
        )
    saved = s.get("cost_saved")
    dh = s["high_soc_h_after"] - s["high_soc_h_before"]
    wear_points = dh / 1000.0 * params.high_soc_wear_pct_per_1000h
    wear = {
        "high_soc_hours_per_week_before": round(s["high_soc_h_before"] / weeks, 2),
        "high_soc_hours_per_week_after": round(s["high_soc_h_after"] / weeks, 2),
        "soh_points_per_year": round(wear_points / weeks * 52.18, 5),
        "cost_eur_per_week": None
        if value_per_point_eur is None
        else round(wear_points * value_per_point_eur / weeks, 3),
        "method": "change in hours above 90 % SoC x high_soc_wear_pct_per_1000h x value per SoH point (valuation model)",
        "note": "negative = managed charging spares the battery (it reaches a high SoC later)",
    }
    if value_per_point_eur is None:
        notes.append(
            "wear cost in EUR not computed: no book value (see finance valuation parameters)"
        )
    return section(
        "ok" if not notes else "partial",
        notes,
        tariff=s["tariff"],
        currency=s.get("currency"),
        objective=s["objective"],
        window_weeks=round(weeks, 2),
        sessions=int(s["sessions"]),
        kwh_shifted_per_week=round(s["kwh_shifted"] / weeks, 2),
        cost_saved_per_week=None if saved is None else round(saved / weeks, 3),
        emissions_saved_kg_per_week=None
        if s.get("emissions_saved_kg") is None
        else round(s["emissions_saved_kg"] / weeks, 3),
        sessions_ended_short=int(s["sessions_ended_short"]),
        battery_wear=wear,
    ), tariff_info
