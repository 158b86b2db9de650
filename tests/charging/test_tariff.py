"""Tariff files: time-of-use JSON and hourly CSV, and the errors bad files get."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from analytics.charging.tariff import load_tariff
from analytics.errors import ChargingError

DATA = Path(__file__).resolve().parents[2] / "data" / "tariffs"


def _hours(*items: datetime) -> pl.Series:
    return pl.Series("hour_ts", list(items), dtype=pl.Datetime("us", "UTC"))


def test_shipped_tou_example_prices_local_hours():
    t = load_tariff(DATA / "tou_ev_example.json")
    # Berlin is UTC+1 in January, UTC+2 in July
    got = t.hourly(
        _hours(
            datetime(2024, 1, 15, 1, tzinfo=UTC),  # 02:00 local Monday: off-peak
            datetime(2024, 1, 15, 17, tzinfo=UTC),  # 18:00 local Monday: peak
            datetime(2024, 1, 13, 17, tzinfo=UTC),  # 18:00 local Saturday: base
            datetime(2024, 7, 15, 15, tzinfo=UTC),  # 17:00 local Monday (summer): peak
            datetime(2024, 1, 15, 22, tzinfo=UTC),  # 23:00 local: off-peak (second window)
        )
    )
    assert got["price_per_kwh"].to_list() == [0.19, 0.44, 0.32, 0.44, 0.19]
    assert (got["carbon_g_per_kwh"] == 380).all()


def test_half_hour_boundaries_are_averaged_and_midnight_wraps(tmp_path):
    doc = {
        "timezone": "UTC",
        "base_price_per_kwh": 0.30,
        "periods": [{"name": "go", "days": "all", "start": "23:30", "end": "04:30",
                     "price_per_kwh": 0.10}],
    }  # fmt: skip
    p = tmp_path / "go.json"
    p.write_text(json.dumps(doc))
    t = load_tariff(p)
    got = t.hourly(_hours(*(datetime(2024, 2, 1, h, tzinfo=UTC) for h in (0, 4, 5, 23))))[
        "price_per_kwh"
    ].to_list()
    assert got == pytest.approx([0.10, 0.20, 0.30, 0.20])


def test_shipped_hourly_series_and_uncovered_hours():
    t = load_tariff(DATA / "hourly_price_carbon_example.csv")
    assert t.currency == "EUR"
    got = t.hourly(_hours(datetime(2024, 6, 1, 12, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)))
    assert got["price_per_kwh"][0] > 0 and got["carbon_g_per_kwh"][0] > 0
    assert got["price_per_kwh"][1] is None


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("{not json", ".json", "not valid JSON"),
        ('{"periods": [{"start": "25:00", "price_per_kwh": 1}]}', ".json", "outside"),
        ('{"periods": [{"start": "01:00", "end": "02:00", "price_per_kwh": 1}]}', ".json",
         "base_price_per_kwh"),
        ('{"periods": [{"days": ["funday"], "price_per_kwh": 1}]}', ".json", "unknown day"),
        ('{"timezone": "Mars/Base", "periods": [{"price_per_kwh": 1}]}', ".json", "timezone"),
        ("when,cost\n1,2\n", ".csv", "needs a 'ts' column"),
        ("time,price\n1,2\n", ".csv", "not ISO 8601"),
        ("ts,price_per_kwh\nyesterday,0.2\n", ".csv", "not ISO 8601"),
        ("x", ".xlsx", "use a .json"),
    ],
)  # fmt: skip
def test_bad_files_raise_clear_errors(tmp_path, content, suffix, message):
    p = tmp_path / f"t{suffix}"
    p.write_text(content)
    with pytest.raises(ChargingError, match=message):
        load_tariff(p)


def test_other_spellings_tou_csv_and_json_series(tmp_path):
    hours = _hours(datetime(2024, 3, 1, 0, tzinfo=UTC), datetime(2024, 3, 1, 1, tzinfo=UTC))
    csv = tmp_path / "prices.csv"
    csv.write_text("Timestamp,Price,CO2_g_per_kWh\n2024-03-01T01:00:00+01:00,0.2,300\n")
    got = load_tariff(csv).hourly(hours)
    assert got["price_per_kwh"].to_list() == [0.2, None]  # the offset is honoured
    assert got["carbon_g_per_kwh"].to_list() == [300.0, None]

    tou = tmp_path / "tou.csv"
    tou.write_text(
        "# timezone: UTC\n# base_price_per_kwh: 0.3\n# currency: GBP\n"
        "name,days,start,end,price_per_kwh\nnight,all,00:00,01:00,0.1\n"
    )
    t = load_tariff(tou)
    assert t.kind == "tou" and t.currency == "GBP"
    assert t.hourly(hours)["price_per_kwh"].to_list() == [0.1, 0.3]

    js = tmp_path / "series.json"
    js.write_text(json.dumps({"series": [{"ts": "2024-03-01T01:00:00Z", "price_per_kwh": 0.4}]}))
    assert load_tariff(js).hourly(hours)["price_per_kwh"].to_list() == [None, 0.4]


def test_missing_file():
    with pytest.raises(ChargingError, match="not found"):
        load_tariff("/nonexistent/tariff.json")
