"""A small simulated fleet shared by the simulator tests (one vehicle per model)."""

from __future__ import annotations

import pytest

from analytics.simulate import FleetConfig, simulate_fleet
from analytics.simulate.fleet import Fleet


@pytest.fixture(scope="session")
def small_fleet() -> Fleet:
    return simulate_fleet(FleetConfig(vehicles=5, days=12, seed=11, workers=1))
