"""Every parameter a report uses, explicit, documented and overridable.

Defaults live here; a params file (JSON or TOML, flat ``name = value``) overrides them, and
command-line values override the file. Each report embeds the full parameter set it was built
with, so a reader sees every assumption and ``verify`` can rebuild the same figures.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from analytics.errors import ConfigError

__all__ = ["ReportParams", "load_params", "param_docs"]


def _p(default: Any, unit: str, doc: str) -> Any:
    return field(default=default, metadata={"unit": unit, "doc": doc})


@dataclass(frozen=True)
class ReportParams:
    """Assumptions behind a report; units in the names."""

    # --- finance: valuation model -------------------------------------------------------
    book_value_eur: float | None = _p(
        None, "EUR", "current book value of the vehicle; estimated from the new price when absent"
    )
    price_new_eur: float | None = _p(
        None, "EUR", "price new; overrides vehicles.price_new_eur for the book-value estimate"
    )
    depreciation_first_year_pct: float = _p(
        20.0, "%", "value lost in the first year (book-value estimate only)"
    )
    depreciation_annual_pct: float = _p(
        12.0, "%/year", "value lost each later year, declining balance (book-value estimate only)"
    )
    value_per_soh_point_pct: float = _p(
        0.5,
        "% of value per SoH point",
        "residual-value change per point of SoH above/below the cohort",
    )
    battery_share_pct: float = _p(
        35.0, "%", "battery's share of the vehicle's value: caps the adjustment either way"
    )
    loan_months: float = _p(
        36.0, "months", "loan term from the as-of date (ignored if loan_end is set)"
    )
    loan_end: str | None = _p(None, "date", "loan end date (YYYY-MM-DD)")
    range_reference_temp_c: float = _p(
        20.0, "°C", "ambient temperature at which usable range is quoted"
    )
    range_temp_band_c: float = _p(
        7.5, "°C", "drives within ± this of the reference temperature set the consumption"
    )
    cohort_age_window_years: float = _p(1.5, "years", "cohort: age within ± this")
    cohort_distance_window_pct: float = _p(50.0, "%", "cohort: odometer within ± this share")
    cohort_min_size: int = _p(5, "vehicles", "smallest cohort a percentile is computed on")
    # --- insurance -----------------------------------------------------------------------
    pack_cost_eur_per_kwh: float = _p(150.0, "EUR/kWh", "replacement pack price, central")
    pack_cost_low_eur_per_kwh: float = _p(110.0, "EUR/kWh", "replacement pack price, low end")
    pack_cost_high_eur_per_kwh: float = _p(220.0, "EUR/kWh", "replacement pack price, high end")
    labour_eur: float = _p(1500.0, "EUR", "replacement labour and disposal, central")
    labour_low_eur: float = _p(800.0, "EUR", "replacement labour, low end")
    labour_high_eur: float = _p(2500.0, "EUR", "replacement labour, high end")
    policy_term_months: float = _p(12.0, "months", "insurance term the exposure is computed for")
    replacement_soh_pct: float = _p(
        70.0, "%", "SoH below which a pack is taken to need replacement"
    )
    thermal_event_temp_c: float = _p(
        55.0, "°C", "battery temperature that counts as a thermal event"
    )
    cold_event_temp_c: float = _p(-25.0, "°C", "battery temperature that counts as a cold extreme")
    capacity_drop_points: float = _p(
        3.0, "SoH points", "a drop this large within the window is an anomaly"
    )
    capacity_drop_window_days: int = _p(30, "days", "window for the sudden-drop test")
    cell_spread_growth_mv: float = _p(
        10.0, "mV", "growth of the daily cell-voltage spread that counts as an anomaly"
    )
    # --- utility -------------------------------------------------------------------------
    tariff: str | None = _p(
        None,
        "path",
        "tariff file for managed-charging savings (data/tariffs/*); none = no savings figure",
    )
    flex_weeks: int = _p(12, "weeks", "window before the as-of date for flexibility figures")
    high_soc_wear_pct_per_1000h: float = _p(
        0.3,
        "SoH points per 1000 h",
        "extra capacity loss per 1000 h held above 90 % SoC vs mid SoC",
    )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> ReportParams:
        return load_params(None, {**self.to_dict(), **changes})


def param_docs() -> list[dict[str, Any]]:
    """Name, default, unit and meaning of every parameter (for docs and the app)."""
    return [
        {"name": f.name, "default": f.default, "unit": f.metadata["unit"], "doc": f.metadata["doc"]}
        for f in fields(ReportParams)
    ]


def _coerce(name: str, value: Any, default: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip().lower() in {"", "none", "null"}):
        return None
    kind = type(default) if default is not None else str
    if name in {"book_value_eur", "price_new_eur"}:
        kind = float
    try:
        if kind is int:
            return int(float(value))
        if kind is float:
            return float(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"report parameter {name}={value!r} is not a {kind.__name__}") from exc


def load_params(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> ReportParams:
    """Defaults, then the params file (JSON or TOML), then ``overrides``."""
    values: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"params file {p} not found")
        try:
            if p.suffix.lower() == ".toml":
                values.update(tomllib.loads(p.read_text("utf-8")))
            else:
                values.update(json.loads(p.read_text("utf-8")))
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"params file {p} is not valid JSON/TOML: {exc}") from exc
    values.update(overrides or {})
    known = {f.name: f for f in fields(ReportParams)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown report parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    kwargs = {k: _coerce(k, v, known[k].default) for k, v in values.items()}
    params = ReportParams(**kwargs)
    if not 0 <= params.battery_share_pct <= 100:
        raise ConfigError("battery_share_pct must lie between 0 and 100")
    if params.loan_months <= 0 and params.loan_end is None:
        raise ConfigError("loan_months must be positive")
    return params
