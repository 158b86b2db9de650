"""The direct path: clean long files go straight into ``signals``; anything else falls back.

The fallback must leave no trace (no rows, no source row, no issues of the abandoned attempt)
and give exactly what the exact path gives.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

import analytics.ingest.load as load
from analytics.catalog import load_catalog
from analytics.ingest import ingest_file

SPEED = "Vehicle.Speed"
SOC = "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current"
VOLT = "Vehicle.Powertrain.TractionBattery.CurrentVoltage"
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _frame(vehicles: int = 3, steps: int = 40) -> pl.DataFrame:
    rows = [
        (f"V{v}", T0 + timedelta(seconds=10 * i), sig, float(base + (i % 7)))
        for v in range(vehicles)
        for i in range(steps)
        for sig, base in ((SPEED, 20), (SOC, 50), (VOLT, 350))
    ]
    return pl.DataFrame(rows, schema=["vehicle_id", "ts", "signal", "value"], orient="row")


def _write(frame: pl.DataFrame, path) -> object:
    if str(path).endswith(".parquet"):
        frame.with_columns(pl.col("ts").dt.cast_time_unit("us")).write_parquet(path)
    else:
        frame.with_columns(pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")).write_csv(path)
    return path


def _stored(wh) -> pl.DataFrame:
    return wh.sql("SELECT vehicle_id, ts, signal, value FROM signals").sort(
        ["vehicle_id", "ts", "signal"]
    )


@pytest.fixture
def no_staging(monkeypatch):
    """Fail the test if the exact (staging) path runs."""

    def refuse(*_a, **_k):
        raise AssertionError("the exact path ran")

    monkeypatch.setattr(load, "_stage_frames", refuse)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
@pytest.mark.parametrize(
    "order",
    [
        ["vehicle_id", "ts", "signal"],
        ["vehicle_id", "signal", "ts"],
        ["ts", "vehicle_id", "signal"],  # time-major: proven by the hash count
    ],
)
def test_clean_file_goes_direct_in_any_order(wh, tmp_path, no_staging, suffix, order):
    frame = _frame().sort(order)
    res = ingest_file(wh, _write(frame, tmp_path / f"clean.{suffix}"))
    assert res.status == "ok", res.issues
    assert res.rows_written == res.records_read == frame.height and res.records_skipped == 0
    got = _stored(wh)
    assert got["value"].to_list() == frame.sort(["vehicle_id", "ts", "signal"])["value"].to_list()
    src = wh.one("SELECT status, rows_written, sha256 FROM sources")
    assert src[0] == "ok" and src[1] == frame.height and len(src[2]) == 64


@pytest.mark.parametrize("attr", ["dimo_alias", "key"])
def test_other_catalog_spellings_go_direct(wh, tmp_path, no_staging, attr):
    cat = load_catalog()
    frame = _frame().with_columns(
        pl.col("signal").replace({p: getattr(cat.find(p), attr) for p in (SPEED, SOC, VOLT)})
    )
    res = ingest_file(wh, _write(frame, tmp_path / "names.csv"))
    assert res.status == "ok" and res.rows_written == frame.height
    assert set(_stored(wh)["signal"]) == {SPEED, SOC, VOLT}


def test_fallback_leaves_no_trace(wh, tmp_path):
    frame = _frame(vehicles=1, steps=10)
    bad = pl.concat(
        [
            frame,
            frame.head(1),  # a repeated row
            frame.head(1).with_columns(value=pl.lit(9000.0), signal=pl.lit(SPEED)),
        ]
    )
    first = ingest_file(wh, _write(frame, tmp_path / "a.csv"))
    second = ingest_file(wh, _write(bad, tmp_path / "b.csv"))
    assert first.status == "ok" and second.status == "partial"
    assert second.source_id == first.source_id + 1  # the direct attempt's id is reused
    assert wh.one("SELECT count(*) FROM sources")[0] == 2
    assert wh.one("SELECT count(*) FROM signals")[0] == frame.height
    reasons = {i.reason: i.count for i in second.issues}
    assert reasons["duplicate_row"] == 1 and reasons["already_stored"] == frame.height
    assert second.records_read == bad.height
    assert second.records_read == second.rows_written + second.records_skipped
    stored = wh.one(
        "SELECT count(*) FROM ingest_issues WHERE source_id = ? AND reason = 'duplicate_row'",
        [second.source_id],
    )
    assert stored[0] == 1


def test_overlap_without_shared_keys_stays_direct(wh, tmp_path, monkeypatch):
    frame = _frame(vehicles=1)
    speed = frame.filter(pl.col("signal") == SPEED)
    rest = frame.filter(pl.col("signal") != SPEED)
    assert ingest_file(wh, _write(speed, tmp_path / "speed.parquet")).status == "ok"
    monkeypatch.setattr(load, "_stage_frames", lambda *a, **k: pytest.fail("exact path ran"))
    res = ingest_file(wh, _write(rest, tmp_path / "rest.parquet"))
    assert res.status == "ok" and res.rows_written == rest.height
    monkeypatch.undo()
    again = ingest_file(wh, _write(frame.head(5), tmp_path / "again.parquet"))
    assert again.rows_written == 0
    assert {i.reason: i.count for i in again.issues}["already_stored"] == 5
    assert _stored(wh).height == frame.height


def test_large_file_duplicate_found_by_the_hash_thread(wh, tmp_path, monkeypatch):
    monkeypatch.setattr(load, "_OVERLAP_BYTES", 0)  # hash on the second thread
    path = _write(_frame(), tmp_path / "big.csv")
    first = ingest_file(wh, path)
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    second = ingest_file(wh, copy)
    assert first.status == "ok" and second.status == "duplicate"
    assert second.source_id == first.source_id
    assert wh.one("SELECT count(*) FROM sources")[0] == 1
    assert wh.one("SELECT count(*) FROM signals")[0] == first.rows_written


def test_malformed_lines_are_counted_on_the_direct_path(wh, tmp_path, no_staging):
    path = _write(_frame(vehicles=1, steps=5), tmp_path / "m.csv")
    path.write_text(path.read_text() + "V0,2024-03-01T00:10:00Z,only three\n")
    res = ingest_file(wh, path)
    reasons = {i.reason: i for i in res.issues}
    assert res.status == "partial" and res.records_skipped == 1
    assert reasons["malformed_line"].location == "line 17"
    assert res.records_read == res.rows_written + 1


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
@pytest.mark.parametrize("order", [["vehicle_id", "ts", "signal"], ["vehicle_id", "signal", "ts"]])
def test_repeat_in_a_second_run_is_found(wh, tmp_path, suffix, order):
    """A key repeated after another vehicle's (series') rows is not hidden by sorted runs."""
    frame = _frame(vehicles=2, steps=5).sort(order)
    bad = pl.concat([frame, frame.head(1)])
    res = ingest_file(wh, _write(bad, tmp_path / f"rep.{suffix}"))
    assert {i.reason: i.count for i in res.issues}["duplicate_row"] == 1
    assert res.rows_written == frame.height
    assert _stored(wh).height == frame.height


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_conflicting_repeat_keeps_the_first_row_and_sorts(wh, tmp_path, suffix):
    frame = _frame(vehicles=2, steps=4)
    later = frame.head(2).with_columns(pl.col("value") + 1.0)  # same keys, other values
    bad = pl.concat([frame.reverse(), later])  # unsorted, repeats at the end
    res = ingest_file(wh, _write(bad, tmp_path / f"conf.{suffix}"))
    reasons = {i.reason: i for i in res.issues}
    assert reasons["duplicate_row"].count == 2 and reasons["conflicting_duplicate"].count == 2
    assert res.rows_written == frame.height
    order = ["vehicle_id", "ts", "signal"]
    stored = wh.sql("SELECT vehicle_id, ts, signal, value FROM signals")  # storage order
    assert stored.select(order).rows() == stored.sort(order).select(order).rows()
    assert stored.sort(order)["value"].to_list() == frame.sort(order)["value"].to_list()
