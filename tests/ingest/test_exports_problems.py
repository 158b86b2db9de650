"""Bad input: every skipped row is counted with a reason and an example; nothing is lost."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from analytics.errors import FormatError
from analytics.ingest import ingest_file
from analytics.ingest.base import SqlChunk

VOLT = "Vehicle.Powertrain.TractionBattery.CurrentVoltage"
SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"


def _issues(res) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in res.issues:
        out[i.reason] = out.get(i.reason, 0) + i.count
    return out


def _write(tmp_path, text: str, name: str = "long.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_bad_rows_are_counted_with_reasons(wh, tmp_path):
    path = _write(
        tmp_path,
        (
            "vehicle_id,ts,signal,value\n"
            "V1,2024-01-01T08:00:00Z,speed,50\n"
            "V1,2024-01-01T08:00:01Z,speed,abc\n"  # bad value
            "V1,2024-01-01T08:00:02Z,speed,900\n"  # out of range
            "V1,not a time,speed,5\n"  # bad timestamp
            "V1,2024-01-01 08:00:04,speed,5\n"  # no offset
            "V1,2024-01-01T08:00:05Z,speed,5,surplus\n"  # malformed line
            ",2024-01-01T08:00:06Z,speed,5\n"  # no vehicle
            "V1,2024-01-01T08:00:07Z,speed,7\n"
            "V1,2024-01-01T08:00:07Z,speed,7\n"  # exact duplicate
        ),
    )
    res = ingest_file(wh, path)
    got = _issues(res)
    assert got == {
        "bad_value": 1,
        "out_of_range": 1,
        "bad_timestamp": 1,
        "timestamp_without_offset": 1,
        "malformed_line": 1,
        "no_vehicle_id": 1,
        "duplicate_row": 1,
    }
    assert res.status == "partial"
    assert res.rows_written == 2
    assert res.records_read == 9
    assert res.records_read == res.rows_written + res.records_skipped
    examples = {i.reason: i for i in res.issues}
    assert "abc" in examples["bad_value"].example
    assert "900" in examples["out_of_range"].example
    assert examples["malformed_line"].location == "line 7"
    stored = wh.sql("SELECT reason, count FROM ingest_issues ORDER BY reason")
    assert dict(stored.iter_rows()) == got
    quarantined = wh.sql("SELECT reason, sum(count)::BIGINT n FROM quarantine GROUP BY reason")
    assert dict(quarantined.iter_rows())["out_of_range"] == 1


def test_mixed_time_zones_and_epoch_ms_land_in_utc(wh, tmp_path):
    path = _write(
        tmp_path,
        (
            "vehicle_id,ts,signal,value\n"
            "V1,2024-07-01T10:00:00+02:00,soc_bms_pct,50\n"
            "V1,2024-07-01T08:00:01Z,soc_bms_pct,51\n"
            "V1,1719820802000,soc_bms_pct,52\n"
            "V1,2024-07-01T03:00:03-0500,soc_bms_pct,53\n"
        ),
    )
    res = ingest_file(wh, path)
    assert res.status == "ok", res.issues
    times = wh.sql("SELECT ts FROM signals ORDER BY ts")["ts"].to_list()
    base = datetime(2024, 7, 1, 8, 0, tzinfo=UTC)
    assert [(t - base).total_seconds() for t in times] == [0, 1, 2, 3]


def test_unsorted_input_is_stored_sorted_and_complete(wh, tmp_path):
    rows = [f"V1,2024-01-01T00:00:{s:02d}Z,speed,{s}" for s in (5, 1, 3, 0, 4, 2)]
    path = _write(tmp_path, "vehicle_id,ts,signal,value\n" + "\n".join(rows) + "\n")
    res = ingest_file(wh, path)
    assert res.status == "ok"
    vals = wh.sql("SELECT value FROM signals ORDER BY ts")["value"].to_list()
    assert vals == [0, 1, 2, 3, 4, 5]


def test_unknown_signal_names_list_close_matches(wh, tmp_path):
    path = _write(
        tmp_path,
        (
            "vehicle_id,ts,signal,value\n"
            "V1,2024-01-01T00:00:00Z,Vehicle.Powertrain.TractionBattery.StateOfCharge.Curent,50\n"
            "V1,2024-01-01T00:00:00Z,speed,10\n"
        ),
    )
    res = ingest_file(wh, path)
    issue = next(i for i in res.issues if i.reason == "unknown_signal")
    assert issue.severity == "error" and issue.count == 1
    assert "did you mean" in issue.example
    assert SOC in issue.example
    assert res.rows_written == 1


def test_unit_column_converts_and_records_source_unit(wh, tmp_path):
    path = _write(
        tmp_path,
        (
            "vehicle_id,ts,signal,value,unit\n"
            "V1,2024-01-01T00:00:00Z,pack_voltage_v,391200,mV\n"
            "V1,2024-01-01T00:00:00Z,speed,31.07,mph\n"
            "V1,2024-01-01T00:00:00Z,ambient_temp_c,68,degF\n"
            "V1,2024-01-01T00:00:01Z,speed,10,kg\n"
        ),
    )
    res = ingest_file(wh, path)
    got = dict(wh.sql("SELECT signal, value FROM signals").iter_rows())
    assert got[VOLT] == pytest.approx(391.2)
    assert got["Vehicle.Speed"] == pytest.approx(50.0, abs=0.01)
    assert got["Vehicle.Exterior.AirTemperature"] == pytest.approx(20.0)
    converted = {i.detail for i in res.issues if i.reason == "unit_converted"}
    assert f"{VOLT}: mV -> V" in converted
    bad = next(i for i in res.issues if i.reason == "bad_unit")
    assert "kg" in bad.example and bad.severity == "error"


def test_wrong_units_are_detected(wh, tmp_path):
    soc = "\n".join(
        f"V1,2024-01-01T00:{m:02d}:00Z,soc_bms_pct,{0.80 - m / 1000:.3f}" for m in range(30)
    )
    volt = "\n".join(f"V1,2024-01-01T00:{m:02d}:00Z,pack_voltage_v,{390000 + m}" for m in range(30))
    path = _write(tmp_path, "vehicle_id,ts,signal,value\n" + soc + "\n" + volt + "\n")
    res = ingest_file(wh, path)
    suspects = {i.detail: i for i in res.issues if i.reason == "suspect_unit"}
    assert "fraction" in suspects[SOC].example
    assert VOLT in suspects and "out of range" in suspects[VOLT].example
    assert _issues(res)["out_of_range"] == 30  # quarantined, not stored as data


def test_missing_required_column_is_a_clear_failure(wh, tmp_path):
    path = _write(tmp_path, "vehicle_id,ts,signal,val\nV1,2024-01-01T00:00:00Z,speed,1\n")
    res = ingest_file(wh, path, fmt="long_csv")
    assert res.status == "failed" and "value" in res.message
    assert wh.execute("SELECT count(*) FROM signals").fetchall()[0][0] == 0
    row = wh.sql("SELECT status, message FROM sources").row(0, named=True)
    assert row["status"] == "failed"


def test_file_without_vehicle_needs_vehicle_option(wh, tmp_path):
    path = _write(tmp_path, "ts,signal,value\n2024-01-01T00:00:00Z,speed,1\n")
    assert ingest_file(wh, path).status == "failed"
    res = ingest_file(wh, path, vehicle_id="V9")
    assert res.status == "ok"
    assert wh.execute("SELECT vehicle_id FROM signals").fetchall()[0][0] == "V9"


def test_a_failing_reader_leaves_nothing_behind(wh, tmp_path, monkeypatch):
    """One transaction per file: rows staged before a failure never reach signals."""
    import analytics.ingest.load as load

    class Broken:
        format, target = "broken", "signals"

        def detect(self, path, head):
            return True

        def read(self, path, ctx):
            yield pl.DataFrame(
                {
                    "vehicle_id": ["V1"],
                    "ts": [datetime(2024, 1, 1, tzinfo=UTC)],
                    "signal": ["Vehicle.Speed"],
                    "value": [1.0],
                }
            )
            yield SqlChunk(
                "SELECT 'V1' AS vehicle_id, TIMESTAMPTZ '2024-01-01 00:00:01+00' AS ts, "
                "'Vehicle.Speed' AS signal, 2.0 AS value"
            )
            raise FormatError("the file ends in the middle of a record")

    monkeypatch.setattr(load, "get_reader", lambda fmt: Broken())
    path = _write(tmp_path, "x\n", "broken.bin")
    res = ingest_file(wh, path, fmt="broken")
    assert res.status == "failed" and "middle of a record" in res.message
    assert wh.execute("SELECT count(*) FROM signals").fetchall()[0][0] == 0
    assert wh.sql("SELECT reason FROM ingest_issues")["reason"].to_list() == ["file_failed"]


def test_overlapping_files_keep_stored_rows(wh, tmp_path):
    a = _write(
        tmp_path,
        "vehicle_id,ts,signal,value\nV1,2024-01-01T00:00:00Z,speed,1\n"
        "V1,2024-01-01T00:00:01Z,speed,2\n",
        "a.csv",
    )
    b = _write(
        tmp_path,
        "vehicle_id,ts,signal,value\nV1,2024-01-01T00:00:01Z,speed,2\n"
        "V1,2024-01-01T00:00:02Z,speed,3\n",
        "b.csv",
    )
    ingest_file(wh, a)
    res = ingest_file(wh, b)
    assert res.rows_written == 1
    assert _issues(res) == {"already_stored": 1}
    assert res.status == "ok"
    assert wh.execute("SELECT count(*) FROM signals").fetchall()[0][0] == 3


def test_progress_is_reported(wh, tmp_path):
    class Bar:
        n = 0

        def update(self, k):
            self.n += k

    path = _write(tmp_path, "vehicle_id,ts,signal,value\nV1,2024-01-01T00:00:00Z,speed,1\n")
    bar = Bar()
    ingest_file(wh, path, progress=bar)
    assert bar.n == 1


def test_unknown_signal_in_a_column_map_is_a_clear_error(tmp_path):
    from analytics.ingest.exports.column_maps import load_column_map

    path = tmp_path / "map.json"
    path.write_text(
        '{"timestamp": {"column": "t"}, "columns": '
        '[{"column": "v", "signal": "Vehicle.Sped", "unit": "km/h"}]}'
    )
    with pytest.raises(FormatError, match="did you mean"):
        load_column_map(str(path))
    path.write_text(
        '{"timestamp": {"column": "t"}, "columns": '
        '[{"column": "v", "signal": "Vehicle.Speed", "unit": "kWh"}]}'
    )
    with pytest.raises(FormatError, match="cannot convert"):
        load_column_map(str(path))


def test_custom_column_map_with_scale_and_sign(wh, tmp_path):
    cmap = tmp_path / "logger.json"
    cmap.write_text(
        '{"name": "logger", "timestamp": {"column": "time_s", "format": "epoch_s"},'
        ' "vehicle": {"column": "car"}, "columns": ['
        '{"column": "i_dA", "signal": "pack_current_a", "unit": "A", "scale": 0.1, "sign": -1},'
        '{"column": "u", "signal": "pack_voltage_v", "unit": "V"}]}'
    )
    data = _write(
        tmp_path, "time_s,car,i_dA,u\n1704067200,C1,1234,390.5\n1704067201,C1,,391\n", "logger.csv"
    )
    res = ingest_file(wh, data, options={"column_map": str(cmap)})
    assert res.status == "ok", res.issues
    got = wh.sql("SELECT signal, value FROM signals ORDER BY ts, signal")
    assert got.filter(pl.col("signal").str.ends_with("CurrentCurrent"))["value"].to_list() == [
        -123.4
    ]
    assert got.filter(pl.col("signal") == VOLT)["value"].to_list() == [390.5, 391.0]


def test_large_file_path_hashes_while_reading(wh, tmp_path, monkeypatch):
    """Files past the overlap size are hashed on a thread; the manifest still works."""
    import analytics.ingest.load as load

    monkeypatch.setattr(load, "_OVERLAP_BYTES", 0)
    path = _write(tmp_path, "vehicle_id,ts,signal,value\nV1,2024-01-01T00:00:00Z,speed,1\n")
    first = ingest_file(wh, path)
    again = ingest_file(wh, path)
    assert (first.status, again.status) == ("ok", "duplicate")
    assert again.source_id == first.source_id and len(first.sha256) == 64
    assert wh.sql("SELECT count(*) AS n FROM signals")["n"][0] == 1
    broken = _write(tmp_path, "vehicle_id,ts,signal\n", "broken.csv")
    assert ingest_file(wh, broken, fmt="long_csv").status == "failed"
