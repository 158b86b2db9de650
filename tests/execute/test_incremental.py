"""Only vehicles whose inputs changed are re-modelled, and the result equals a full run."""

from __future__ import annotations

import shutil
from datetime import timedelta

import polars as pl
import pytest

from .tables import differences, table_frames

pytestmark = pytest.mark.slow


def test_more_data_for_one_vehicle_remodels_only_that_vehicle(exec_fleet, tmp_path):
    from analytics.ingest import ingest_paths
    from analytics.pipeline import run_stages
    from analytics.simulate import load_fleet
    from analytics.warehouse import open_warehouse

    first = exec_fleet.telemetry(exec_fleet.vehicle_ids[0])["ts"].min()
    cut = (first + timedelta(days=60)).date()
    grown = exec_fleet.vehicle_ids[1]
    later = (
        exec_fleet.telemetry(grown)
        .filter(pl.col("ts").dt.date() >= cut)
        .select("vehicle_id", "ts", "signal", pl.col("value").cast(pl.Float64))
    )
    export = tmp_path / "later.parquet"
    later.write_parquet(export)
    path = tmp_path / "warehouse.duckdb"
    quiet = {"echo": lambda _: None}
    with open_warehouse(path) as wh:
        load_fleet(wh, exec_fleet, before=cut)
        run_stages(wh, incremental=True, **quiet)  # first run: every vehicle is new
        again = run_stages(wh, incremental=True, **quiet)
        assert all("unchanged_vehicles" in s for s in again.values())
        (res,) = ingest_paths(wh, [export], show_progress=False, workers=1)
        assert res.status == "ok" and res.rows_written == later.height
        step = run_stages(wh, incremental=True, **quiet)
    n = len(exec_fleet.vehicle_ids)
    assert step["quality"]["vehicles"] == 1 and step["quality"]["inputs_changed"] == 1
    assert step["sessions"]["vehicles"] == 1
    assert 1 <= step["soh"]["vehicles"] <= n and step["soh"]["fleet"] == n
    assert step["forecast"]["vehicles"] == n  # pooled over the fleet: refitted whole
    assert 1 <= step["charging"]["vehicles"] <= n
    # the incremental result is the full recomputation's
    full = tmp_path / "full.duckdb"
    shutil.copy(path, full)
    with open_warehouse(full) as wh:
        run_stages(wh, incremental=False, **quiet)
    assert not differences(table_frames(path), table_frames(full))


def test_lake_fingerprints_follow_the_lake_files(exec_fleet, tmp_path):
    """In lake mode a fingerprint comes from the vehicle's content-named files, not its rows."""
    from analytics.execute.incremental import input_fingerprints
    from analytics.ingest import ingest_paths
    from analytics.lake import configure
    from analytics.warehouse import open_warehouse

    a, b = exec_fleet.vehicle_ids[:2]
    tel = pl.concat([exec_fleet.telemetry(v) for v in (a, b)]).select(
        "vehicle_id", "ts", "signal", pl.col("value").cast(pl.Float64)
    )
    cut = tel["ts"].min() + timedelta(days=20)
    tel.filter(pl.col("ts") < cut).write_parquet(tmp_path / "first.parquet")
    tel.filter((pl.col("ts") >= cut) & (pl.col("vehicle_id") == b)).write_parquet(
        tmp_path / "more.parquet"
    )
    with open_warehouse(tmp_path / "w.duckdb") as wh:
        configure(wh, tmp_path / "lake")
        assert wh.lake is not None  # signals are read from the lake's files
        ingest_paths(wh, [tmp_path / "first.parquet"], show_progress=False, workers=1)
        before = input_fingerprints(wh)
        ingest_paths(wh, [tmp_path / "more.parquet"], show_progress=False, workers=1)
        after = input_fingerprints(wh)
    assert set(before) == set(after) == {a, b}
    assert before[a] == after[a] and before[b] != after[b]
