"""The data-quality report on crafted vehicles: each defect is found, clean data is not flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from analytics.ingest import ingest_file
from analytics.ingest.exports import write_long
from analytics.quality import format_report, run_stage, vehicle_quality

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SPEED, ODO = "Vehicle.Speed", "Vehicle.TraveledDistance"
VOLT = "Vehicle.Powertrain.TractionBattery.CurrentVoltage"
SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"


def day_frame(days: int = 3, seed: int = 0) -> dict[str, np.ndarray]:
    """One-minute samples; the car drives 08:00-09:00 at 60 km/h every day."""
    n = days * 1440
    minute = np.arange(n)
    driving = (minute % 1440 >= 480) & (minute % 1440 < 540)
    rng = np.random.default_rng(seed)
    speed = np.where(driving, 60.0, 0.0)
    return {
        "minute": minute,
        SPEED: speed,
        ODO: 1000.0 + np.cumsum(speed / 60.0),
        VOLT: 380.0 + rng.normal(0, 1.0, n).round(2),
        SOC: 80.0 - np.cumsum(driving * 0.1),
    }


def to_long(
    cols: dict[str, np.ndarray], keep: np.ndarray | None = None, vid: str = "Q1"
) -> pl.DataFrame:
    minute = cols["minute"]
    keep = np.ones(len(minute), bool) if keep is None else keep
    ts = [T0 + timedelta(minutes=int(m)) for m in minute[keep]]
    return pl.concat(
        pl.DataFrame(
            {"vehicle_id": vid, "ts": ts, "signal": name, "value": vals[keep]},
            schema_overrides={"ts": pl.Datetime("us", "UTC")},
        )
        for name, vals in cols.items()
        if name != "minute"
    )


def quality(frame: pl.DataFrame):
    return vehicle_quality("Q1", frame.select("ts", "signal", "value").sort("ts", "signal"))


def kinds(q) -> list[str]:
    return q.events["kind"].to_list()


def test_clean_vehicle_is_good():
    q = quality(to_long(day_frame()))
    s = q.summary.row(0, named=True)
    assert s["grade"] == "good", s["flags"]
    assert kinds(q) == []
    assert s["coverage_pct"] == pytest.approx(100.0)
    sig = q.signals.filter(pl.col("signal") == VOLT).row(0, named=True)
    assert sig["median_interval_s"] == 60.0 and sig["samples_per_hour"] == pytest.approx(
        60.0, rel=0.01
    )


def test_gaps_logger_off_versus_missing_data():
    cols = day_frame()
    keep = np.ones(len(cols["minute"]), bool)
    keep[1440 + 720 : 1440 + 1020] = False  # parked, logger asleep 12:00-17:00 on day 2
    keep[2880 + 470 : 2880 + 560] = False  # day 3: the whole morning drive is missing
    q = quality(to_long(cols, keep))
    gaps = q.events.filter(pl.col("kind").str.starts_with("gap")).sort("start_ts")
    assert gaps["kind"].to_list() == ["gap_logger_off", "gap_missing_data"]
    assert gaps["magnitude"][1] == pytest.approx(60.0)  # km driven while nothing was logged
    s = q.summary.row(0, named=True)
    assert (s["logger_off_gaps"], s["missing_data_gaps"]) == (1, 1)
    assert s["coverage_pct"] < 100.0
    assert s["grade"] == "fair"


def test_stuck_sensor_while_driving():
    cols = day_frame()
    cols[VOLT][1440 + 480 : 1440 + 530] = 377.0  # frozen for 50 min of driving
    cols[VOLT][600:700] = 381.25  # constant while parked: not a fault
    q = quality(to_long(cols))
    stuck = q.events.filter(pl.col("kind") == "stuck_sensor")
    assert stuck.height == 1 and stuck["signal"][0] == VOLT
    assert stuck["start_ts"][0] == T0 + timedelta(minutes=1440 + 480)
    assert q.signals.filter(pl.col("signal") == VOLT)["stuck_stretches"][0] == 1


def test_flat_lined_signal():
    cols = day_frame()
    cols[VOLT] = np.full_like(cols[VOLT], 400.0)
    q = quality(to_long(cols))
    assert q.signals.filter(pl.col("signal") == VOLT)["flat_lined"][0]
    assert q.summary["stuck_signals"][0] == 1


def test_odometer_rollback():
    cols = day_frame()
    cols[ODO][3000:] -= 50.0
    q = quality(to_long(cols))
    ev = q.events.filter(pl.col("kind") == "odometer_rollback")
    assert ev.height == 1 and ev["magnitude"][0] == pytest.approx(50.0)
    assert "clock_jump" not in kinds(q)
    assert q.summary["grade"][0] == "poor"


def test_clock_jump_samples_stamped_late():
    """A block of the morning drive stamped two hours late: the odometer falls then recovers."""
    cols = day_frame()
    frame = to_long(cols)
    block = (pl.col("ts") >= T0 + timedelta(minutes=1440 + 490)) & (
        pl.col("ts") < T0 + timedelta(minutes=1440 + 500)
    )
    shifted = frame.with_columns(
        pl.when(block).then(pl.col("ts") + timedelta(hours=2, seconds=30)).otherwise(pl.col("ts"))
    )
    q = quality(shifted)
    assert kinds(q).count("clock_jump") == 1
    assert "odometer_rollback" not in kinds(q)


def test_clock_jump_interleaving_streams_is_one_event():
    """An hour stamped one hour late while driving interleaves with the next hour's samples."""
    cols = day_frame()
    cols[SPEED][1440 + 480 : 1440 + 600] = 60.0  # a two-hour drive
    cols[ODO] = 1000.0 + np.cumsum(cols[SPEED] / 60.0)
    frame = to_long(cols)
    block = (pl.col("ts") >= T0 + timedelta(minutes=1440 + 480)) & (
        pl.col("ts") < T0 + timedelta(minutes=1440 + 540)
    )
    shifted = frame.with_columns(
        pl.when(block)
        .then(pl.col("ts") + timedelta(minutes=60, seconds=20))
        .otherwise(pl.col("ts"))
    )
    q = quality(shifted)
    assert kinds(q).count("clock_jump") == 1


def test_clock_jump_samples_stamped_early():
    cols = day_frame()
    frame = to_long(cols)
    block = (pl.col("ts") >= T0 + timedelta(minutes=2 * 1440 + 500)) & (
        pl.col("ts") < T0 + timedelta(minutes=2 * 1440 + 510)
    )
    shifted = frame.with_columns(
        pl.when(block).then(pl.col("ts") - timedelta(hours=6, seconds=30)).otherwise(pl.col("ts"))
    )
    q = quality(shifted)
    assert "clock_jump" in kinds(q)
    assert "odometer_rollback" not in kinds(q)


def test_stage_writes_tables_and_counts_quarantine(memory_warehouse, tmp_path):
    wh = memory_warehouse
    cols = day_frame(days=2)
    cols[ODO][2000:] -= 20.0
    frame = to_long(cols)
    write_long(frame, tmp_path / "q1.parquet")
    ingest_file(wh, tmp_path / "q1.parquet")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "vehicle_id,ts,signal,value\nQ1,2024-01-05T00:00:00Z,speed,999\n"
        "Q1,2024-01-05T00:01:00Z,speed,998\n"
    )
    ingest_file(wh, bad)
    summary = run_stage(wh)
    assert summary["vehicles"] == 1
    row = wh.sql("SELECT * FROM quality_vehicles").row(0, named=True)
    assert row["out_of_range_rows"] == 2 and row["odometer_rollbacks"] == 1
    assert (
        wh.sql("SELECT out_of_range_rows FROM quality_signals WHERE signal = ?", [SPEED])[
            "out_of_range_rows"
        ][0]
        == 2
    )
    text = format_report(
        *(
            wh.sql(f"SELECT * FROM {t}")
            for t in ("quality_vehicles", "quality_signals", "quality_events")
        )
    )
    assert "Q1: POOR" in text and "odometer_rollback" in text and "speed_kmh" in text
    run_stage(wh, vehicles=["Q1"])  # re-run replaces, never duplicates
    assert wh.execute("SELECT count(*) FROM quality_vehicles").fetchall()[0][0] == 1
    stages = wh.sql("SELECT stage FROM pipeline_runs")["stage"].to_list()
    assert stages == ["quality", "quality"]


def test_conflicting_times_are_reported(memory_warehouse, tmp_path):
    wh = memory_warehouse
    path = tmp_path / "c.csv"
    path.write_text(
        "vehicle_id,ts,signal,value\nC2,2024-01-01T00:00:00Z,speed,10\n"
        "C2,2024-01-01T00:00:00Z,speed,55\nC2,2024-01-01T00:01:00Z,speed,12\n"
    )
    res = ingest_file(wh, path)
    assert {i.reason for i in res.issues} >= {"duplicate_row", "conflicting_duplicate"}
    run_stage(wh)
    row = wh.sql("SELECT grade, flags FROM quality_vehicles").row(0, named=True)
    assert "given twice with different values" in row["flags"]
    assert row["grade"] == "fair"


def test_cli_prints_report(tmp_path, capsys):
    from analytics.cli.main import main

    path = tmp_path / "long.csv"
    path.write_text(
        "vehicle_id,ts,signal,value\nC1,2024-01-01T00:00:00Z,speed,10\n"
        "C1,2024-01-01T00:01:00Z,speed,12\n"
    )
    wh = str(tmp_path / "w.duckdb")
    assert main(["--warehouse", wh, "ingest", "--quiet", str(path)]) == 0
    assert main(["--warehouse", wh, "quality", "--vehicle", "C1"]) == 0
    out = capsys.readouterr().out
    assert "== C1:" in out and "speed_kmh" in out
    assert main(["--warehouse", wh, "quality", "--show-only"]) == 0
