"""Residual-value adjustment from battery health: a small, documented, overridable model.

Form (every parameter is in :class:`~analytics.reports.params.ReportParams`)::

    book_value      = given, else price_new × (1 − d1) × (1 − d)^(age − 1)   (age ≥ 1 year;
                      pro rata in the first year)
    gap_points      = SoH(vehicle) − median SoH(cohort)                      [SoH points]
    adjustment_pct  = value_per_soh_point_pct × gap_points                  [% of book value]
    adjustment_pct  clipped to ± battery_share_pct                           (the battery
                      cannot add or remove more than its own share of the value)
    adjustment_eur  = book_value × adjustment_pct / 100

The interval carries the SoH interval through the same formula (the cohort median is taken as
known; its sampling error is small next to a single vehicle's). The default 0.5 % of value
per SoH point follows published used-EV market analyses; lenders should set their own.
Valid range: vehicles with a cohort; the model is linear and says nothing about packs far
below the cohort (a pack under the replacement threshold is worth its replacement cost less).
"""

from __future__ import annotations

from typing import Any

from analytics.reports.params import ReportParams
from analytics.reports.sections.base import estimate, finite

__all__ = ["MODEL_NAME", "book_value", "residual_adjustment"]

MODEL_NAME = "linear_soh_gap_v1"


def book_value(
    params: ReportParams, price_new_eur: float | None, age_years: float | None
) -> tuple[float | None, str]:
    """The book value used and how it was obtained."""
    if params.book_value_eur is not None:
        return float(params.book_value_eur), "given (book_value_eur)"
    price = params.price_new_eur if params.price_new_eur is not None else price_new_eur
    if price is None:
        return None, "unknown: no book value given and no new price in the vehicle record"
    if age_years is None:
        return None, "unknown: the vehicle's age is not known (no registration date, no data)"
    d1 = params.depreciation_first_year_pct / 100.0
    d = params.depreciation_annual_pct / 100.0
    age = max(age_years, 0.0)
    factor = 1.0 - d1 * min(age, 1.0)
    if age > 1.0:
        factor *= (1.0 - d) ** (age - 1.0)
    return float(price) * factor, (
        f"estimated from the new price {price:,.0f} EUR with {params.depreciation_first_year_pct:g} % "
        f"the first year and {params.depreciation_annual_pct:g} %/year after (supply book_value_eur for a real figure)"
    )


def _adjust_pct(params: ReportParams, gap: float) -> float:
    cap = params.battery_share_pct
    return max(-cap, min(cap, params.value_per_soh_point_pct * gap))


def residual_adjustment(
    params: ReportParams,
    *,
    soh: dict[str, Any] | None,
    cohort_median_pct: float | None,
    price_new_eur: float | None,
    age_years: float | None,
) -> tuple[dict[str, Any], list[str]]:
    """The valuation block of a finance report and the notes explaining any gap."""
    notes: list[str] = []
    value, how = book_value(params, price_new_eur, age_years)
    block: dict[str, Any] = {
        "model": MODEL_NAME,
        "formula": "adjustment = book_value x clip(value_per_soh_point_pct x (SoH - cohort median SoH), "
        "+-battery_share_pct) / 100",
        "parameters": {
            "value_per_soh_point_pct": params.value_per_soh_point_pct,
            "battery_share_pct": params.battery_share_pct,
            "depreciation_first_year_pct": params.depreciation_first_year_pct,
            "depreciation_annual_pct": params.depreciation_annual_pct,
        },
        "book_value_eur": None if value is None else round(value, 0),
        "book_value_source": how,
        "reference_soh_pct": None if cohort_median_pct is None else round(cohort_median_pct, 2),
        "soh_gap_points": None,
        "adjustment_pct": None,
        "adjustment_eur": None,
        "adjusted_value_eur": None,
    }
    s = finite(soh.get("value")) if soh else None
    if s is None:
        notes.append("no residual-value adjustment: there is no state-of-health estimate")
        return block, notes
    if cohort_median_pct is None:
        notes.append("no residual-value adjustment: no cohort to compare the SoH with")
        return block, notes
    gap = s - cohort_median_pct
    lo, hi = finite(soh.get("low")), finite(soh.get("high"))
    gaps = [
        g
        for g in (
            None if lo is None else lo - cohort_median_pct,
            None if hi is None else hi - cohort_median_pct,
        )
    ]
    block["soh_gap_points"] = estimate(
        gap, gaps[0], gaps[1], unit="SoH points", method="SoH minus cohort median"
    )
    pct = [_adjust_pct(params, g) if g is not None else None for g in (gap, *gaps)]
    block["adjustment_pct"] = estimate(
        pct[0], pct[1], pct[2], unit="% of book value", method=MODEL_NAME, decimals=3
    )
    if abs(params.value_per_soh_point_pct * gap) > params.battery_share_pct:
        notes.append("the adjustment hit the battery-share cap (battery_share_pct)")
    if value is None:
        notes.append(f"adjustment in EUR not computed: book value {how}")
        return block, notes
    eur = [None if x is None else value * x / 100.0 for x in pct]
    block["adjustment_eur"] = estimate(
        eur[0], eur[1], eur[2], unit="EUR", method=MODEL_NAME, decimals=0
    )
    block["adjusted_value_eur"] = estimate(
        value + eur[0],
        None if eur[1] is None else value + eur[1],
        None if eur[2] is None else value + eur[2],
        unit="EUR",
        method=MODEL_NAME,
        decimals=0,
    )
    return block, notes
