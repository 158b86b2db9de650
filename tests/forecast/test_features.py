"""Daily degradation features on hand-built signals and sessions with known answers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from analytics.forecast.features import SIGNAL_PATHS, daily_exposure, daily_features
from analytics.warehouse import open_warehouse


def _one_day() -> pl.DataFrame:
    n = 24 * 60 + 1  # one sample a minute, 00:00 .. 24:00
    ts = np.datetime64("2024-06-01T00:00", "us") + np.arange(n) * np.timedelta64(60, "s")
    minute = np.arange(n)
    soc = np.where(minute < 12 * 60, 90.0, 50.0)
    temp = np.where(minute < 6 * 60, 40.0, 20.0)
    current = np.where((minute >= 20 * 60) & (minute < 21 * 60), -50.0, 0.0)  # 1 h at 50 A charging
    odo = 1000.0 + np.where(minute >= 8 * 60, 30.0, 0.0)
    parts = [
        pl.DataFrame({"vehicle_id": "a", "ts": ts, "signal": SIGNAL_PATHS[k], "value": v})
        for k, v in (("soc", soc), ("tbat", temp), ("cur", current), ("odo", odo))
    ]
    return pl.concat(parts).with_columns(pl.col("ts").dt.replace_time_zone("UTC"))


@pytest.fixture
def wh():
    w = open_warehouse(":memory:")
    w.con.register("_s", _one_day().to_arrow())
    w.execute("INSERT INTO signals BY NAME SELECT * FROM _s")
    w.execute(
        "INSERT INTO vehicles (vehicle_id, chemistry, nominal_capacity_ah, nominal_capacity_kwh, "
        "nominal_voltage_v) VALUES ('a', 'NMC', 100, 36, 360)"
    )
    yield w
    w.close()


def test_signal_features_exact(wh):
    # sessions table exists but is empty for this vehicle: throughput from current
    f = daily_features(wh, ["a"]).filter(pl.col("date") == datetime(2024, 6, 1).date())
    r = f.row(0, named=True)
    assert r["throughput_source"] == "signals"
    assert r["hours_observed"] == pytest.approx(24.0)
    assert r["hours_soc_above_80"] == pytest.approx(12.0)
    assert r["soc_mean_pct"] == pytest.approx(70.0)
    assert r["hours_above_35c"] == pytest.approx(6.0)
    assert r["battery_temp_mean_c"] == pytest.approx(25.0)
    assert r["charge_ah"] == pytest.approx(50.0)
    assert r["efc_day"] == pytest.approx(50.0 / 2 / 100)
    assert r["odometer_km"] == pytest.approx(1030.0)
    assert r["temp_source"] == "battery"


def test_exposure_hours_add_up(wh):
    e = daily_exposure(wh, ["a"]).filter(pl.col("date") == datetime(2024, 6, 1).date())
    assert e["hours"].sum() == pytest.approx(24.0)
    hot_full = e.filter((pl.col("temp_bin_c") == 40.0) & (pl.col("soc_bin_pct") == 90.0))
    assert hot_full["hours"].sum() == pytest.approx(6.0)


def test_session_features(wh):
    t0 = datetime(2024, 6, 1, 20, tzinfo=UTC)
    t1 = datetime(2024, 6, 1, 21, tzinfo=UTC)
    rows = [
        ("a", "a/charge/1", "charge", t0, t1, 20.0, 80.0, 36.0, 0.0, 100.0, 0.0, "DC", 100.0),
        ("a", "a/charge/2", "charge", t0, t1, 70.0, 80.0, 20.0, 0.0, 55.0, 0.0, "AC", 11.0),
        ("a", "a/drive/3", "drive", t0, t1, 80.0, 60.0, 1.0, 8.0, 3.0, 22.0, None, None),
    ]
    cols = ["vehicle_id", "session_id", "kind", "start_ts", "end_ts", "soc_start_pct",
            "soc_end_pct", "energy_in_kwh", "energy_out_kwh", "charge_ah", "discharge_ah",
            "charge_type", "power_level_kw"]  # fmt: skip
    wh.con.register("_ses", pl.DataFrame(rows, schema=cols, orient="row").to_arrow())
    wh.execute("INSERT INTO sessions BY NAME SELECT * FROM _ses")
    r = daily_features(wh, ["a"]).row(0, named=True)
    assert r["throughput_source"] == "sessions"
    assert r["charge_ah"] == pytest.approx(158.0) and r["discharge_ah"] == pytest.approx(22.0)
    assert r["dc_share"] == pytest.approx(36.0 / 56.0)
    assert r["charges_n"] == 2 and r["dc_charges_n"] == 1
    assert (
        r["dod_mean_pct"] == pytest.approx(35.0) and r["dod_50_80_n"] == 1 and r["dod_lt20_n"] == 1
    )
    assert r["efc_day"] == pytest.approx(180.0 / 2 / 100)
