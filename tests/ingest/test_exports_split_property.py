"""Property: an export split into several files, ingested in any order, equals the whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.ingest import ingest_file
from analytics.warehouse import open_warehouse

SIGNALS = ("Vehicle.Speed", "soc_bms_pct", "powertrainTractionBatteryCurrentVoltage")
T0 = datetime(2024, 3, 1, tzinfo=UTC)

key = st.tuples(st.sampled_from(["A", "B"]), st.integers(0, 40), st.sampled_from(SIGNALS))


def _value(vehicle: str, second: int, signal: str) -> float:
    """One value per key, so repeated keys are exact duplicates (order-independent)."""
    return float((second * 7 + len(signal) + ord(vehicle)) % 90)


def _frame(keys: list[tuple[str, int, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "vehicle_id": [k[0] for k in keys],
            "ts": [T0 + timedelta(seconds=k[1]) for k in keys],
            "signal": [k[2] for k in keys],
            "value": [_value(*k) for k in keys],
        },
        schema={
            "vehicle_id": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "signal": pl.String,
            "value": pl.Float64,
        },
    )


def _write(frame: pl.DataFrame, path, fmt: str):
    if fmt == "parquet":
        frame.write_parquet(path)
    else:
        frame.with_columns(pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")).write_csv(path)
    return path


def _table(wh) -> list[tuple]:
    return wh.sql("SELECT vehicle_id, ts, signal, value FROM signals ORDER BY ALL").rows()


@settings(max_examples=12, deadline=None)
@given(
    keys=st.lists(key, min_size=1, max_size=60),
    parts=st.lists(st.integers(0, 3), min_size=60, max_size=60),
    order=st.permutations([0, 1, 2, 3]),
    fmt=st.sampled_from(["csv", "parquet"]),
)
def test_split_in_any_order_equals_whole(tmp_path_factory, keys, parts, order, fmt):
    tmp = tmp_path_factory.mktemp("split")
    frame = _frame(keys)
    whole_wh = open_warehouse(":memory:")
    split_wh = open_warehouse(":memory:")
    try:
        ingest_file(whole_wh, _write(frame, tmp / f"whole.{fmt}", fmt))
        piece = pl.Series("part", parts[: frame.height])
        for p in order:
            chunk = frame.filter(piece == p)
            if chunk.height:
                res = ingest_file(split_wh, _write(chunk, tmp / f"part{p}.{fmt}", fmt))
                # two pieces can hold the same bytes (a repeated row): the second is a no-op
                assert res.status in ("ok", "partial", "duplicate"), res.message
        whole = _table(whole_wh)
        assert whole == _table(split_wh)
        assert len(whole) == len(set(keys))
    finally:
        whole_wh.close()
        split_wh.close()
