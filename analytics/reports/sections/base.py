"""Building blocks shared by report sections: estimates with intervals and honest gaps."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import polars as pl

__all__ = [
    "Z90",
    "estimate",
    "finite",
    "interp_on_dates",
    "missing_table_note",
    "section",
]

Z90 = 1.6448536269514722
"""Two-sided 90 % normal quantile."""


def finite(x: Any) -> float | None:
    """``x`` as a float, or None when it is missing or not finite."""
    if x is None:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def estimate(
    value: Any,
    low: Any = None,
    high: Any = None,
    *,
    unit: str,
    method: str,
    interval_pct: float | None = 90.0,
    decimals: int = 2,
    **extra: Any,
) -> dict[str, Any]:
    """A figure with its interval, unit and method (the shape every estimate takes)."""
    v, lo, hi = finite(value), finite(low), finite(high)

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, decimals)

    out: dict[str, Any] = {
        "value": r(v),
        "low": r(lo),
        "high": r(hi),
        "interval_pct": interval_pct if lo is not None and hi is not None else None,
        "unit": unit,
        "method": method,
    }
    out.update(extra)
    return out


def section(status: str, notes: list[str], **content: Any) -> dict[str, Any]:
    """A report section: ``status`` ok | partial | missing, plain-language notes, figures."""
    return {"status": status, "notes": notes, **content}


def missing_table_note(tables: set[str], table: str, stage: str) -> str:
    """Say why a table gives nothing: absent from the warehouse, or empty for this vehicle."""
    if table not in tables:
        return (
            f"the warehouse has no `{table}` table yet (this installation has not run "
            f"`analytics {stage}`); this part is left out"
        )
    return f"the `{table}` table holds no rows for this vehicle up to the as-of date (run `analytics {stage}`)"


def interp_on_dates(dates: pl.Series, values: pl.Series, target: date) -> float | None:
    """Linear interpolation of a daily series at ``target``; None outside its range."""
    if dates.len() == 0:
        return None
    x = np.array([d.toordinal() for d in dates.to_list()], dtype=float)
    y = values.cast(pl.Float64).to_numpy()
    ok = np.isfinite(y)
    if not ok.any():
        return None
    x, y = x[ok], y[ok]
    t = float(target.toordinal())
    if t < x[0] or t > x[-1]:
        return None
    return float(np.interp(t, x, y))
