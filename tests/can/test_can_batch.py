"""Several logs ingested in parallel worker processes land exactly as one by one."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analytics.can.encode import DBC_DIR, write_can_logs
from analytics.ingest.batch import ingest_paths
from analytics.warehouse import open_warehouse


def _table(wh) -> pl.DataFrame:
    return wh.sql("SELECT vehicle_id, ts, signal, value FROM signals ORDER BY ALL")


def test_parallel_equals_sequential(highres, tmp_path):
    logs = tmp_path / "logs"
    for k, fmt in enumerate(["candump", "blf", "asc"]):
        shifted = highres.with_columns(pl.col("ts") + pl.duration(hours=k))
        write_can_logs(shifted, "demo", logs, f"day{k}", formats=(fmt,))
    (logs / "notes.txt").write_text("not a log\n")
    opts = {"dbc": [str(DBC_DIR / "demo_ev.dbc")]}
    seq = open_warehouse(":memory:")
    par = open_warehouse(":memory:")
    try:
        r1 = ingest_paths(
            seq, [logs], vehicle_id="v1", options=opts, show_progress=False, workers=1
        )
        r2 = ingest_paths(
            par, [logs], vehicle_id="v1", options=opts, show_progress=False, workers=2
        )
        assert [r.status for r in r1] == [r.status for r in r2]
        assert [r.status for r in r2].count("failed") == 1  # notes.txt: unknown format
        assert [(r.records_read, r.records_decoded, r.rows_written) for r in r1] == [
            (r.records_read, r.records_decoded, r.rows_written) for r in r2
        ]
        assert _table(seq).equals(_table(par))
        again = ingest_paths(
            par, [logs], vehicle_id="v1", options=opts, show_progress=False, workers=2
        )
        assert [r.status for r in again][:3] == ["duplicate"] * 3
    finally:
        seq.close()
        par.close()


def test_simulator_manifest_supplies_vehicle_and_dbc(highres, tmp_path):
    """Logs listed in out/can/manifest.csv ingest without --vehicle and --dbc."""
    out = tmp_path / "out"
    rows = []
    for vid, layout in [("V1", "demo"), ("V2", "gm")]:
        for item in write_can_logs(
            highres, layout, out / "can" / vid, "2024-03-05", formats=("candump", "blf")
        ):
            rel = Path(item["path"]).relative_to(out)
            rows.append(f"{rel},{vid},{item['format']},{layout},{';'.join(item['dbc'])}")
    (out / "can" / "manifest.csv").write_text(
        "path,vehicle_id,format,layout,dbc\n" + "\n".join(rows) + "\n"
    )
    wh = open_warehouse(":memory:")
    try:
        res = ingest_paths(wh, [out / "can"], show_progress=False, workers=1)
        assert len(res) == 4 and "failed" not in [r.status for r in res]  # manifest skipped
        got = wh.sql(
            "SELECT vehicle_id, count(DISTINCT signal) n FROM signals GROUP BY 1 ORDER BY 1"
        )
        assert got["vehicle_id"].to_list() == ["V1", "V2"] and min(got["n"]) >= 7
    finally:
        wh.close()
