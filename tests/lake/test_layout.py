"""Lake layout: partition folders, content-derived names, one file per vehicle-day, idempotence."""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import UTC
from pathlib import Path

import duckdb
import polars as pl
import pytest

from analytics.ingest.load import ingest_file
from analytics.lake import LakeError, configure, open_lake, vehicle_files
from analytics.lake.files import from_manifests
from analytics.warehouse import open_warehouse, read_signals, vehicle_ids

from .helpers import ingest_fleet, long_files

_NAME = re.compile(r"^vehicle_id=([^/]+)/date=(\d{4}-\d{2}-\d{2})/([0-9a-f]{64})\.parquet$")


def _disk_files(lake: Path) -> list[str]:
    return sorted(str(p) for p in (lake / "signals").rglob("*.parquet"))


def test_layout_names_and_partitions(fleet_dir, lake_paths):
    wpath, lpath = lake_paths
    with open_warehouse(wpath) as wh:
        configure(wh, lpath)
        results = ingest_fleet(wh, fleet_dir)
        live = wh.lake.live_files()
        written = sum(r.rows_written for r in results[1:])
        assert sum(f.rows for f in live) == written
        assert wh.one("SELECT count(*) FROM signals")[0] == written
    assert sorted(f.path for f in live) == _disk_files(lpath.resolve())
    parts = [(f.vehicle_id, f.date) for f in live]
    assert len(parts) == len(set(parts)), "one file per vehicle-day"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for f in live:
        rel = Path(f.path).relative_to(lpath.resolve() / "signals").as_posix()
        m = _NAME.match(rel)
        assert m, rel
        assert (m.group(1), m.group(2)) == (f.vehicle_id, f.date.isoformat())
        assert m.group(3) == hashlib.sha256(Path(f.path).read_bytes()).hexdigest()
        vids, days, n, ordered = con.execute(
            "SELECT list(DISTINCT vehicle_id), list(DISTINCT CAST(timezone('UTC', ts) AS DATE)), "
            "count(*), bool_and(ts >= prev) FROM (SELECT *, lag(ts, 1, ts) OVER () AS prev "
            "FROM read_parquet(?, hive_partitioning = false))",
            [f.path],
        ).fetchall()[0]
        assert vids == [f.vehicle_id] and days == [f.date] and n == f.rows and ordered


def test_signals_readers_see_the_lake(fleet_dir, lake_paths):
    """The stage readers (read_signals, vehicle_ids, plain SQL on signals) read the lake, in a
    read-only open too; a worker reads one vehicle's files without the warehouse."""
    wpath, lpath = lake_paths
    with open_warehouse(wpath) as wh:
        configure(wh, lpath)
        ingest_fleet(wh, fleet_dir)
        stored = wh.one(f'SELECT count(*) FROM "{wpath.stem}".main.signals')[0]
        assert stored == 0  # nothing in the DuckDB file's own table
    with open_warehouse(wpath, read_only=True) as wh:
        ids = vehicle_ids(wh)
        assert ids == sorted(wh.sql("SELECT DISTINCT vehicle_id FROM signals")["vehicle_id"])
        assert len(ids) == 3
        vid = ids[1]
        frame = read_signals(wh, vid)
        via_view = wh.sql(
            "SELECT ts, signal, value FROM signals WHERE vehicle_id = $v ORDER BY ts, signal",
            {"v": vid},
        )
        assert frame.equals(via_view) and frame.height > 1000
        start = frame["ts"][frame.height // 2].astimezone(UTC)
        part = read_signals(wh, vid, ["Vehicle.Speed"], start=start)
        assert (
            part.height and part["ts"].min() >= start and set(part["signal"]) == {"Vehicle.Speed"}
        )
    files = vehicle_files(lpath, vid)
    assert files and all(f"vehicle_id={vid}/" in f for f in files)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    direct = con.sql(
        "SELECT ts, signal, value FROM read_parquet($f) ORDER BY ts, signal", params={"f": files}
    ).pl()
    assert direct.equals(frame)


def test_reingest_is_a_noop(fleet_dir, lake_paths):
    wpath, lpath = lake_paths
    with open_warehouse(wpath) as wh:
        configure(wh, lpath)
        ingest_fleet(wh, fleet_dir)
        snaps = len(wh.lake.table.metadata.snapshots)
        before = [f.path for f in wh.lake.live_files()]
    with open_warehouse(wpath) as wh:  # and after reopening
        again = [ingest_file(wh, f) for f in long_files(fleet_dir)]
        assert {r.status for r in again} == {"duplicate"}
        wh.lake.refresh()
        assert len(wh.lake.table.metadata.snapshots) == snaps
        assert [f.path for f in wh.lake.live_files()] == before
        assert wh.one("SELECT count(*) FROM sources WHERE status <> 'failed'")[0] == 4
        # the same rows in other bytes: a new source that adds nothing and changes no file
        same = ingest_file(wh, sorted((fleet_dir / "exports" / "long_csv").glob("*.csv"))[0])
        assert same.status == "ok" and same.rows_written == 0
        assert len(wh.lake.table.metadata.snapshots) == snaps + 1
        assert [f.path for f in wh.lake.live_files()] == before
        assert wh.lake.manifests()[-1]["sha256"] == same.sha256


def test_overlapping_file_replaces_partition_files_without_duplicates(
    fleet_dir, lake_paths, tmp_path
):
    """Rows already stored are kept, new ones join the same vehicle-day file, which replaces
    the old one in the same commit; (vehicle, ts, signal) stays unique, as in the file path."""
    wpath, lpath = lake_paths
    src = long_files(fleet_dir)[0]
    first, second = tmp_path / "first.parquet", tmp_path / "second.parquet"
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{src}')")
    # rows 0..2/3 first; then rows 1/3..end with changed values where they overlap
    n = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
    con.execute(f"COPY (SELECT * FROM t ORDER BY ts, signal LIMIT {2 * n // 3}) TO '{first}'")
    con.execute(
        f"COPY (SELECT * REPLACE (value * 0.999 AS value) FROM t ORDER BY ts, signal "
        f"OFFSET {n // 3}) TO '{second}'"
    )
    with open_warehouse(wpath) as wh:
        configure(wh, lpath)
        a = ingest_file(wh, first)
        files_a = {f.path for f in wh.lake.live_files()}
        b = ingest_file(wh, second)
        files_b = {f.path for f in wh.lake.live_files()}
        assert a.rows_written == 2 * n // 3
        assert b.rows_written == n - 2 * n // 3
        assert wh.one("SELECT count(*) FROM signals")[0] == n
        assert (
            wh.one("SELECT count(*) FROM (SELECT DISTINCT vehicle_id, ts, signal FROM signals)")[0]
            == n
        )
        wh.execute(f"CREATE TEMP TABLE original AS SELECT * FROM read_parquet('{src}')")
        changed = wh.one(
            "SELECT count(*) FILTER (WHERE s.value <> o.value), count(*) FROM signals s "
            "JOIN original o USING (vehicle_id, ts, signal) WHERE s.source_id = ?",
            [a.source_id],
        )
        assert changed == (0, a.rows_written)  # stored values not overwritten by the later file
        replaced = files_a - files_b
        assert len(replaced) == 1, "only the vehicle-day both files touch is rewritten"
        manifest = wh.lake.manifests()[-1]
        assert manifest["files_removed"] == 1 and manifest["files_added"] == len(files_b - files_a)
        summary = wh.lake.table.current_snapshot().summary
        assert summary["deleted-data-files"] == "1"
        assert manifest["sha256"] == b.sha256 and manifest["rows"] == {
            manifest["vehicle_ids"][0]: b.rows_written
        }
        vid = manifest["vehicle_ids"][0]
    lake = open_lake(lpath)
    parts = [(f.vehicle_id, f.date) for f in lake.live_files()]
    assert len(parts) == len(set(parts)) and all(p[0] == vid for p in parts)
    # the file index kept beside the table is exactly what Iceberg's manifests list
    listed = from_manifests(lake.table, lake.table.current_snapshot())
    assert sorted(listed) == sorted(
        (f.path, f.vehicle_id, f.date, f.rows, f.bytes) for f in lake.live_files()
    )
    shutil.rmtree(lpath / "index")  # a cache: rebuilt from the manifests when missing
    assert open_lake(lpath).live_files() == lake.live_files()
    assert len(list((lpath / "index").glob("files-*.parquet"))) == 1


def test_configure_refuses_what_it_cannot_do(fleet_dir, lake_paths, tmp_path):
    wpath, lpath = lake_paths
    plain = tmp_path / "plain.duckdb"
    with open_warehouse(plain) as wh:
        ingest_file(wh, long_files(fleet_dir)[0])
        with pytest.raises(LakeError, match="already holds"):
            configure(wh, lpath)
    with open_warehouse(wpath) as wh:
        configure(wh, lpath)
        configure(wh, lpath)  # the same folder again is fine
        assert wh.one("SELECT count(*) FROM signals")[0] == 0  # an empty lake reads empty
        assert vehicle_ids(wh) == [] and read_signals(wh, "any").height == 0
        with pytest.raises(LakeError, match="already stores its signals"):
            configure(wh, tmp_path / "other")
    with pytest.raises(LakeError, match="no lake"):
        open_lake(tmp_path / "nowhere")


def test_vehicle_ids_that_need_escaping(lake_paths, tmp_path):
    """An id with a slash, space and non-ASCII letter gets its own percent-encoded folder and
    reads back exactly, alone, through the view and through read_signals."""
    wpath, lpath = lake_paths
    odd, plain = "fleet A/7 ü%", "B-1"
    csv = tmp_path / "odd.csv"
    csv.write_text(
        "vehicle_id,ts,signal,value\n"
        + "".join(
            f"{vid},2024-03-0{d}T10:00:0{s}Z,Vehicle.Speed,{d * 10 + s}\n"
            for vid in (odd, plain)
            for d in (1, 2)
            for s in range(3)
        ),
        encoding="utf-8",
    )
    with open_warehouse(wpath) as wh:
        configure(wh, lpath)
        assert ingest_file(wh, csv).status == "ok"
        assert vehicle_ids(wh) == sorted([odd, plain])
        assert read_signals(wh, odd)["value"].to_list() == [10, 11, 12, 20, 21, 22]
        assert wh.one("SELECT count(*) FROM signals WHERE vehicle_id = ?", [odd])[0] == 6
        dirs = {Path(f.path).parent.parent.name for f in wh.lake.live_files()}
        assert dirs == {"vehicle_id=fleet%20A%2F7%20%C3%BC%25", "vehicle_id=B-1"}


def test_registered_statistics_match_pyiceberg_full_check(fleet_dir, lake_paths):
    """Files registered through the shared statistics plan carry what pyiceberg's own
    per-file path computes: partition, counts and column bounds."""
    from pyiceberg.io.pyarrow import parquet_file_to_data_file

    from analytics.lake.files import data_files

    wpath, lpath = lake_paths
    with open_warehouse(wpath) as wh:
        configure(wh, lpath)
        ingest_file(wh, long_files(fleet_dir)[0])
        table = wh.lake.table
        paths = [f.path for f in wh.lake.live_files()][:20]
    fast = data_files(table, table.metadata, paths)
    for path, got in zip(paths, fast, strict=True):
        want = parquet_file_to_data_file(table.io, table.metadata, path)
        for attr in (
            "partition",
            "record_count",
            "file_size_in_bytes",
            "value_counts",
            "null_value_counts",
            "lower_bounds",
            "upper_bounds",
            "column_sizes",
        ):
            assert getattr(got, attr) == getattr(want, attr), attr


def test_any_iceberg_reader_sees_the_same_rows(fleet_dir, lake_paths):
    """The table is plain Iceberg: pyiceberg's own scan (partition-pruned) returns the rows the
    warehouse reads."""
    wpath, lpath = lake_paths
    with open_warehouse(wpath) as wh:
        configure(wh, lpath)
        ingest_fleet(wh, fleet_dir)
        vid = vehicle_ids(wh)[0]
        ours = read_signals(wh, vid)
    scan = open_lake(lpath).table.scan(row_filter=f"vehicle_id == '{vid}'")
    theirs = pl.from_arrow(scan.to_arrow()).sort("ts", "signal")
    assert theirs.height == ours.height
    assert theirs["vehicle_id"].unique().to_list() == [vid]
    assert theirs.select("ts", "signal", "value").equals(ours)
