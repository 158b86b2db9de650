"""A small generated fleet and its warehouse built with the local executor (the reference)."""

from __future__ import annotations

from pathlib import Path

import pytest

FLEET = {"vehicles": 4, "days": 90, "seed": 6161}


def build(path: Path, fleet, executor=None, **kwargs) -> dict:
    """Load ``fleet`` into a new warehouse at ``path`` and run every stage."""
    from analytics.pipeline import run_stages
    from analytics.simulate import load_fleet
    from analytics.warehouse import open_warehouse

    with open_warehouse(path) as wh:
        load_fleet(wh, fleet)
        return run_stages(wh, executor=executor, echo=lambda _: None, **kwargs)


@pytest.fixture(scope="session")
def exec_fleet():
    from analytics.simulate import FleetConfig, simulate_fleet

    return simulate_fleet(FleetConfig(workers=1, **FLEET))


@pytest.fixture(scope="session")
def local_reference(exec_fleet, tmp_path_factory):
    """(warehouse path, table frames) of the pipeline run with the local executor."""
    from .tables import table_frames

    path = tmp_path_factory.mktemp("exec-local") / "warehouse.duckdb"
    build(path, exec_fleet)
    return path, table_frames(path)
