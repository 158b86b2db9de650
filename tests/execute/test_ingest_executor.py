"""Raw CAN logs decoded on a Dask cluster land exactly as decoded in the driver."""

from __future__ import annotations

import polars as pl
import pytest

from analytics.can.encode import DBC_DIR, write_can_logs
from analytics.ingest.batch import ingest_paths
from analytics.warehouse import open_warehouse

pytestmark = pytest.mark.slow


def _table(wh) -> pl.DataFrame:
    return wh.sql("SELECT vehicle_id, ts, signal, value FROM signals ORDER BY ALL")


def test_dask_ingest_equals_local(exec_fleet, tmp_path):
    from analytics.execute import open_executor
    from analytics.simulate.outputs import can_days

    vid = exec_fleet.vehicle_ids[0]
    (day,) = can_days(exec_fleet.run(vid), 1)
    day_frame = exec_fleet.highres(vid, day).with_row_index("i")
    moving = day_frame.filter(pl.col("speed_kmh") > 0)["i"][0]
    highres = day_frame.slice(moving, 900).drop("i")  # 15 minutes of driving at 1 Hz
    logs = tmp_path / "logs"
    for k, fmt in enumerate(["candump", "blf", "asc", "mf4"]):
        shifted = highres.with_columns(pl.col("ts") + pl.duration(hours=k))
        write_can_logs(shifted, "demo", logs, f"day{k}", formats=(fmt,))
    opts = {"dbc": [str(DBC_DIR / "demo_ev.dbc")]}
    results = {}
    tables = {}
    for spec in ("local", "dask=2"):
        with open_warehouse(":memory:") as wh, open_executor(spec) as ex:
            results[spec] = ingest_paths(
                wh, [logs], vehicle_id="v1", options=opts, show_progress=False, executor=ex
            )
            tables[spec] = _table(wh)
    keys = [(r.status, r.records_read, r.rows_written) for r in results["local"]]
    assert keys == [(r.status, r.records_read, r.rows_written) for r in results["dask=2"]]
    statuses = [r.status for r in results["local"]]
    assert "failed" not in statuses and statuses.count("ok") >= 2, statuses
    assert tables["local"].height > 0 and tables["local"].equals(tables["dask=2"])
