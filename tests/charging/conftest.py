"""Fixtures for the charging tests: a warehouse holding a small hand-built fleet."""

from __future__ import annotations

import pytest

from .fleetdata import write_fleet


@pytest.fixture(scope="module")
def built_fleet():
    """A warehouse with 10 vehicles (two per habit) x 42 days, charging stage already run."""
    from analytics.charging.stage import run_stage
    from analytics.warehouse import open_warehouse

    wh = open_warehouse(":memory:")
    truth = write_fleet(wh, n_vehicles=10, days=42, seed=11)
    summary = run_stage(wh)
    yield wh, truth, summary
    wh.close()
