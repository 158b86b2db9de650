"""charging_sessions from thin data: what is derived, what is estimated, and the flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from analytics.charging.build import VehicleInputs, build_charging_sessions
from analytics.charging.timeutil import UTC_US

T = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday
CABLE = pl.DataFrame(schema={"ts": UTC_US, "value": pl.Float64})
DRIVES = pl.DataFrame(schema={"start_ts": UTC_US, "end_ts": UTC_US})
SAMPLES = pl.DataFrame(schema={"session_id": pl.String, "ts": UTC_US, "signal": pl.String,
                               "value": pl.Float64})  # fmt: skip


def _charges(starts_h, hours, charge_type=None, **extra):
    n = len(starts_h)
    return pl.DataFrame(
        {
            "vehicle_id": ["v"] * n,
            "session_id": [f"s{i}" for i in range(n)],
            "kind": ["charge"] * n,
            "start_ts": [T + timedelta(hours=h) for h in starts_h],
            "end_ts": [T + timedelta(hours=h + d) for h, d in zip(starts_h, hours, strict=True)],
            "energy_in_kwh": [9.0] * n,
            "soc_start_pct": [30.0] * n,
            "soc_end_pct": [50.0] * n,
            "charge_type": [charge_type] * n,
            **extra,
        },
        schema_overrides={"charge_type": pl.String},
    )


def test_sessions_only_estimates_grid_energy_and_says_so():
    out = build_charging_sessions(
        VehicleInputs("v", _charges([1.0], [2.0]), CABLE, DRIVES, SAMPLES)
    )
    row = out.row(0, named=True)
    assert row["grid_energy_method"] == "pack_over_efficiency"
    assert abs(row["grid_energy_kwh"] - 10.0) < 1e-9  # 9 kWh / 0.90 (AC)
    assert row["plug_in_ts"] == row["charge_start_ts"]  # no dwell invented
    assert set(row["flags"].split(";")) == {
        "no_plug_signal",
        "grid_energy_estimated",
        "no_activity_signal",
    }


def test_plug_window_from_sessions_when_no_cable_signal():
    ch = _charges(
        [20.0], [2.0],
        plug_in_ts=[T + timedelta(hours=19)], plug_out_ts=[T + timedelta(hours=31)],
    )  # fmt: skip
    row = build_charging_sessions(VehicleInputs("v", ch, CABLE, DRIVES, SAMPLES)).row(0, named=True)
    assert row["plug_in_ts"] == T + timedelta(hours=19)
    assert row["plug_out_ts"] == T + timedelta(hours=31)
    assert "plug_from_sessions" in row["flags"]
    assert row["dwell_idle_s"] == 10 * 3600


def test_locations_from_time_patterns_without_coordinates():
    # overnight AC (home), weekday morning to afternoon AC (work), a DC stop (public)
    ch = _charges([18.0, 24 + 8.0, 48 + 12.0], [12.0, 7.0, 0.5])
    ch = ch.with_columns(charge_type=pl.Series(["AC", "AC", "DC"]))
    out = build_charging_sessions(VehicleInputs("v", ch, CABLE, DRIVES, SAMPLES)).sort("plug_in_ts")
    assert out["location"].to_list() == ["home", "work", "public"]
    assert (out["location_method"] == "pattern").all()
    assert out["utc_offset_h"][0] == 0.0


def test_power_level_decides_dc_when_type_is_missing():
    ch = _charges([10.0], [0.5], power_level_kw=[120.0])
    row = build_charging_sessions(VehicleInputs("v", ch, CABLE, DRIVES, SAMPLES)).row(0, named=True)
    assert row["charge_type"] == "DC"
    assert abs(row["grid_energy_kwh"] - 9.0 / 0.95) < 1e-9
