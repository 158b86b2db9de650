"""Fixtures for the export-ingest tests: a small simulated vehicle and helpers."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def sim_fleet():
    """One simulated vehicle over two days (the simulator's car-reported telemetry is truth)."""
    from analytics.simulate import FleetConfig, simulate_fleet

    return simulate_fleet(FleetConfig(vehicles=1, days=2, seed=11, workers=1))


@pytest.fixture(scope="session")
def sim_telemetry(sim_fleet):
    """The long frame the simulator reports for its one vehicle."""
    vid = sim_fleet.vehicles["vehicle_id"][0]
    return sim_fleet.telemetry(vid)


@pytest.fixture
def wh():
    """A migrated in-memory warehouse."""
    from analytics.warehouse import open_warehouse

    w = open_warehouse(":memory:")
    yield w
    w.close()
