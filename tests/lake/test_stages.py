"""The analysis stages run unchanged on a lake-mode warehouse and give the same tables."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from analytics.lake import configure
from analytics.pipeline import run_stages
from analytics.warehouse import open_warehouse

from .helpers import ingest_fleet

TABLES = (
    "quality_vehicles",
    "sessions",
    "soh_observations",
    "soh",
    "forecasts",
    "charging_sessions",
)
RUN_TIME = {"created_at", "computed_at", "updated_at"}


def _tables(path) -> dict[str, pl.DataFrame]:
    with open_warehouse(path, read_only=True) as wh:
        out = {}
        for t in TABLES:
            frame = wh.sql(f"SELECT * FROM {t}")
            frame = frame.drop([c for c in frame.columns if c in RUN_TIME])
            out[t] = frame.sort(frame.columns)
        return out


def test_stages_on_the_lake_equal_stages_on_the_file(fleet_dir, tmp_path):
    plain, lake_wh = tmp_path / "plain.duckdb", tmp_path / "lake.duckdb"
    with open_warehouse(plain) as wh:
        ingest_fleet(wh, fleet_dir)
        run_stages(wh, echo=lambda _: None)
    with open_warehouse(lake_wh) as wh:
        configure(wh, tmp_path / "lake")
        ingest_fleet(wh, fleet_dir)
        run_stages(wh, echo=lambda _: None)
    a, b = _tables(plain), _tables(lake_wh)
    assert a["sessions"].height > 100 and a["soh"].height > 10
    for t in TABLES:  # floats to 1e-12: DuckDB's parallel sums may add in another order
        assert_frame_equal(a[t], b[t], check_exact=False, rel_tol=1e-12, abs_tol=1e-12)
