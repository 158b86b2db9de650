"""The vehicle's future usage: its own history extrapolated by month of year, and what-ifs.

A forecast is driven by how the vehicle has actually been used: per calendar month, its time
at each temperature x SoC bin, cycles per day, km per day, charge depth, C-rate and DC share.
Months never observed take the vehicle's average usage with the temperature moved by the
cohort's seasonal offset for that month (so three summer months do not imply an endless
summer). A :class:`Scenario` then changes that profile: no DC fast charging, another climate
(monthly normals in ``data/climates.csv``), a yearly mileage, a charge limit.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

import numpy as np

from analytics.errors import ForecastError
from analytics.forecast.design import (
    DEFAULT_KWH_PER_KM,
    SOC_BINS_PCT,
    TEMP_BINS_C,
    VehicleHistory,
)

__all__ = ["SCENARIOS", "Scenario", "UsageProfile", "climate_normals", "usage_profile"]

_NT, _NS = TEMP_BINS_C.size, SOC_BINS_PCT.size
AC_C_RATE = 0.15  # typical home/work AC charging, 7-11 kW on a 50-75 kWh pack


@dataclass(frozen=True)
class Scenario:
    """A change to the extrapolated usage. ``name`` goes into the ``scenario`` column."""

    name: str = "baseline"
    no_dc: bool = False
    climate: str | None = None  # temperate | hot | cold (monthly normals)
    temp_offset_c: float = 0.0
    km_per_year: float | None = None
    max_soc_pct: float | None = None

    def describe(self) -> str:
        parts = []
        if self.no_dc:
            parts.append("no DC fast charging")
        if self.climate:
            parts.append(f"{self.climate} climate")
        if self.temp_offset_c:
            parts.append(f"{self.temp_offset_c:+.0f} °C")
        if self.km_per_year:
            parts.append(f"{self.km_per_year:,.0f} km/year")
        if self.max_soc_pct is not None:
            parts.append(f"charge limit {self.max_soc_pct:.0f} %")
        return ", ".join(parts) or "the vehicle's own usage, extrapolated"


SCENARIOS: dict[str, Scenario] = {
    "baseline": Scenario(),
    "no_dc": Scenario("no_dc", no_dc=True),
    "hot_climate": Scenario("hot_climate", climate="hot"),
    "cold_climate": Scenario("cold_climate", climate="cold"),
    "20000km": Scenario("20000km", km_per_year=20000.0),
    "limit_80": Scenario("limit_80", max_soc_pct=80.0),
}


@cache
def climate_normals() -> dict[str, np.ndarray]:
    """Monthly mean ambient temperature (°C, Jan..Dec) per named climate, with sources in CSV."""
    text = resources.files("analytics.forecast").joinpath("data", "climates.csv").read_text("utf-8")
    out: dict[str, np.ndarray] = {}
    for row in csv.DictReader(text.splitlines()):
        out.setdefault(row["climate"], np.full(12, np.nan))[int(row["month"]) - 1] = float(
            row["ambient_temp_c"]
        )
    return out


@dataclass(frozen=True)
class UsageProfile:
    """Per month of year (index 0 = January): exposure fractions and daily usage."""

    exposure: np.ndarray  # (12, NT*NS) fractions of the day
    temp_shift_c: np.ndarray  # (12,) shift applied to every temperature bin
    ambient_c: np.ndarray  # (12,)
    efc_per_day: np.ndarray
    km_per_day: np.ndarray
    cycle_temp_c: np.ndarray
    dod_frac: np.ndarray
    c_rate: np.ndarray
    dc_share: np.ndarray
    observed_months: int

    def apply(self, sc: Scenario, nominal_kwh: float) -> UsageProfile:
        """The profile as ``sc`` changes it."""
        p = self
        if sc.no_dc:
            p = replace(p, c_rate=np.minimum(p.c_rate, AC_C_RATE), dc_share=np.zeros(12))
        shift = np.full(12, sc.temp_offset_c)
        if sc.climate:
            normals = climate_normals().get(sc.climate)
            if normals is None:
                raise ForecastError(
                    f"unknown climate {sc.climate!r}; use one of {sorted(climate_normals())}"
                )
            seen = np.isfinite(p.ambient_c)
            fill = float(np.mean(p.ambient_c[seen])) if seen.any() else float(normals.mean())
            amb = np.where(seen, p.ambient_c, fill)
            shift = shift + (normals - amb)
        if np.any(shift != 0):
            p = replace(p, temp_shift_c=p.temp_shift_c + shift, cycle_temp_c=p.cycle_temp_c + shift)
        if sc.km_per_year is not None:
            now = float(np.mean(p.km_per_day)) * 365.25
            if now > 100.0:
                k = sc.km_per_year / now
                p = replace(p, efc_per_day=p.efc_per_day * k, km_per_day=p.km_per_day * k)
            else:  # no driving observed: cycles from a typical consumption
                kmd = np.full(12, sc.km_per_year / 365.25)
                p = replace(p, km_per_day=kmd, efc_per_day=kmd * DEFAULT_KWH_PER_KM / nominal_kwh)
        if sc.max_soc_pct is not None:
            cap = int(
                np.clip(np.searchsorted(SOC_BINS_PCT, sc.max_soc_pct, side="right") - 1, 0, _NS - 1)
            )
            e = p.exposure.reshape(12, _NT, _NS).copy()
            e[:, :, cap] += e[:, :, cap + 1 :].sum(axis=2)
            e[:, :, cap + 1 :] = 0.0
            p = replace(p, exposure=e.reshape(12, -1))
        return p


def _monthly(values: np.ndarray, month: np.ndarray, ok: np.ndarray) -> np.ndarray:
    out = np.full(12, np.nan)
    for m in range(12):
        sel = ok & (month == m)
        if sel.sum() >= 7:
            out[m] = float(np.nanmean(values[sel]))
    return out


def usage_profile(h: VehicleHistory, cohort_temp_c: np.ndarray | None = None) -> UsageProfile:
    """The vehicle's usage by month of year; unseen months filled as the module docstring says."""
    month = (h.dates.astype("datetime64[M]").astype(int) % 12).astype(int)
    tot = h.exposure.sum(axis=1)
    seen = tot > 0
    frac = np.where(seen[:, None], h.exposure / np.where(seen, tot, 1.0)[:, None], 0.0)
    exposure = np.zeros((12, frac.shape[1]))
    month_ok = np.zeros(12, bool)
    for m in range(12):
        sel = seen & (month == m)
        if sel.sum() >= 7:
            exposure[m] = frac[sel].mean(axis=0)
            month_ok[m] = True
    pooled = frac[seen].mean(axis=0) if seen.any() else _reference_exposure()
    shift = np.zeros(12)
    if cohort_temp_c is not None and np.isfinite(cohort_temp_c).sum() >= 12 and month_ok.any():
        base = float(np.mean(cohort_temp_c[month_ok]))
        shift = np.where(month_ok, 0.0, cohort_temp_c - base)
    exposure[~month_ok] = pooled
    every = np.ones(h.n_days, bool)

    def fill(x: np.ndarray, default: float) -> np.ndarray:
        mean = float(np.nanmean(x)) if np.isfinite(x).any() else default
        return np.where(np.isfinite(x), x, mean)

    cyc_t = fill(_monthly(h.cycle_temp_c, month, every), 25.0)
    cyc_t = np.where(month_ok, cyc_t, float(np.nanmean(h.cycle_temp_c)) + shift)
    ambient = _monthly(h.ambient_c, month, np.isfinite(h.ambient_c))
    ambient = np.where(
        np.isfinite(ambient),
        ambient,
        np.nanmean(ambient) + shift if np.isfinite(ambient).any() else np.nan,
    )
    return UsageProfile(
        exposure=exposure,
        temp_shift_c=shift,
        ambient_c=ambient,
        efc_per_day=fill(
            _monthly(h.efc_day, month, every), float(np.mean(h.efc_day)) if h.n_days else 0.0
        ),
        km_per_day=fill(
            _monthly(h.km_day, month, every), float(np.mean(h.km_day)) if h.n_days else 0.0
        ),
        cycle_temp_c=cyc_t,
        dod_frac=fill(_monthly(h.dod_frac, month, every), 0.5),
        c_rate=fill(_monthly(h.c_rate, month, every), 0.3),
        dc_share=fill(_monthly(h.dc_share, month, every), 0.0),
        observed_months=int(month_ok.sum()),
    )


def _reference_exposure() -> np.ndarray:
    """All time at 25 °C and 50 % SoC: the model's reference, used only without any exposure."""
    e = np.zeros((_NT, _NS))
    e[np.searchsorted(TEMP_BINS_C, 25.0), 5] = 1.0
    return e.ravel()
