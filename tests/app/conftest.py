"""Warehouses for the app tests, built once per session.

* ``app_warehouse``: a small simulated fleet run through every pipeline stage, plus a vehicle
  with five minutes of signals (ingested from a canonical CSV holding one unknown signal, so
  ingest records a skipped record); a serving snapshot is published, as every writing
  command does.
* ``empty_warehouse``: a migrated warehouse with no rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analytics.app import server as app_server

TINY = "TINY01"  # the vehicle with almost no data
REPORT_KEY = "app-test-key-0123456789"
APP = str(app_server.APP)


def _tiny_csv(folder: Path) -> Path:
    import polars as pl

    t0 = datetime(2023, 2, 10, 8, tzinfo=UTC)
    ts = [(t0 + timedelta(seconds=i)).isoformat() for i in range(300)]
    signals = {
        "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": lambda i: 80 - i * 0.01,
        "Vehicle.Speed": lambda i: 40.0,
        "Vehicle.Powertrain.TractionBattery.CurrentVoltage": lambda i: 390.0,
    }
    rows = [(TINY, t, sig, f(i)) for sig, f in signals.items() for i, t in enumerate(ts)]
    rows.append((TINY, ts[0], "Vehicle.NoSuch.Signal", 1.0))
    path = folder / "tiny.csv"
    pl.DataFrame(rows, schema=["vehicle_id", "ts", "signal", "value"], orient="row").write_csv(path)
    return path


@pytest.fixture(scope="session")
def app_warehouse(tmp_path_factory) -> dict:
    """Path, vehicle ids (simulated, then TINY01) of a small published warehouse."""
    from analytics.ingest import ingest_file
    from analytics.pipeline import run_stages
    from analytics.serving import publish_snapshot
    from analytics.simulate import FleetConfig, load_fleet, simulate_fleet
    from analytics.warehouse import open_warehouse

    folder = tmp_path_factory.mktemp("app")
    path = folder / "warehouse.duckdb"
    fleet = simulate_fleet(FleetConfig(vehicles=4, days=45, seed=4242, workers=1))
    with open_warehouse(path) as wh:
        load_fleet(wh, fleet)
        run_stages(wh, echo=lambda _: None)
        result = ingest_file(wh, _tiny_csv(folder))
        assert result.status == "partial", result  # one unknown signal skipped
        run_stages(wh, vehicles=[TINY], echo=lambda _: None)
        publish_snapshot(wh)
    return {"path": path, "vehicles": fleet.vehicle_ids, "tiny": TINY}


@pytest.fixture(scope="session")
def empty_warehouse(tmp_path_factory) -> Path:
    """A migrated warehouse without rows (no snapshot published)."""
    from analytics.warehouse import open_warehouse

    path = tmp_path_factory.mktemp("app_empty") / "warehouse.duckdb"
    open_warehouse(path).close()
    return path
