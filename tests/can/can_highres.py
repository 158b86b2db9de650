"""A small synthetic 1 Hz vehicle frame in the simulator's shape (catalog key columns)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

__all__ = ["synthetic_highres"]


def synthetic_highres(
    seconds: int = 600, seed: int = 1, start: datetime | None = None
) -> pl.DataFrame:
    """Drive then charge: plausible, smooth values for every signal the demo layout carries."""
    rng = np.random.default_rng(seed)
    t0 = start or datetime(2024, 3, 5, 7, 30, tzinfo=UTC)
    n = seconds
    k = np.arange(n)
    drive = k < n // 2
    speed = np.where(drive, 60 + 40 * np.sin(k / 37.0) ** 2, 0.0)
    current = np.where(drive, 40 + 120 * np.sin(k / 11.0), -60.0) + rng.normal(0, 2, n)
    soc = 70 - np.cumsum(current) / 3600 / 150 * 100
    ocv = 3.55 + 0.007 * soc
    cell_min = ocv - 0.0005 * current - 0.01
    cell_max = cell_min + 0.02
    volt = 96 * (cell_min + cell_max) / 2
    temp = 22 + k / n * 6
    ts_us = int(t0.timestamp() * 1e6) + k.astype(np.int64) * 1_000_000
    return pl.DataFrame(
        {
            "ts": pl.Series(ts_us).cast(pl.Datetime("us", "UTC")),
            "soc_bms_pct": soc,
            "soc_displayed_pct": np.round((soc - 4) / 0.92),
            "pack_voltage_v": volt,
            "pack_current_a": current,
            "pack_power_w": volt * current,
            "battery_temp_min_c": np.round(temp - 1),
            "battery_temp_max_c": np.round(temp + 2),
            "battery_temp_avg_c": temp,
            "cell_voltage_min_v": cell_min,
            "cell_voltage_max_v": cell_max,
            "energy_remaining_kwh": soc * 0.77,
            "soh_bms_pct": np.full(n, 96.5),
            "odometer_km": 12345.6 + np.cumsum(speed) / 3600,
            "speed_kmh": speed,
            "ambient_temp_c": np.full(n, 14.5),
            "is_ignition_on": drive.astype(float),
            "is_plugged_in": (~drive).astype(float),
            "is_charging": (~drive).astype(float),
            "charger_power_kw": np.where(drive, 0.0, 11.0),
            "latitude_deg": 48.1 + k * 1e-5,
            "longitude_deg": 11.5 + k * 1e-5,
        }
    )
