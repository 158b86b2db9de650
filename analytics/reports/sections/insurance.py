"""Insurance report: how the battery was treated, what looks wrong, what a replacement costs."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from analytics.reports.data import VehicleData
from analytics.reports.params import ReportParams
from analytics.reports.sections.base import estimate, finite, missing_table_note, section
from analytics.reports.sections.finance import forecast_at

__all__ = ["anomalies", "integrity", "replacement_exposure", "treatment"]

_DRIVERS = {
    "penalty_dc": ("fast charging", "dc_energy_share"),
    "penalty_high_soc": ("time at high SoC", "share_time_above_90_pct"),
    "penalty_low_soc": ("time at low SoC", "share_time_below_10_pct"),
    "penalty_hot": ("charging hot", "hot_charge_energy_share"),
    "penalty_cold": ("charging cold", "cold_charge_energy_share"),
    "penalty_dod": ("deep discharges", "p90_dod_pct"),
}


def treatment(data: VehicleData, fleet_scores: pl.DataFrame) -> dict[str, Any]:
    """The battery-treatment score (0 harsh .. 100 gentle) and the drivers that lowered it."""
    st = data.table("charging_stress")
    if st.height == 0:
        return section("missing", [missing_table_note(data.tables, "charging_stress", "charging")])
    notes: list[str] = []
    # the whole-history score applies when it ends by the as-of date, or when the vehicle
    # has no data after the as-of date (the period is labelled to the end of its quarter)
    covers = data.last_data is not None and data.last_data <= data.as_of
    whole = st.filter(
        (pl.col("period") == "all")
        & ((pl.col("period_end") <= data.as_of + timedelta(days=1)) | pl.lit(covers))
    )
    if whole.height == 0:
        whole = st.filter(
            (pl.col("period") != "all") & (pl.col("period_end") <= data.as_of + timedelta(days=1))
        ).sort("period_end")
        if whole.height == 0:
            return section("missing", ["the treatment score covers data after the as-of date only"])
        notes.append(
            "score of the latest quarter before the as-of date (the whole-history score covers later data)"
        )
    row = whole.row(-1, named=True)
    drivers = []
    for col, (label, indicator) in _DRIVERS.items():
        pen = finite(row.get(col))
        if pen is None:
            continue
        drivers.append(
            {
                "driver": label,
                "penalty_points": round(pen, 2),
                "indicator": indicator,
                "indicator_value": finite(row.get(indicator)),
            }
        )
    drivers.sort(key=lambda d: -d["penalty_points"])
    score = finite(row.get("treatment_score"))
    pct = None
    if score is not None and fleet_scores.height >= 5:
        vals = fleet_scores["treatment_score"].drop_nulls().to_numpy()
        pct = round(100.0 * (np.sum(vals < score) + 0.5 * np.sum(vals == score)) / vals.size, 1)
    return section(
        "ok",
        notes,
        score=None if score is None else round(score, 1),
        scale="0 = harsh .. 100 = gentle",
        fleet_percentile=pct,
        main_driver=row.get("main_driver"),
        drivers=drivers,
        period={"start": row["period_start"].isoformat(), "end": row["period_end"].isoformat()},
        method=row.get("method") or "charging_stress",
    )


def _drops(data: VehicleData, params: ReportParams) -> list[dict[str, Any]]:
    soh = data.soh.filter(pl.col("soh_pct").is_not_null()) if data.soh.height else data.soh
    if soh.height < 2:
        return []
    s = (
        soh.select("date", "soh_pct")
        .upsample("date", every="1d")
        .with_columns(pl.col("soh_pct").forward_fill())
    )
    w = params.capacity_drop_window_days
    s = s.with_columns(prior_max=pl.col("soh_pct").rolling_max(window_size=w + 1, min_samples=1))
    hits = s.filter(pl.col("prior_max") - pl.col("soh_pct") >= params.capacity_drop_points)
    if hits.height == 0:
        return []
    first = hits.row(0, named=True)
    return [
        {
            "event": "sudden_capacity_drop",
            "first_date": first["date"].isoformat(),
            "days": hits.height,
            "largest_drop_points": round(float((hits["prior_max"] - hits["soh_pct"]).max()), 2),
            "detail": f"fused SoH fell >= {params.capacity_drop_points:g} points within {w} days",
        }
    ]


def anomalies(
    data: VehicleData, params: ReportParams
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Cell-voltage spread growth, sudden capacity drops, thermal events; also the passport's negative events."""
    found: list[dict[str, Any]] = []
    notes: list[str] = []
    cells = (
        data.signal_days.filter(pl.col("cell_spread_p95_mv").is_not_null())
        if data.signal_days.height
        else data.signal_days
    )
    spread: dict[str, Any] | None = None
    if cells.height >= 60:
        first = float(cells.head(30)["cell_spread_p95_mv"].median())
        last = float(cells.tail(30)["cell_spread_p95_mv"].median())
        spread = {
            "first_30_days_mv": round(first, 1),
            "last_30_days_mv": round(last, 1),
            "growth_mv": round(last - first, 1),
        }
        if last - first >= params.cell_spread_growth_mv:
            found.append(
                {
                    "event": "cell_voltage_spread_growing",
                    "first_date": cells.tail(30)["date"][0].isoformat(),
                    "days": 30,
                    "detail": f"95th-percentile cell spread grew {last - first:.0f} mV (threshold {params.cell_spread_growth_mv:g} mV)",
                }
            )
    else:
        notes.append(
            "cell-voltage spread not assessed: fewer than 60 days with cell min/max voltages"
        )
    found += _drops(data, params)
    s = data.sessions
    if s.height:
        for label, cond, thr in (
            (
                "thermal_event_hot",
                pl.col("battery_temp_max_c") >= params.thermal_event_temp_c,
                params.thermal_event_temp_c,
            ),
            (
                "thermal_event_cold",
                pl.col("battery_temp_min_c") <= params.cold_event_temp_c,
                params.cold_event_temp_c,
            ),
        ):
            hit = s.filter(cond)
            if hit.height:
                found.append(
                    {
                        "event": label,
                        "first_date": hit["start_ts"].min().date().isoformat(),
                        "days": hit["start_ts"].dt.date().n_unique(),
                        "detail": f"{hit.height} sessions with battery temperature beyond {thr:g} °C",
                    }
                )
    else:
        notes.append("thermal events not assessed: no sessions")
    if data.soh.height and data.soh["flags"].drop_nulls().str.contains("disagree").any():
        notes.append("the SoH methods disagreed on some days (see soh flags)")
    status = "ok" if not notes else "partial"
    return section(status, notes, events=found, cell_spread=spread), found


def integrity(data: VehicleData) -> dict[str, Any]:
    """Odometer rollback, gaps, and clock problems found in the vehicle's sessions and signals."""
    flags: list[dict[str, Any]] = []
    notes: list[str] = []
    s = data.sessions
    if s.height:
        odo = s.filter(pl.col("odometer_start_km").is_not_null()).with_columns(
            prev=pl.col("odometer_end_km").cum_max().shift(1)
        )
        back = odo.filter(pl.col("odometer_start_km") < pl.col("prev") - 1.0)
        if back.height:
            flags.append(
                {
                    "flag": "odometer_rollback",
                    "count": back.height,
                    "first_date": back["start_ts"].min().date().isoformat(),
                    "detail": f"largest step back {float((back['prev'] - back['odometer_start_km']).max()):.0f} km",
                }
            )
        # a car cannot drive or charge twice at once: overlaps there point at the clock
        ordered = (
            s.filter(pl.col("kind").is_in(["drive", "charge"]))
            .sort("start_ts")
            .with_columns(prev_end=pl.col("end_ts").shift(1))
        )
        overlap = ordered.filter(pl.col("start_ts") < pl.col("prev_end") - pl.duration(seconds=60))
        jumps = s.filter(pl.col("flags").fill_null("").str.contains("clock"))
        if overlap.height or jumps.height:
            flags.append(
                {
                    "flag": "clock_irregularity",
                    "count": overlap.height + jumps.height,
                    "first_date": pl.concat([overlap["start_ts"], jumps["start_ts"]])
                    .min()
                    .date()
                    .isoformat(),
                    "detail": f"{overlap.height} overlapping drive/charge sessions, {jumps.height} sessions with clock jumps",
                }
            )
    else:
        notes.append("no sessions: odometer and clock checks use the daily signals only")
    d = data.signal_days
    if d.height >= 2:
        dd = d.with_columns(prev_last=pl.col("odometer_max_km").cum_max().shift(1))
        back = dd.filter(pl.col("odometer_min_km") < pl.col("prev_last") - 1.0)
        if back.height and not any(f["flag"] == "odometer_rollback" for f in flags):
            flags.append(
                {
                    "flag": "odometer_rollback",
                    "count": back.height,
                    "first_date": back["date"][0].isoformat(),
                    "detail": "daily odometer below an earlier day's",
                }
            )
        gaps = d.with_columns(
            gap=(pl.col("date") - pl.col("date").shift(1)).dt.total_days() - 1
        ).filter(pl.col("gap") >= 7)
        if gaps.height:
            flags.append(
                {
                    "flag": "data_gaps",
                    "count": gaps.height,
                    "first_date": gaps["date"][0].isoformat(),
                    "detail": f"{gaps.height} gaps of 7+ days, longest {int(gaps['gap'].max())} days, {int(gaps['gap'].sum())} days in all",
                }
            )
    elif "signals" in data.tables:
        notes.append("fewer than two days of signals: gaps not assessed")
    _quality_flags(data, flags)
    if "quality_events" not in data.tables:
        notes.append(
            "no quality stage output (`analytics quality`): checks above come from sessions and signals only"
        )
    return section("ok" if not notes else "partial", notes, flags=flags)


_QUALITY_KINDS = {
    "clock_jump": "clock_irregularity",
    "odometer_rollback": "odometer_rollback",
    "gap_missing_data": "data_gaps",
    "stuck_sensor": "stuck_sensor",
}


def _quality_flags(data: VehicleData, flags: list[dict[str, Any]]) -> None:
    """Merge the quality stage's findings into ``flags`` (one flag per kind, never twice)."""
    q = data.table("quality_events")
    if q.height == 0:
        return
    span = 1.0
    if data.signal_days.height:
        span = max((data.signal_days["date"].max() - data.signal_days["date"].min()).days + 1, 1)
    for r in q.iter_rows(named=True):
        name = _QUALITY_KINDS.get(r["kind"])
        if name is None:
            continue
        days = float(r["days"] or 0.0)
        if name == "data_gaps" and days < max(1.0, 0.05 * span):
            continue  # short stretches without data while the car was in use: not an integrity issue
        detail = f"quality stage: {r['events']} {r['kind'].replace('_', ' ')} event(s)"
        if name == "data_gaps":
            detail += f", {days:.1f} days in all ({100 * days / span:.0f} % of the span), longest {r['longest_h']:.0f} h"
        elif r["magnitude"] is not None:
            detail += f", total magnitude {r['magnitude']:.0f}"
        mine = next((f for f in flags if f["flag"] == name), None)
        if mine is None:
            flags.append(
                {
                    "flag": name,
                    "count": int(r["events"]),
                    "first_date": r["first_date"].isoformat(),
                    "detail": detail,
                }
            )
        else:
            mine["detail"] += f"; {detail}"
            mine["count"] = max(mine["count"], int(r["events"]))


def replacement_exposure(
    data: VehicleData, params: ReportParams, ctx: dict[str, Any]
) -> dict[str, Any]:
    """Replacement cost (interval) times the chance the pack falls below the replacement SoH in the term."""
    kwh = finite(data.vehicle.get("nominal_capacity_kwh"))
    if kwh is None:
        return section("missing", ["no exposure: the vehicle record has no pack capacity"])
    cost = estimate(
        kwh * params.pack_cost_eur_per_kwh + params.labour_eur,
        kwh * params.pack_cost_low_eur_per_kwh + params.labour_low_eur,
        kwh * params.pack_cost_high_eur_per_kwh + params.labour_high_eur,
        unit="EUR",
        method="pack kWh x price per kWh + labour (parameters)",
        decimals=0,
        interval_pct=None,
    )
    cost["interval_note"] = "low/high = the parameter range, not a statistical interval"
    end = data.as_of + timedelta(days=round(params.policy_term_months * 365.25 / 12))
    fc = forecast_at(data, end, "the policy end")
    notes = list(fc["notes"])
    prob = None
    if fc["status"] != "missing":
        f = fc["soh"]
        if f["low"] is not None and f["high"] is not None and f["high"] > f["low"]:
            sd = (f["high"] - f["low"]) / (2 * 1.6448536269514722)
            prob = 0.5 * math.erfc((f["value"] - params.replacement_soh_pct) / (sd * math.sqrt(2)))
        else:
            prob = float(f["value"] < params.replacement_soh_pct)
    expected = None
    if prob is not None:
        expected = estimate(
            prob * cost["value"],
            prob * cost["low"],
            prob * cost["high"],
            unit="EUR",
            method="P(replacement in term) x replacement cost",
            decimals=0,
            interval_pct=None,
        )
    warranty = _warranty_covers(data, ctx, end)
    if warranty:
        notes.append(warranty)
    return section(
        "ok" if prob is not None else "partial",
        notes,
        replacement_cost=cost,
        term_end=end.isoformat(),
        replacement_soh_pct=params.replacement_soh_pct,
        probability_replacement_in_term=None if prob is None else round(prob, 5),
        expected_exposure=expected,
    )


def _warranty_covers(data: VehicleData, ctx: dict[str, Any], end: date) -> str | None:
    v = data.vehicle
    years, km, soh = (
        finite(v.get("warranty_years")),
        finite(v.get("warranty_km")),
        finite(v.get("warranty_soh_pct")),
    )
    reg = v.get("first_registration_date")
    if years is None or reg is None:
        return None
    until = reg + timedelta(days=round(years * 365.25))
    within_km = km is None or (ctx.get("odometer_km") or 0) < km
    if until >= end and within_km:
        soh_txt = "n/a" if soh is None else f"{soh:g} %"
        km_txt = "no distance limit" if km is None else f"{km:,.0f} km"
        return (
            f"the manufacturer's battery warranty ({soh_txt} SoH, until {until.isoformat()[:7]}, {km_txt}) "
            "covers the term while its limits hold"
        )
    return None
