"""Session cutting on crafted traces: kinds, boundaries, gaps, clock jumps, merges."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from analytics.errors import SessionError
from analytics.sessions import run_stage, sessions_for_vehicle

from .synth import PATHS, Segment, build_trace

DRIVE = Segment("drive", 1200, current_a=40, speed_kmh=50)
AC = Segment("charge", 1800, current_a=-20, charger_kw=7.4)


def _kinds(frame: pl.DataFrame) -> list[str]:
    return frame["kind"].to_list()


def test_day_is_cut_into_park_drive_park_charge_park() -> None:
    segs = [
        Segment("park", 3600),
        DRIVE,
        Segment("drive", 60, current_a=2, speed_kmh=0),  # a traffic light
        Segment("drive", 900, current_a=40, speed_kmh=50),
        Segment("park", 1800),
        AC,
        Segment("park", 3600),
    ]
    out = sessions_for_vehicle("v1", build_trace(segs))
    assert _kinds(out) == ["park", "drive", "park", "charge", "park"]
    drive = out.row(1, named=True)
    assert drive["discharge_ah"] == pytest.approx(40 * 2100 / 3600 + 2 * 60 / 3600)
    assert drive["distance_km"] == pytest.approx(50 * (2100 - 10) / 3600)
    charge = out.row(3, named=True)
    assert charge["charge_ah"] == pytest.approx(20 * 1800 / 3600)
    assert charge["charge_type"] == "AC"
    assert charge["power_level_kw"] == pytest.approx(7.4)
    assert charge["session_id"] == f"v1/charge/{int(charge['start_ts'].timestamp())}"
    assert charge["soc_end_pct"] - charge["soc_start_pct"] == pytest.approx(
        20 * 1790 / 3600 / 150 * 100
    )
    # park spans exactly the time between its neighbours
    assert out["start_ts"][2] == out["end_ts"][1]
    assert out["end_ts"][2] == out["start_ts"][3]


def test_interrupted_charge_is_merged() -> None:
    segs = [Segment("park", 600), AC, Segment("pause", 1200), AC, Segment("park", 600)]
    out = sessions_for_vehicle("v1", build_trace(segs))
    assert _kinds(out) == ["park", "charge", "park"]
    charge = out.row(1, named=True)
    assert charge["n_segments"] == 2
    assert "merged" in charge["flags"]
    assert charge["charge_ah"] == pytest.approx(2 * 20 * 1800 / 3600)


def test_charge_resumed_after_a_logger_gap_is_one_charge() -> None:
    segs = [Segment("park", 600), AC, Segment("charge", 1500, -20, charger_kw=7.4, log=False), AC]
    out = sessions_for_vehicle("v1", build_trace(segs))
    assert _kinds(out) == ["park", "charge"]
    assert set(out["flags"][1].split(";")) >= {"gap", "merged"}
    assert out["gap_s"][1] == pytest.approx(1510)


def test_drive_through_a_logger_gap_stays_one_drive() -> None:
    segs = [Segment("park", 600), DRIVE, Segment("drive", 900, 40, 50, log=False), DRIVE]
    out = sessions_for_vehicle("v1", build_trace(segs))
    assert _kinds(out) == ["park", "drive"]
    assert "gap" in out["flags"][1]


def test_unlogged_drive_in_a_parking_gap_is_flagged() -> None:
    segs = [Segment("park", 600), Segment("drive", 1800, 40, 50, log=False), Segment("park", 600)]
    out = sessions_for_vehicle("v1", build_trace(segs))
    assert _kinds(out) == ["park", "park"]
    assert "activity_in_gap_before" in out["flags"][1]


def test_clock_jump_rows_are_dropped_and_flagged() -> None:
    segs = [Segment("park", 600), DRIVE, Segment("park", 3600), DRIVE, Segment("park", 600)]
    long = build_trace(segs)
    clean = sessions_for_vehicle("v1", long)
    # four rows of the second drive carry a clock one hour behind (they land in the park)
    times = long.filter(pl.col("signal") == PATHS["speed_kmh"])["ts"].sort()
    bad = times[640:644]
    jumped = long.with_columns(
        pl.when(pl.col("ts").is_in(bad.implode()))
        .then(pl.col("ts") - timedelta(hours=1))
        .otherwise(pl.col("ts"))
        .alias("ts")
    )
    out = sessions_for_vehicle("v1", jumped)
    assert _kinds(out) == _kinds(clean)
    assert any("clock_jump" in f for f in out["flags"].to_list())


def test_missing_flags_fall_back_to_current_and_odometer() -> None:
    segs = [Segment("park", 600), DRIVE, Segment("park", 1800), AC, Segment("park", 600)]
    drop = ("is_charging", "is_plugged_in", "charger_power_kw", "speed_kmh")
    out = sessions_for_vehicle("v1", build_trace(segs, drop=drop))
    assert _kinds(out) == ["park", "drive", "park", "charge", "park"]
    assert out["charge_type"][3] == "AC"  # from pack power, ~7 kW
    assert out["power_level_kw"][3] == pytest.approx(20 * 0.36 * 1000 / 1000, rel=0.05)


def test_dc_from_charger_power() -> None:
    segs = [
        Segment("park", 600),
        Segment("charge", 1200, -300, charger_kw=110),
        Segment("park", 600),
    ]
    out = sessions_for_vehicle("v1", build_trace(segs))
    assert out["charge_type"].to_list() == [None, "DC", None]
    assert out["peak_charger_power_kw"][1] == pytest.approx(110)


def test_row_order_does_not_matter() -> None:
    segs = [Segment("park", 600), DRIVE, Segment("park", 1800), AC, Segment("pause", 600), AC]
    long = build_trace(segs)
    a = sessions_for_vehicle("v1", long)
    b = sessions_for_vehicle("v1", long.sample(fraction=1.0, shuffle=True, seed=7))
    assert a.equals(b)


def test_stage_writes_table_and_rejects_empty_warehouse(memory_warehouse) -> None:
    with pytest.raises(SessionError, match="ingest"):
        run_stage(memory_warehouse)
    long = build_trace([Segment("park", 600), DRIVE, Segment("park", 600), AC])
    memory_warehouse.con.register("_l", long.to_arrow())
    memory_warehouse.execute(
        "INSERT INTO signals SELECT vehicle_id, ts, signal, value, NULL FROM _l"
    )
    summary = run_stage(memory_warehouse)
    assert summary["drive"] == 1 and summary["charge"] == 1
    got = memory_warehouse.sql("SELECT kind FROM sessions ORDER BY start_ts")["kind"].to_list()
    assert got == ["park", "drive", "park", "charge"]
    run_stage(memory_warehouse)  # idempotent
    assert memory_warehouse.sql("SELECT count(*) AS n FROM sessions")["n"][0] == 4


def test_stale_charging_flag_and_odometer_step_do_not_mislabel() -> None:
    segs = [Segment("park", 600), AC, Segment("drive", 30, 2, 0), DRIVE, Segment("park", 600)]
    long = build_trace(segs)
    flag = PATHS["is_charging"]
    times = long.filter(pl.col("signal") == flag)["ts"].sort()
    # the flag is reported every fourth sample only; speed only while driving; the
    # odometer jumps by half a kilometre during the charge (reported late)
    keep_flag = times.gather_every(4)
    long = long.filter((pl.col("signal") != flag) | pl.col("ts").is_in(keep_flag.implode()))
    charge_times = times[60:240]
    long = long.filter(
        (pl.col("signal") != PATHS["speed_kmh"]) | ~pl.col("ts").is_in(charge_times.implode())
    ).with_columns(
        pl.when((pl.col("signal") == PATHS["odometer_km"]) & (pl.col("ts") >= times[150]))
        .then(pl.col("value") + 0.5)
        .otherwise(pl.col("value"))
        .alias("value")
    )
    out = sessions_for_vehicle("v1", long)
    assert _kinds(out) == ["park", "charge", "park", "drive", "park"] or _kinds(out) == [
        "park",
        "charge",
        "drive",
        "park",
    ]
    assert out.filter(pl.col("kind") == "charge")["charge_ah"][0] == pytest.approx(10.0)


def test_long_stop_with_the_car_on_stays_in_the_drive() -> None:
    jam = Segment("drive", 600, current_a=10, speed_kmh=0)  # 10 min queue, cabin heating on
    parked = Segment("park", 600)  # 10 min switched off: a new trip
    out_jam = sessions_for_vehicle("v1", build_trace([Segment("park", 600), DRIVE, jam, DRIVE]))
    out_off = sessions_for_vehicle("v1", build_trace([Segment("park", 600), DRIVE, parked, DRIVE]))
    assert _kinds(out_jam) == ["park", "drive"]
    assert _kinds(out_off) == ["park", "drive", "park", "drive"]
