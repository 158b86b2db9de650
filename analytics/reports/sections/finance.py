"""Finance report: battery health certificate and lender figures."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from analytics.reports.data import VehicleData
from analytics.reports.params import ReportParams
from analytics.reports.sections.base import (
    Z90,
    estimate,
    finite,
    interp_on_dates,
    missing_table_note,
    section,
)

__all__ = [
    "cohort_percentile",
    "degradation_rate",
    "forecast_at",
    "loan_end_date",
    "milestones",
    "usable_range",
]


def usable_range(data: VehicleData, params: ReportParams, soh: dict[str, Any]) -> dict[str, Any]:
    """Range now and new at the reference temperature: usable kWh over the vehicle's consumption."""
    v = data.vehicle
    notes: list[str] = []
    usable = finite(v.get("usable_capacity_kwh"))
    basis = "usable_capacity_kwh"
    if usable is None:
        usable = finite(v.get("nominal_capacity_kwh"))
        basis = "nominal_capacity_kwh (no usable capacity in the vehicle record)"
    if usable is None:
        return section("missing", ["no range: the vehicle record has no battery capacity"])
    drives = (
        data.sessions.filter(pl.col("kind") == "drive") if data.sessions.height else data.sessions
    )
    if drives.height:
        drives = drives.with_columns(
            net_kwh=pl.col("energy_out_kwh").fill_null(0) - pl.col("energy_in_kwh").fill_null(0)
        ).filter((pl.col("distance_km") >= 3) & (pl.col("net_kwh") > 0))
    if drives.height == 0:
        return section(
            "missing",
            [
                "no range: no drives with distance and energy"
                if "sessions" in data.tables
                else missing_table_note(data.tables, "sessions", "sessions")
            ],
        )
    lo_t = params.range_reference_temp_c - params.range_temp_band_c
    hi_t = params.range_reference_temp_c + params.range_temp_band_c
    band = drives.filter(pl.col("ambient_temp_c").is_between(lo_t, hi_t))
    scope = f"drives at {lo_t:g}..{hi_t:g} °C ambient"
    if band.height < 10:
        notes.append(
            f"only {band.height} drives near {params.range_reference_temp_c:g} °C; consumption from all {drives.height} drives"
        )
        band, scope = drives, "all drives (too few near the reference temperature)"
    d = band["distance_km"].to_numpy().astype(float)
    e = band["net_kwh"].to_numpy().astype(float)
    c = e.sum() / d.sum()
    w = d / d.sum()
    se = float(np.sqrt(np.sum(w**2 * (e / d - c) ** 2)))
    c_lo, c_hi = max(c - Z90 * se, 1e-6), c + Z90 * se
    energy = soh.get("energy_soh") if soh.get("status") != "missing" else None
    consumption = estimate(
        c * 100,
        c_lo * 100,
        c_hi * 100,
        unit="kWh/100 km",
        method=f"distance-weighted mean over {band.height} {scope}",
    )
    new = estimate(
        usable / c,
        usable / c_hi,
        usable / c_lo,
        unit="km",
        method="usable kWh new / consumption",
        decimals=0,
    )
    now = None
    if energy and energy["value"] is not None:
        es, el, eh = energy["value"], energy["low"], energy["high"]
        now = estimate(
            usable * es / 100 / c,
            None if el is None else usable * el / 100 / c_hi,
            None if eh is None else usable * eh / 100 / c_lo,
            unit="km",
            method="usable kWh new x energy SoH / consumption",
            decimals=0,
        )
    else:
        notes.append("range now not computed: no energy SoH")
    return section(
        "ok" if now else "partial",
        notes,
        reference_temp_c=params.range_reference_temp_c,
        usable_capacity_new_kwh=round(usable, 2),
        capacity_basis=basis,
        consumption=consumption,
        range_new=new,
        range_now=now,
    )


def cohort_percentile(
    cohort: pl.DataFrame,
    data: VehicleData,
    params: ReportParams,
    soh: dict[str, Any],
    ctx: dict[str, Any],
) -> dict[str, Any]:
    """Rank the vehicle's SoH among vehicles of the same model, similar age and distance."""
    if soh.get("status") == "missing":
        return section("missing", ["no percentile: no SoH for this vehicle"])
    if cohort.height == 0:
        return section("missing", ["no percentile: no other vehicle has an SoH in the warehouse"])
    v = data.vehicle
    me = soh["capacity_soh"]
    others = cohort.filter(pl.col("vehicle_id") != data.vehicle_id)
    age = ctx["age_years"]
    odo = ctx["odometer_km"]
    others = others.with_columns(
        age_years=(
            (
                pl.lit(data.as_of) - pl.coalesce("first_registration_date", "first_date")
            ).dt.total_days()
            / 365.25
        )
    )
    steps: list[tuple[str, pl.Expr]] = []
    same_model = pl.lit(True)
    if v.get("model"):
        same_model = (pl.col("model") == v["model"]) & (
            pl.col("make").eq_missing(pl.lit(v.get("make")))
        )
    elif v.get("chemistry"):
        same_model = pl.col("chemistry") == v["chemistry"]
    near_age = (
        pl.lit(True)
        if age is None
        else (pl.col("age_years") - age).abs() <= params.cohort_age_window_years
    )
    near_km = pl.lit(True)
    if odo is not None:
        tol = max(odo * params.cohort_distance_window_pct / 100, 5000.0)
        near_km = (pl.col("odometer_km") - odo).abs() <= tol
    steps = [
        ("same model, similar age and distance", same_model & near_age & near_km),
        ("same model, similar age", same_model & near_age),
        ("same model, any age", same_model),
    ]
    notes: list[str] = []
    for label, cond in steps:
        group = others.filter(cond)
        if group.height >= params.cohort_min_size:
            break
        notes.append(
            f"cohort '{label}' has {group.height} vehicles (< {params.cohort_min_size}); widened"
        )
    else:
        return section(
            "missing", [*notes, "no percentile: too few comparable vehicles in the warehouse"]
        )
    vals = group["soh_pct"].to_numpy().astype(float)

    def pct(x: float | None) -> float | None:
        if x is None:
            return None
        return 100.0 * (np.sum(vals < x) + 0.5 * np.sum(vals == x)) / vals.size

    return section(
        "ok" if label.startswith("same model, similar age and") else "partial",
        notes,
        cohort_definition=label,
        cohort_size=int(group.height),
        cohort_median_soh_pct=round(float(np.median(vals)), 2),
        cohort_p10_soh_pct=round(float(np.percentile(vals, 10)), 2),
        cohort_p90_soh_pct=round(float(np.percentile(vals, 90)), 2),
        percentile=estimate(
            pct(me["value"]),
            pct(me["low"]),
            pct(me["high"]),
            unit="percentile rank",
            method="mid-rank of capacity SoH in cohort; interval = ranks of the SoH interval ends",
            decimals=1,
        ),
    )


def _wls_rate(obs: pl.DataFrame, as_of: date) -> tuple[float, float, float, str]:
    """Slope of SoH in points/year (positive = loss) with a 90 % interval.

    Weighted least squares with one offset per method (biases between methods cannot pass
    for ageing). Errors of observations close in time are correlated (season, BMS
    recalibration), so the interval uses standard errors clustered by calendar month with a
    t quantile on (months - 1) degrees of freedom, and never narrower than the classical one.
    """
    from scipy.stats import t as student_t

    t = np.array([(d - as_of).days / 365.25 for d in obs["date"].to_list()])
    methods = sorted(obs["method"].unique().to_list())
    m = np.array(obs["method"].to_list())
    X = np.column_stack([t] + [(m == k).astype(float) for k in methods])
    w = 1.0 / obs["soh_sigma_pct"].to_numpy().astype(float)
    y = obs["soh_pct"].to_numpy().astype(float)
    xw, yw = X * w[:, None], y * w
    coef, *_ = np.linalg.lstsq(xw, yw, rcond=None)
    u = yw - xw @ coef
    n, k = xw.shape
    bread = np.linalg.pinv(xw.T @ xw)
    classic = bread[0, 0] * max(1.0, float(u @ u) / max(n - k, 1))
    month = np.array([d.year * 12 + d.month for d in obs["date"].to_list()])
    _, g = np.unique(month, return_inverse=True)
    groups = int(g.max()) + 1
    if groups >= 4:
        scores = np.zeros((groups, k))
        np.add.at(scores, g, xw * u[:, None])
        cov = bread @ (scores.T @ scores) @ bread * groups / (groups - 1) * (n - 1) / max(n - k, 1)
        se = float(np.sqrt(max(cov[0, 0], classic)))
        q = float(student_t.ppf(0.95, groups - 1))
        how = f"interval from errors clustered by month ({groups} months, t quantile)"
    else:
        se, q = float(np.sqrt(classic)), Z90
        how = "interval from the scatter about the fit (fewer than 4 months: may be optimistic)"
    rate = -float(coef[0])
    return rate, rate - q * se, rate + q * se, how


def degradation_rate(data: VehicleData) -> dict[str, Any]:
    """SoH loss per year: weighted least squares over kept observations, one offset per method."""
    obs = data.observations
    if obs.height:
        obs = obs.filter(
            pl.col("kept")
            & pl.col("soh_pct").is_not_null()
            & (pl.col("quantity") != "resistance_mohm")
            & (pl.col("soh_sigma_pct") > 0)
            & (pl.col("date") > data.as_of - timedelta(days=730))
        )
    if obs.height >= 8 and (obs["date"].max() - obs["date"].min()).days >= 60:
        rate, lo, hi, how = _wls_rate(obs, data.as_of)
        span = (obs["date"].max() - obs["date"].min()).days
        methods = ", ".join(sorted(obs["method"].unique().to_list()))
        notes = (
            [] if span >= 180 else [f"rate from only {span} days of observations; wide interval"]
        )
        bms_share = float(obs["method"].str.starts_with("bms").mean())
        if bms_share > 0.8:
            notes.append(
                f"{100 * bms_share:.0f} % of the observations are BMS-reported values, whose bias can "
                "drift with age; the interval does not cover such a drift"
            )
        return section(
            "ok" if len(notes) == 0 else "partial",
            notes,
            rate=estimate(
                rate,
                lo,
                hi,
                unit="SoH points/year",
                method=f"WLS on {obs.height} kept observations over {span} days, offsets per method "
                f"({methods}); {how}",
            ),
        )
    soh = data.soh.filter(pl.col("soh_pct").is_not_null()) if data.soh.height else data.soh
    if soh.height >= 60:
        a, b = soh.row(0, named=True), soh.row(-1, named=True)
        years = (b["date"] - a["date"]).days / 365.25
        hw = [
            (r["soh_high_pct"] - r["soh_low_pct"]) / 2
            for r in (a, b)
            if r["soh_high_pct"] is not None
        ]
        rate = (a["soh_pct"] - b["soh_pct"]) / years
        half = float(np.sqrt(sum(h * h for h in hw))) / years if len(hw) == 2 else None
        return section(
            "partial",
            ["too few kept observations for a regression; rate from the fused series' end points"],
            rate=estimate(
                rate,
                None if half is None else rate - half,
                None if half is None else rate + half,
                unit="SoH points/year",
                method="difference of fused SoH over the series",
            ),
        )
    return section(
        "missing", ["no degradation rate: fewer than 60 days of SoH and too few observations"]
    )


def loan_end_date(params: ReportParams, as_of: date) -> date:
    if params.loan_end:
        return date.fromisoformat(params.loan_end)
    return as_of + timedelta(days=round(params.loan_months * 365.25 / 12))


def _baseline(frame: pl.DataFrame) -> pl.DataFrame:
    if frame.height and "scenario" in frame.columns:
        return frame.filter(pl.col("scenario").fill_null("baseline") == "baseline")
    return frame


def forecast_at(data: VehicleData, target: date, label: str) -> dict[str, Any]:
    """Forecast SoH with its interval at ``target`` (linear between the forecast's dates)."""
    fc = _baseline(data.forecasts)
    if fc.height == 0:
        return section("missing", [missing_table_note(data.tables, "forecasts", "forecast")])
    fc = fc.sort("date")
    val = interp_on_dates(fc["date"], fc["soh_pct"], target)
    notes: list[str] = []
    if val is None:
        if target < fc["date"].min():
            row = latest = (
                data.soh.filter(pl.col("soh_pct").is_not_null()).row(-1, named=True)
                if data.soh.height
                else None
            )
            if latest is not None:
                notes.append(
                    f"{label} lies before the first forecast date; the current SoH applies"
                )
                return section(
                    "partial",
                    notes,
                    date=target.isoformat(),
                    soh=estimate(
                        row["soh_pct"],
                        row["soh_low_pct"],
                        row["soh_high_pct"],
                        unit="%",
                        method=row["method"] or "fused",
                    ),
                )
        return section(
            "missing",
            [
                f"{label} ({target}) lies beyond the forecast horizon (last forecast {fc['date'].max()})"
            ],
        )
    lo = interp_on_dates(fc["date"], fc["soh_low_pct"], target)
    hi = interp_on_dates(fc["date"], fc["soh_high_pct"], target)
    model = fc["model"][0] if "model" in fc.columns else "unknown"
    if (
        "extrapolated" in fc.columns
        and fc.filter(pl.col("date") <= target)["extrapolated"].fill_null(False).any()
    ):
        notes.append("the forecast extrapolates beyond the ageing model's valid range at this date")
    return section(
        "ok" if not notes else "partial",
        notes,
        date=target.isoformat(),
        soh=estimate(val, lo, hi, unit="%", method=f"forecast model {model}, baseline scenario"),
    )


def milestones(data: VehicleData) -> dict[str, Any]:
    """Dates and odometer at 80 % / 70 % with intervals, and threshold-breach probabilities."""
    ms = _baseline(data.milestones)
    if ms.height == 0:
        return section("missing", [missing_table_note(data.tables, "milestones", "forecast")])
    levels, thresholds = [], []

    def iso(x: Any) -> str | None:
        return x.isoformat() if x is not None else None

    for r in ms.sort(
        "soh_threshold_pct", "threshold_id", descending=[True, False], nulls_last=True
    ).iter_rows(named=True):
        if r.get("kind") == "soh_level":
            levels.append(
                {
                    "threshold_id": r["threshold_id"],
                    "soh_threshold_pct": finite(r.get("soh_threshold_pct")),
                    "date": {
                        "expected": iso(r.get("expected_date")),
                        "earliest_5pct": iso(r.get("date_low")),
                        "latest_95pct": iso(r.get("date_high")),
                    },
                    "odometer_km": estimate(
                        r.get("expected_odometer_km"),
                        r.get("odometer_low_km"),
                        r.get("odometer_high_km"),
                        unit="km",
                        method=r.get("model") or "forecast",
                        decimals=0,
                    ),
                    "probability_within_horizon": finite(r.get("probability_within_horizon")),
                    "note": r.get("note"),
                }
            )
        else:
            thresholds.append(
                {
                    "threshold_id": r["threshold_id"],
                    "soh_threshold_pct": finite(r.get("soh_threshold_pct")),
                    "limit_years": finite(r.get("limit_years")),
                    "limit_km": finite(r.get("limit_km")),
                    "breach_probability": None
                    if finite(r.get("breach_probability")) is None
                    else round(float(r["breach_probability"]), 4),
                    "source": r.get("source"),
                    "note": r.get("note"),
                }
            )
    notes = [] if levels else ["no 80 %/70 % milestones in the forecast tables"]
    return section(
        "ok" if levels and thresholds else "partial",
        notes,
        soh_levels=levels,
        thresholds=thresholds,
    )
