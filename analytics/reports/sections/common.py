"""Parts every report carries: vehicle context, data sufficiency, battery-passport fields."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from analytics.reports.data import VehicleData
from analytics.reports.sections.base import estimate, finite, missing_table_note, section

__all__ = [
    "GRADES",
    "battery_passport",
    "latest_soh",
    "state_of_health",
    "sufficiency",
    "vehicle_context",
]

GRADES = ("A", "B", "C", "D", "E")


def vehicle_context(data: VehicleData) -> dict[str, Any]:
    """Age, odometer and data span at the as-of date."""
    v = data.vehicle
    days = data.signal_days
    first: date | None = None
    last: date | None = None
    for frame, col in ((days, "date"), (data.soh, "date")):
        if frame.height and col in frame.columns:
            lo, hi = frame[col].min(), frame[col].max()
            first = lo if first is None or lo < first else first
            last = hi if last is None or hi > last else last
    if data.sessions.height:
        s0 = data.sessions["start_ts"].min().date()
        first = s0 if first is None or s0 < first else first
    reg = v.get("first_registration_date")
    age_ref, age_source = (reg, "registration") if reg else (first, "first_data")
    age_years = None if age_ref is None else (data.as_of - age_ref).days / 365.25
    odo = None
    if data.sessions.height and data.sessions["odometer_end_km"].drop_nulls().len():
        odo = finite(data.sessions["odometer_end_km"].drop_nulls().max())
    if odo is None and days.height and days["odometer_max_km"].drop_nulls().len():
        odo = finite(days["odometer_max_km"].drop_nulls().max())
    return {
        "age_years": None if age_years is None else round(age_years, 2),
        "age_reference": age_source,
        "odometer_km": None if odo is None else round(odo, 0),
        "first_data_date": first.isoformat() if first else None,
        "last_data_date": last.isoformat() if last else None,
    }


def latest_soh(data: VehicleData) -> dict[str, Any] | None:
    """The latest fused SoH row with a value, up to the as-of date."""
    soh = data.soh.filter(pl.col("soh_pct").is_not_null()) if data.soh.height else data.soh
    return soh.row(-1, named=True) if soh.height else None


RESISTANCE_METHOD = (
    "kalman_rts(resistance): current-step resistance at 25 °C against the vehicle's first 30 days"
)


def _energy_method(row: dict[str, Any], capacity_method: str) -> str:
    """How the SoH stage made the energy SoH (``analytics.soh.daily``): the capacity SoH less
    the extra resistive loss of a C/3 discharge, or the capacity SoH itself when there was no
    resistance reference to take that loss from."""
    energy, capacity = finite(row.get("energy_soh_pct")), finite(row.get("soh_pct"))
    if energy is not None and capacity is not None and energy == capacity:
        return f"equal to the capacity SoH, {capacity_method}: no resistance reference"
    return f"capacity SoH, {capacity_method}, less the extra resistive loss at C/3"


def state_of_health(data: VehicleData) -> dict[str, Any]:
    """Capacity SoH, energy SoH and resistance growth, each with interval and method."""
    row = latest_soh(data)
    if row is None:
        return section("missing", [missing_table_note(data.tables, "soh", "soh")])
    notes: list[str] = []
    ref = row.get("reference") or "nominal"
    temp = finite(row.get("reference_temp_c"))
    method = row.get("method") or "unknown"
    cap = estimate(
        row["soh_pct"],
        row.get("soh_low_pct"),
        row.get("soh_high_pct"),
        unit="%",
        method=method,
        reference=ref,
        reference_temp_c=temp,
        date=row["date"].isoformat(),
    )
    energy = estimate(
        row.get("energy_soh_pct"),
        row.get("energy_soh_low_pct"),
        row.get("energy_soh_high_pct"),
        unit="%",
        method=_energy_method(row, method),
        reference_temp_c=temp,
    )
    if energy["value"] is None:
        notes.append("no energy SoH: the SoH stage gave none for this date")
    elif energy["low"] is None:
        notes.append("the energy SoH carries no interval in the warehouse; read it as indicative")
    res = estimate(
        row.get("resistance_growth_pct"),
        row.get("resistance_growth_low_pct"),
        row.get("resistance_growth_high_pct"),
        unit="%",
        method=RESISTANCE_METHOD,
    )
    stale = row.get("days_since_observation")
    if stale is not None and stale > 60:
        notes.append(
            f"the last SoH observation is {int(stale)} days old; the interval has widened accordingly"
        )
    if row.get("flags"):
        notes.append(f"SoH flags: {row['flags']}")
    return section(
        "ok" if energy["value"] is not None else "partial",
        notes,
        capacity_soh=cap,
        energy_soh=energy,
        resistance_growth=res,
        observations_used=int(row.get("n_observations_total") or 0) or None,
    )


def sufficiency(data: VehicleData, soh: dict[str, Any], integrity_flags: int) -> dict[str, Any]:
    """A data-sufficiency grade A..E: days of data, usable charges, interval width, flags."""
    days = data.signal_days.height
    soh_days = data.soh.height
    span = 0
    ctx = vehicle_context(data)
    if ctx["first_data_date"] and ctx["last_data_date"]:
        span = (
            date.fromisoformat(ctx["last_data_date"]) - date.fromisoformat(ctx["first_data_date"])
        ).days + 1
    obs = data.observations
    usable = 0
    kept = 0
    bms = 0
    if obs.height:
        k = obs.filter(pl.col("kept"))
        kept = k.height
        measured = pl.col("method").is_in(["charge_counting", "ocv"])
        usable = k.filter(measured)["session_id"].n_unique()
        bms = k.filter(~measured).height
    width = None
    cap = soh.get("capacity_soh") if soh.get("status") != "missing" else None
    if cap and cap["low"] is not None and cap["high"] is not None:
        width = cap["high"] - cap["low"]
    score = 30.0 * min(span / 365.0, 1.0) + 30.0 * min(usable / 30.0, 1.0)
    score += 0.0 if width is None else 25.0 * max(0.0, min(1.0, (10.0 - width) / 8.0))
    score += max(0.0, 15.0 - 5.0 * integrity_flags)
    grade = (
        "A"
        if score >= 85
        else "B"
        if score >= 70
        else "C"
        if score >= 50
        else "D"
        if score >= 30
        else "E"
    )
    reasons: list[str] = []
    if span < 14:
        grade = "E"
        reasons.append(f"only {span} days of data")
    elif span < 90:
        grade = max(grade, "D")
        reasons.append(f"only {span} days of data")
    if usable < 3:  # BMS readings alone are the car's claim, not a measurement
        grade = max(grade, "D")
        reasons.append(
            f"only {usable} charge or rest sessions measured the capacity directly"
            + (f" (the capacity SoH also rests on {bms} BMS readings)" if bms > 0 else "")
        )
    if width is None:
        grade = "E"
        reasons.append("no SoH interval")
    elif width > 6:
        reasons.append(f"wide SoH interval ({width:.1f} points)")
    if integrity_flags:
        reasons.append(f"{integrity_flags} data-integrity flag(s)")
    thin = grade in ("D", "E")
    statement = (
        "Evidence is thin: "
        + "; ".join(reasons)
        + ". Figures are indicative, not a confident valuation."
        if thin
        else "Evidence is sufficient for the figures quoted"
        + (f" ({'; '.join(reasons)})" if reasons else "")
        + "."
    )
    return {
        "grade": grade,
        "score": round(score, 1),
        "thin_evidence": thin,
        "statement": statement,
        "span_days": span,
        "days_with_signals": days,
        "days_with_soh": soh_days,
        "usable_charge_sessions": int(usable),
        "observations_kept": int(kept),
        "soh_interval_width_points": None if width is None else round(width, 2),
        "integrity_flags": integrity_flags,
        "method": "score = 30*min(span/365,1) + 30*min(usable charges/30,1) + 25*interval term + 15 - 5*flags; "
        "A>=85, B>=70, C>=50, D>=30; capped at D below 90 days or 3 usable charges, E below 14 days or without an interval",
    }


def battery_passport(
    data: VehicleData, soh: dict[str, Any], events: list[dict[str, Any]]
) -> dict[str, Any]:
    """The EU battery passport's SoH-related fields (Regulation (EU) 2023/1542, Annex VII)."""
    v = data.vehicle
    cap = soh.get("capacity_soh") if soh.get("status") != "missing" else None
    energy = soh.get("energy_soh") if soh.get("status") != "missing" else None
    usable_new = finite(v.get("usable_capacity_kwh")) or finite(v.get("nominal_capacity_kwh"))
    rue = None
    if energy and energy["value"] is not None and usable_new is not None:
        rue = estimate(
            usable_new * energy["value"] / 100,
            None if energy["low"] is None else usable_new * energy["low"] / 100,
            None if energy["high"] is None else usable_new * energy["high"] / 100,
            unit="kWh",
            method="energy SoH x usable capacity new",
        )
    temps = data.sessions
    extremes: dict[str, Any] = {
        "max_c": None,
        "min_c": None,
        "source": "sessions battery temperature",
    }
    if temps.height:
        mx = temps["battery_temp_max_c"].drop_nulls()
        mn = temps["battery_temp_min_c"].drop_nulls()
        extremes["max_c"] = None if mx.is_empty() else round(float(mx.max()), 1)
        extremes["min_c"] = None if mn.is_empty() else round(float(mn.min()), 1)
        extremes["hours_note"] = "time above/below thresholds: see insurance treatment drivers"
    return {
        "regulation": "EU 2023/1542 battery passport, state-of-health parameters",
        "state_of_health": {"capacity_fade": cap, "energy": energy},
        "remaining_usable_energy": rue,
        "negative_events": events,
        "temperature_extremes": extremes,
    }
