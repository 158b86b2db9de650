"""Hourly ambient temperature per climate: real ERA5 weather on a climate's seasonal cycle.

``temperate`` is the real ERA5 2016 series over Germany. ``hot`` (Seville-like) and ``cold``
(Oulu-like) keep ERA5's real weather anomalies (fronts, cold spells, heat waves; residual of a
harmonic fit of season and day/night) on top of their own seasonal and diurnal climatology,
so all three climates carry realistic day-to-day variability. Years after the first use the
anomalies shifted by 53 days per year so that no two years repeat the same weather.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from analytics.simulate.reference import era5_temperature_c

__all__ = ["CLIMATES", "Climate", "ambient_hourly_c"]


@dataclass(frozen=True)
class Climate:
    """Seasonal climatology, location and time zone of one climate."""

    name: str
    mean_c: float
    annual_amplitude_c: float
    diurnal_amplitude_c: float
    anomaly_scale: float
    latitude_deg: float
    longitude_deg: float
    utc_offset_h: int


CLIMATES: dict[str, Climate] = {
    "temperate": Climate("temperate", 10.0, 9.0, 4.0, 1.0, 50.11, 8.68, 1),
    "hot": Climate("hot", 19.5, 8.5, 7.5, 0.7, 37.39, -5.98, 1),
    "cold": Climate("cold", 3.0, 13.0, 3.5, 1.25, 65.01, 25.47, 2),
}

_YEAR_H = 365 * 24


def _design(hours: np.ndarray) -> np.ndarray:
    doy = hours / 24.0
    hod = hours % 24
    a = 2 * np.pi * doy / 365.0
    d = 2 * np.pi * hod / 24.0
    return np.column_stack(
        [np.ones_like(doy), np.cos(a), np.sin(a), np.cos(d), np.sin(d), np.cos(a) * np.cos(d)]
    )


@lru_cache(maxsize=1)
def _era5_anomaly() -> np.ndarray:
    series = era5_temperature_c()
    hours = np.arange(series.size, dtype=float)
    x = _design(hours)
    coef, *_ = np.linalg.lstsq(x, series, rcond=None)
    anomaly = series - x @ coef
    anomaly.setflags(write=False)
    return anomaly


def ambient_hourly_c(climate: str, start: date, days: int) -> np.ndarray:
    """Ambient temperature (°C) for each UTC hour of ``days`` days from ``start`` 00:00 UTC."""
    from analytics.errors import ConfigError

    if climate not in CLIMATES:
        raise ConfigError(f"unknown climate {climate!r}: use one of {', '.join(CLIMATES)}")
    cli = CLIMATES[climate]
    n = days * 24
    utc_h = np.arange(n)
    local_h = utc_h + cli.utc_offset_h
    doy0 = start.timetuple().tm_yday - 1
    hour_of_year = (doy0 * 24 + local_h) % _YEAR_H
    year_index = (doy0 * 24 + local_h) // _YEAR_H
    if climate == "temperate":
        raw = era5_temperature_c()
        shifted = (hour_of_year + year_index * 53 * 24) % _YEAR_H
        base = raw[hour_of_year]
        anomaly = _era5_anomaly()
        # the first year is the real series; later years swap in shifted real anomalies
        return np.where(year_index == 0, base, base - anomaly[hour_of_year] + anomaly[shifted])
    anomaly = _era5_anomaly()[(hour_of_year + year_index * 53 * 24) % _YEAR_H]
    doy = hour_of_year / 24.0
    hod = local_h % 24
    season = -np.cos(2 * np.pi * (doy - 20.0) / 365.0)  # coldest around 20 January
    diurnal_amp = cli.diurnal_amplitude_c * (1.0 + 0.25 * season)
    clim = (
        cli.mean_c
        + cli.annual_amplitude_c * season
        + diurnal_amp * np.cos(2 * np.pi * (hod - 15.0) / 24.0)
    )
    return clim + cli.anomaly_scale * anomaly
