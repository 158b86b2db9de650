"""Fixtures for the lake tests: a small simulated fleet on disk and lake-mode warehouses."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def fleet_dir(tmp_path_factory) -> Path:
    """Three vehicles over 40 days: canonical long Parquet and CSV exports plus metadata."""
    from analytics.simulate import FleetConfig, simulate_fleet, write_outputs

    out = tmp_path_factory.mktemp("lake_fleet")
    fleet = simulate_fleet(FleetConfig(vehicles=3, days=40, seed=4242, workers=1))
    write_outputs(fleet, out, formats=("long", "long_csv"), workers=1)
    return out


@pytest.fixture
def lake_paths(tmp_path) -> tuple[Path, Path]:
    """A fresh warehouse file and lake folder."""
    return tmp_path / "warehouse.duckdb", tmp_path / "lake"
