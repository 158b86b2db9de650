"""Small warehouses with hourly telemetry, sessions and a SoH series of known ageing."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from analytics.forecast.features import SIGNAL_PATHS
from analytics.warehouse import open_warehouse


def _vehicle_signals(
    vid: str, days: int, temp_mean_c: float, km_per_day: float, seed: int
) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = days * 24
    ts = np.datetime64("2024-01-01T00:00", "us") + np.arange(n) * np.timedelta64(3600, "s")
    hour = np.arange(n) % 24
    doy = np.arange(n) / 24.0
    temp = (
        temp_mean_c
        - 8 * np.cos(2 * np.pi * (doy - 15) / 365.25)
        + 3 * np.sin(2 * np.pi * hour / 24)
    )
    soc = 70 - 20 * ((hour >= 8) & (hour < 18)) + rng.normal(0, 2, n)
    current = np.where(hour == 8, 30.0, np.where(hour == 22, -30.0, 0.0)) * km_per_day / 40
    odo = np.cumsum(np.where(hour == 8, km_per_day, 0.0))
    parts = []
    for key, vals in (
        ("soc", soc),
        ("tbat", temp + 2),
        ("tamb", temp),
        ("cur", current),
        ("odo", odo),
    ):
        parts.append(
            pl.DataFrame({"vehicle_id": vid, "ts": ts, "signal": SIGNAL_PATHS[key], "value": vals})
        )
    return pl.concat(parts).with_columns(pl.col("ts").dt.replace_time_zone("UTC"))


def _soh(vid: str, days: int, rate_pct_per_sqrt_year: float, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    d = np.arange(days)
    soh = 100.5 - rate_pct_per_sqrt_year * np.sqrt(d / 365.25) + rng.normal(0, 0.3, days)
    return pl.DataFrame(
        {
            "vehicle_id": vid,
            "date": [date.fromordinal(date(2024, 1, 1).toordinal() + int(i)) for i in d],
            "soh_pct": soh,
            "soh_low_pct": soh - 1.0,
            "soh_high_pct": soh + 1.0,
            "method": "test",
            "n_observations": 1,
        }
    )


@pytest.fixture
def small_warehouse():
    """Four vehicles: three with 400 days of data, one with 60 days (too little)."""
    wh = open_warehouse(":memory:")
    spec = [("v_hot", 400, 24.0, 60.0, 3.2), ("v_mild", 400, 12.0, 30.0, 2.2),
            ("v_cold", 400, 5.0, 20.0, 1.8), ("v_new", 60, 12.0, 30.0, 2.2)]  # fmt: skip
    sig = pl.concat([_vehicle_signals(v, d, t, k, i) for i, (v, d, t, k, _) in enumerate(spec)])
    soh = pl.concat([_soh(v, d, r, i) for i, (v, d, _, _, r) in enumerate(spec)])
    wh.con.register("_sig", sig.to_arrow())
    wh.execute("INSERT INTO signals BY NAME SELECT * FROM _sig")
    wh.con.register("_soh", soh.to_arrow())
    wh.execute("INSERT INTO soh BY NAME SELECT * FROM _soh")
    wh.execute(
        "INSERT INTO vehicles (vehicle_id, make, model, chemistry, nominal_capacity_kwh, "
        "nominal_capacity_ah, nominal_voltage_v) SELECT vehicle_id, 'Tesla', 'Model 3', 'NMC', "
        "60, 160, 375 FROM (SELECT DISTINCT vehicle_id FROM _sig)"
    )
    yield wh
    wh.close()
