"""Contract: every export format written by our writers lands in ``signals`` unchanged.

One test class, one case per format: write the simulator's car-reported telemetry, ingest
it, and compare the warehouse with what was written (values in catalog units, UTC times).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from analytics.ingest import ingest_file
from analytics.ingest.exports import write_dimo_json, write_long, write_vehicles, write_wide_csv


def _stored(wh) -> pl.DataFrame:
    return wh.sql("SELECT vehicle_id, ts, signal, value FROM signals").sort(
        "vehicle_id", "ts", "signal"
    )


def _expected(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select("vehicle_id", pl.col("ts").dt.cast_time_unit("us"), "signal", "value").sort(
        "vehicle_id", "ts", "signal"
    )


def _assert_same(got: pl.DataFrame, want: pl.DataFrame, rel: float = 1e-9) -> None:
    assert got.height == want.height
    assert got["vehicle_id"].to_list() == want["vehicle_id"].to_list()
    assert got["signal"].to_list() == want["signal"].to_list()
    got_us = got["ts"].dt.epoch("us").to_list()
    want_us = want["ts"].dt.epoch("us").to_list()
    assert got_us == want_us  # text formats keep microseconds when the times have them
    diff = (got["value"] - want["value"]).abs() - rel * want["value"].abs()
    assert diff.max() <= 1e-9


class TestExportContract:
    """Write -> ingest -> compare, per format."""

    @pytest.mark.parametrize(
        ("fmt", "suffix"),
        [
            ("long_parquet", "parquet"),
            ("long_csv", "csv"),
            ("wide_csv", "csv"),
            ("dimo_json", "json"),
        ],
    )
    def test_roundtrip(self, wh, tmp_path, sim_telemetry, fmt, suffix):
        path = tmp_path / f"export.{suffix}"
        if fmt == "long_parquet":
            write_long(sim_telemetry, path, "parquet")
        elif fmt == "long_csv":
            write_long(sim_telemetry, path, "csv")
        elif fmt == "wide_csv":
            write_wide_csv(sim_telemetry, path)
        else:
            write_dimo_json(sim_telemetry, path, token_id=17)
        res = ingest_file(wh, path)
        assert res.format == fmt, res.message
        assert res.status == "ok", [(i.reason, i.example) for i in res.issues]
        assert res.rows_written == sim_telemetry.height
        _assert_same(_stored(wh), _expected(sim_telemetry), rel=1e-12)
        again = ingest_file(wh, path)
        assert again.status == "duplicate" and "nothing to do" in again.summary()
        assert wh.execute("SELECT count(*) FROM signals").fetchall()[0][0] == sim_telemetry.height

    @pytest.mark.parametrize(
        ("fmt", "suffix"),
        [
            ("long_parquet", "parquet"),
            ("long_csv", "csv"),
            ("wide_csv", "csv"),
            ("dimo_json", "json"),
        ],
    )
    def test_bad_values_per_format(self, wh, tmp_path, fmt, suffix):
        """Out-of-range values are quarantined, a fraction SoC is flagged, the rest lands."""
        t0 = datetime(2024, 6, 1, 12, tzinfo=UTC)
        n = 30
        frame = pl.DataFrame(
            {
                "vehicle_id": ["B1"] * (2 * n),
                "ts": [t0 + timedelta(minutes=i) for i in range(n)] * 2,
                "signal": ["Vehicle.Speed"] * n
                + ["Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"] * n,
                "value": [50.0] * (n - 2) + [900.0, 950.0] + [0.8 - i / 1000 for i in range(n)],
            }
        )
        path = tmp_path / f"bad.{suffix}"
        writer = {
            "long_parquet": lambda: write_long(frame, path, "parquet"),
            "long_csv": lambda: write_long(frame, path, "csv"),
            "wide_csv": lambda: write_wide_csv(frame, path),
            "dimo_json": lambda: write_dimo_json(frame, path, token_id=5),
        }[fmt]
        writer()
        res = ingest_file(wh, path)
        reasons = {i.reason: i for i in res.issues}
        assert res.format == fmt and res.status == "partial"
        assert reasons["out_of_range"].count == 2
        assert "Vehicle.Speed = 9" in reasons["out_of_range"].example
        assert "fraction" in reasons["suspect_unit"].example
        assert res.rows_written == 2 * n - 2
        quarantined = wh.sql("SELECT vehicle_id, reason, count FROM quarantine")
        assert quarantined.rows() == [("B1", "out_of_range", 2)]

    def test_wide_parquet(self, wh, tmp_path, sim_telemetry):
        csv_path = tmp_path / "wide.csv"
        write_wide_csv(sim_telemetry, csv_path)
        wide = pl.read_csv(csv_path).with_columns(pl.col("ts").str.to_datetime(time_zone="UTC"))
        path = tmp_path / "wide.parquet"
        wide.write_parquet(path)
        res = ingest_file(wh, path)
        assert (res.format, res.status) == ("wide_parquet", "ok"), res.message
        _assert_same(_stored(wh), _expected(sim_telemetry))

    def test_vehicles_csv_and_json(self, wh, tmp_path, sim_fleet):
        meta = sim_fleet.metadata()
        for name in ("vehicles.csv", "vehicles.json"):
            path = write_vehicles(meta, tmp_path / name)
            res = ingest_file(wh, path)
            assert res.status == "ok" and res.rows_written == meta.height, res.message
            got = wh.sql("SELECT * FROM vehicles ORDER BY vehicle_id")
            want = meta.sort("vehicle_id")
            assert got["vehicle_id"].to_list() == want["vehicle_id"].to_list()
            for col in ("make", "model", "chemistry"):
                assert (
                    got[col].to_list() == want[col].str.to_uppercase().to_list()
                    or got[col].to_list() == want[col].to_list()
                )
            assert got["nominal_capacity_kwh"].to_list() == pytest.approx(
                want["nominal_capacity_kwh"].to_list()
            )
            assert set(got["capacity_reference"].to_list()) == {"nominal"}

    def test_dimo_signals_latest(self, wh, tmp_path):
        doc = {
            "data": {
                "signalsLatest": {
                    "lastSeen": "2024-05-07T09:21:19Z",
                    "speed": {"timestamp": "2024-05-07T09:21:19Z", "value": 42.5},
                    "powertrainRange": {"timestamp": "2024-05-07T09:20:00Z", "value": 310},
                    "powertrainTractionBatteryStateOfChargeCurrent": {
                        "timestamp": "2024-05-07T09:21:00+02:00",
                        "value": 71.0,
                    },
                    "chassisAxleRow1WheelLeftTirePressure": {
                        "timestamp": "2024-05-07T09:21:00Z",
                        "value": 240.0,
                    },
                    "sped": {"timestamp": "2024-05-07T09:21:00Z", "value": 1.0},
                }
            }
        }
        path = tmp_path / "latest.json"
        path.write_text(json.dumps(doc))
        res = ingest_file(wh, path, vehicle_id="car-1")
        assert res.format == "dimo_json"
        reasons = {i.reason: i for i in res.issues}
        assert "TirePressure" in reasons["unmapped_column"].example  # DIMO signal we do not use
        assert "did you mean speed" in reasons["unknown_signal"].example  # a typo
        got = {r["signal"]: r for r in _stored(wh).iter_rows(named=True)}
        assert got["Vehicle.Speed"]["value"] == 42.5
        assert got["Vehicle.Powertrain.Range"]["value"] == pytest.approx(310_000.0)  # km -> m
        soc = got["Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"]
        assert soc["ts"] == datetime(2024, 5, 7, 7, 21, tzinfo=UTC)

    def test_teslafi_layout(self, wh, tmp_path):
        """A real-world wide layout: local times (DST change), miles, text states."""
        path = tmp_path / "TeslaFi32023.csv"
        path.write_text(
            "Date,battery_level,odometer,speed,power,charging_state,outside_temp,shift_state\n"
            "2023-03-26 01:30:00,80,10000.0,30,12.5,Disconnected,5.5,D\n"
            "2023-03-26 03:30:00,79,10010.0,,-7,Charging,6.0,P\n"
        )
        res = ingest_file(
            wh, path, vehicle_id="T1", options={"column_map": "teslafi@Europe/Berlin"}
        )
        assert (res.format, res.status) == ("wide_csv", "ok"), res.issues
        got = _stored(wh)
        times = sorted(set(got["ts"].to_list()))
        assert times == [
            datetime(2023, 3, 26, 0, 30, tzinfo=UTC),
            datetime(2023, 3, 26, 1, 30, tzinfo=UTC),
        ]
        odo = got.filter(pl.col("signal") == "Vehicle.TraveledDistance")["value"].to_list()
        assert odo == pytest.approx([16093.44, 16109.5334], rel=1e-6)
        spd = got.filter(pl.col("signal") == "Vehicle.Speed")["value"].to_list()
        assert spd == pytest.approx([48.28032])  # empty cell is no sample
        pwr = got.filter(pl.col("signal") == "Vehicle.Powertrain.TractionBattery.CurrentPower")
        assert pwr["value"].to_list() == pytest.approx([12_500.0, -7_000.0])
        chg = got.filter(
            pl.col("signal") == "Vehicle.Powertrain.TractionBattery.Charging.IsCharging"
        )
        assert chg["value"].to_list() == [0.0, 1.0]
        assert any(
            i.reason == "unmapped_column" and "shift_state" in (i.example or "") for i in res.issues
        )

    def test_teslafi_needs_a_zone(self, wh, tmp_path):
        path = tmp_path / "tf.csv"
        path.write_text("Date,battery_level,odometer,speed\n2023-03-26 01:30:00,80,1,2\n")
        res = ingest_file(wh, path, vehicle_id="T1")
        assert res.status == "failed"
        assert "teslafi@Europe/Berlin" in res.message


def test_simulator_outputs_ingest_to_its_telemetry(tmp_path, sim_fleet):
    """The files the simulator writes (through our writers) give back its telemetry exactly."""
    from analytics.ingest import ingest_paths
    from analytics.simulate import write_outputs
    from analytics.warehouse import open_warehouse

    out = tmp_path / "sim"
    write_outputs(sim_fleet, out, formats=("long", "long_csv", "wide", "dimo"), workers=1)
    vid = sim_fleet.vehicles["vehicle_id"][0]
    want = _expected(sim_fleet.telemetry(vid))
    for folder in ("long", "long_csv", "wide", "dimo"):
        wh = open_warehouse(":memory:")
        try:
            results = ingest_paths(
                wh, [out / "exports" / folder, out / "vehicles.csv"], show_progress=False
            )
            assert all(r.status == "ok" for r in results), [r.summary() for r in results]
            _assert_same(_stored(wh), want, rel=1e-12)
            ref = wh.sql("SELECT capacity_reference FROM vehicles")["capacity_reference"]
            assert ref.to_list() == ["nominal"]
        finally:
            wh.close()
