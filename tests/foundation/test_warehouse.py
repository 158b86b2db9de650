"""Warehouse: migrations, read-only mode, lock errors, damaged files."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import duckdb
import polars as pl
import pytest

from analytics.errors import SchemaError, WarehouseError, WarehouseLockedError
from analytics.warehouse import (
    apply_migrations,
    current_version,
    latest_version,
    open_warehouse,
    read_signals,
    replace_vehicle_rows,
)
from analytics.warehouse.migrations import migrations

CORE_TABLES = {"vehicles", "sources", "ingest_issues", "signals", "pipeline_runs", "schema_version"}


def test_migrations_from_empty_file(warehouse_path):
    with open_warehouse(warehouse_path) as wh:
        assert wh.schema_version == latest_version()
        assert set(wh.table_names()) >= CORE_TABLES
        applied = [r[0] for r in wh.execute("SELECT version FROM schema_version").fetchall()]
        assert applied == [m.version for m in migrations()]


@pytest.mark.parametrize("start", [m.version for m in migrations()])
def test_migrations_from_each_earlier_version_keep_data(tmp_path, start):
    path = tmp_path / f"v{start}.duckdb"
    con = duckdb.connect(str(path))
    assert apply_migrations(con, up_to=start) == start
    con.execute(
        "INSERT INTO signals VALUES ('v1', TIMESTAMPTZ '2024-01-01 00:00:00+00', "
        "'Vehicle.Speed', 12.5, NULL)"
    )
    con.close()
    with open_warehouse(path) as wh:
        assert wh.schema_version == latest_version()
        assert wh.one("SELECT value FROM signals")[0] == 12.5


def test_reopening_is_idempotent(warehouse_path):
    open_warehouse(warehouse_path).close()
    with open_warehouse(warehouse_path) as wh:
        n = wh.one("SELECT count(*) FROM schema_version")[0]
    assert n == len(migrations())


def test_read_only_refuses_missing_file(tmp_path):
    with pytest.raises(WarehouseError, match="no warehouse at"):
        open_warehouse(tmp_path / "absent.duckdb", read_only=True)


def test_read_only_refuses_unmigrated_file(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    apply_migrations(con, up_to=1)
    con.close()
    if latest_version() == 1:
        pytest.skip("only one migration exists")
    with pytest.raises(SchemaError, match="migrate"):
        open_warehouse(path, read_only=True)


def test_newer_schema_is_refused(warehouse_path):
    open_warehouse(warehouse_path).close()
    con = duckdb.connect(str(warehouse_path))
    con.execute("INSERT INTO schema_version (version, name) VALUES (9999, 'future')")
    con.close()
    with pytest.raises(SchemaError, match="newer than this package"):
        open_warehouse(warehouse_path)


def test_not_a_duckdb_file(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a database " * 200)
    with pytest.raises(WarehouseError, match="not a DuckDB warehouse"):
        open_warehouse(bad)
    assert bad.read_bytes().startswith(b"this is not a database")


def test_directory_path_is_refused(tmp_path):
    with pytest.raises(WarehouseError, match="is a directory"):
        open_warehouse(tmp_path)


def test_read_only_cannot_write(warehouse_path):
    open_warehouse(warehouse_path).close()
    with (
        open_warehouse(warehouse_path, read_only=True) as wh,
        pytest.raises(WarehouseError),
        wh.transaction(),
    ):
        pass


READER = textwrap.dedent(
    """
    import sys
    from analytics.warehouse import open_warehouse
    wh = open_warehouse(sys.argv[1], read_only=True)
    print("ready", flush=True)
    sys.stdin.readline()
    print(wh.one("SELECT count(*) FROM signals")[0], flush=True)
    wh.close()
    """
)


def test_second_writer_gets_lock_error_while_reader_keeps_reading(warehouse_path):
    with open_warehouse(warehouse_path) as wh:
        wh.execute(
            "INSERT INTO signals VALUES ('v1', now(), 'Vehicle.Speed', 1.0, NULL), "
            "('v1', now(), 'Vehicle.Speed', 2.0, NULL)"
        )
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseLockedError, match="another process") as err:
            open_warehouse(warehouse_path)
        assert "try again" in str(err.value)
        out, _ = reader.communicate("go\n", timeout=60)
        assert out.strip() == "2"
        assert reader.returncode == 0
    finally:
        if reader.poll() is None:
            reader.kill()
    with open_warehouse(warehouse_path) as wh:  # the lock is released with the reader
        assert wh.one("SELECT count(*) FROM signals")[0] == 2


def test_transaction_rolls_back_on_error(memory_warehouse):
    wh = memory_warehouse
    with pytest.raises(RuntimeError), wh.transaction():
        wh.execute("INSERT INTO signals VALUES ('v', now(), 'Vehicle.Speed', 1, NULL)")
        raise RuntimeError("boom")
    assert wh.one("SELECT count(*) FROM signals")[0] == 0


def test_replace_vehicle_rows_only_touches_named_vehicles(memory_warehouse):
    wh = memory_warehouse
    ts = datetime(2024, 1, 1, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "vehicle_id": ["a", "b"],
            "ts": [ts, ts],
            "signal": ["Vehicle.Speed"] * 2,
            "value": [1.0, 2.0],
        }
    )
    replace_vehicle_rows(wh, "signals", ["a", "b"], frame)
    replace_vehicle_rows(
        wh,
        "signals",
        ["a"],
        frame.filter(pl.col("vehicle_id") == "a").with_columns(value=pl.lit(5.0)),
    )
    got = wh.sql("SELECT vehicle_id, value FROM signals ORDER BY 1")
    assert got.rows() == [("a", 5.0), ("b", 2.0)]
    assert read_signals(wh, "b")["value"].to_list() == [2.0]


def test_current_version_of_empty_connection():
    assert current_version(duckdb.connect(":memory:")) == 0
