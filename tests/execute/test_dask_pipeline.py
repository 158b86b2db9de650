"""The whole pipeline on a Dask LocalCluster (2 workers) gives the local executor's tables,
also when a worker process is killed in the middle of a stage."""

from __future__ import annotations

import pytest

from .conftest import build
from .tables import differences, exactly_equal, table_frames

pytestmark = pytest.mark.slow

STAGE_TABLES = {
    "quality_vehicles",
    "quality_signals",
    "quality_events",
    "sessions",
    "soh",
    "soh_observations",
    "forecasts",
    "forecast_fits",
    "milestones",
    "charging_sessions",
    "charging_stress",
    "charging_flexibility",
    "charging_profiles",
    "charging_load_forecast",
}


def _check_same(local: dict, other: dict) -> None:
    assert not differences(local, other)
    for t in STAGE_TABLES:
        assert local[t].height > 0, t  # the fleet exercises every stage
    # everything computed in the workers is bitwise identical
    same = set(exactly_equal(local, other))
    assert {"quality_vehicles", "quality_events", "sessions", "soh", "soh_observations"} <= same


@pytest.fixture(scope="module")
def local_cluster():
    from analytics.execute.cluster import DaskExecutor

    with DaskExecutor(workers=2) as ex:
        yield ex


def test_local_cluster_workers_limit_threads(local_cluster):
    assert len(local_cluster.worker_pids()) == 2
    reports = local_cluster.thread_reports()
    assert len(reports) == 2
    for r in reports:
        assert r["polars_threads"] == 1
        assert r["duckdb_threads"] == 1
        assert r["env"]["POLARS_MAX_THREADS"] == "1"
        assert set(r["blas_threads"]) <= {1}


def test_dask_local_cluster_matches_local(exec_fleet, local_reference, local_cluster, tmp_path):
    _, local = local_reference
    path = tmp_path / "dask.duckdb"
    summaries = build(path, exec_fleet, executor=local_cluster)
    assert summaries["sessions"]["vehicles"] == local["quality_vehicles"].height
    _check_same(local, table_frames(path))


def test_processes_match_local(exec_fleet, local_reference, tmp_path):
    from analytics.execute import open_executor

    _, local = local_reference
    path = tmp_path / "processes.duckdb"
    with open_executor("processes=2") as ex:
        build(path, exec_fleet, executor=ex)
    _check_same(local, table_frames(path))


def test_killed_worker_loses_nothing(exec_fleet, local_reference, tmp_path):
    from analytics.execute.cluster import DaskExecutor

    from .killer import KillOnce

    _, local = local_reference
    marker = tmp_path / "killed"
    path = tmp_path / "killed.duckdb"
    with DaskExecutor(workers=2) as ex:
        before = set(ex.worker_pids().values())
        ex.client.register_plugin(KillOnce(str(marker), after=2))
        build(path, exec_fleet, executor=ex)
        ex.client.wait_for_workers(2, timeout=30)
        after = set(ex.worker_pids().values())
    killed = int(marker.read_text())
    assert killed in before and killed not in after  # one worker died and was replaced
    frames = table_frames(path)
    _check_same(local, frames)
    # each vehicle written once: no duplicate keys after the retried task
    assert frames["sessions"]["session_id"].is_unique().all()
    assert frames["quality_vehicles"]["vehicle_id"].is_unique().all()


def test_lake_rows_read_on_the_workers_match_local(exec_fleet, local_cluster, tmp_path):
    """In lake mode the workers read each vehicle's lake files themselves; same tables."""
    from analytics.execute import local_executor
    from analytics.execute.inputs import LakeRows, vehicle_signals
    from analytics.ingest import ingest_paths
    from analytics.lake import configure
    from analytics.pipeline import run_stages
    from analytics.simulate import write_outputs
    from analytics.warehouse import open_warehouse

    fleet_dir = tmp_path / "fleet"
    write_outputs(exec_fleet, fleet_dir, formats=("long",))
    frames = {}
    for name, ex in (("local", local_executor()), ("dask", local_cluster)):
        path = tmp_path / f"{name}.duckdb"
        with open_warehouse(path) as wh:
            configure(wh, tmp_path / f"lake-{name}")
            ingest_paths(wh, [fleet_dir], show_progress=False, workers=1)
            handed = vehicle_signals(wh, exec_fleet.vehicle_ids[0], ex)
            assert isinstance(handed, LakeRows) == (name == "dask")
            if name == "dask":  # the worker reads what the driver would have read
                assert handed.read().equals(
                    vehicle_signals(wh, handed.vehicle_id, local_executor())
                )
            run_stages(wh, executor=ex, echo=lambda _: None)
        # each warehouse ingested the fleet on its own: ingest's reports (which offending row
        # is kept as the example) are not what this test compares
        frames[name] = {
            t: f for t, f in table_frames(path).items() if t not in {"ingest_issues", "quarantine"}
        }
    _check_same(frames["local"], frames["dask"])
