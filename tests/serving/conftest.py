"""A small simulated fleet whose first vehicle is ingested and modelled: the published base."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory) -> Path:
    from analytics.simulate import FleetConfig, simulate_fleet, write_outputs

    out = tmp_path_factory.mktemp("serving_fleet")
    fleet = simulate_fleet(FleetConfig(vehicles=3, days=45, seed=5, workers=1))
    write_outputs(fleet, out, formats=("long",))
    return out


@pytest.fixture(scope="module")
def base_warehouse(fleet_dir, tmp_path_factory) -> Path:
    """Metadata and SIM0001 ingested, every stage run; nothing published yet."""
    from analytics.ingest import ingest_file
    from analytics.pipeline import run_stages
    from analytics.warehouse import open_warehouse

    path = tmp_path_factory.mktemp("serving_base") / "warehouse.duckdb"
    with open_warehouse(path) as wh:
        ingest_file(wh, fleet_dir / "vehicles.csv")
        ingest_file(wh, fleet_dir / "exports" / "long" / "SIM0001.parquet")
        run_stages(wh, echo=lambda _: None)
    return path


@pytest.fixture
def warehouse(base_warehouse, tmp_path) -> Path:
    """A private copy of the base warehouse for one test."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(base_warehouse, path)
    return path
