"""Serving snapshots: complete, atomic, versioned copies that readers open read-only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analytics.errors import WarehouseError
from analytics.serving import (
    KEEP_VERSIONS,
    current_snapshot,
    open_serving,
    publish_snapshot,
    serving_dir,
    snapshot_history,
)
from analytics.warehouse import open_warehouse


def _counts(wh, tables):
    return {t: int(wh.one(f'SELECT count(*) FROM "{t}"')[0]) for t in tables}


TABLES = ("vehicles", "sources", "signals", "sessions", "soh", "forecasts", "charging_sessions")


def test_snapshot_holds_every_table_with_the_same_rows(warehouse):
    with open_warehouse(warehouse) as wh:
        info = publish_snapshot(wh)
        expected = _counts(wh, TABLES)
    assert info.version == 1 and info.path.exists()
    assert info.path.parent == serving_dir(warehouse) == warehouse.with_name("warehouse.serving")
    with open_serving(warehouse) as snap:
        assert snap.read_only and snap.path == info.path
        assert _counts(snap, TABLES) == expected
        assert expected["sessions"] > 0 and expected["soh"] > 0
        version, schema = snap.one("SELECT version, schema_version FROM serving_info")
        assert version == 1 and schema == snap.schema_version
        rollup = snap.one("SELECT sum(n) FROM signal_minutes")[0]
        assert rollup == expected["signals"]
    assert {k: info.tables[k] for k in TABLES} == expected


def test_readers_never_block_the_writer_and_keep_their_version(warehouse):
    with open_warehouse(warehouse) as wh:
        publish_snapshot(wh)
    reader = open_serving(warehouse)  # held open across the next publish
    try:
        with open_warehouse(warehouse) as wh:  # the writer opens although a reader is open
            wh.execute("DELETE FROM sessions WHERE kind = 'park'")
            second = publish_snapshot(wh)
            parks_now = wh.one("SELECT count(*) FROM sessions WHERE kind = 'park'")[0]
        assert parks_now == 0 and second.version == 2
        assert reader.one("SELECT version FROM serving_info")[0] == 1
        assert reader.one("SELECT count(*) FROM sessions WHERE kind = 'park'")[0] > 0
    finally:
        reader.close()
    with open_serving(warehouse) as snap:
        assert snap.one("SELECT version FROM serving_info")[0] == 2
        assert snap.one("SELECT count(*) FROM sessions WHERE kind = 'park'")[0] == 0


def test_old_versions_are_pruned_and_history_kept(warehouse):
    with open_warehouse(warehouse) as wh:
        for _ in range(KEEP_VERSIONS + 2):
            last = publish_snapshot(wh)
    files = sorted(p.name for p in serving_dir(warehouse).glob("v*.duckdb"))
    assert len(files) == KEEP_VERSIONS and files[-1] == last.path.name
    assert [h["version"] for h in snapshot_history(warehouse)] == list(range(1, last.version + 1))
    assert current_snapshot(warehouse).version == last.version
    assert not list(serving_dir(warehouse).glob(".tmp-*"))


def test_a_failed_publish_leaves_the_previous_snapshot_current(warehouse):
    with open_warehouse(warehouse) as wh:
        first = publish_snapshot(wh)
        original = wh.con.execute

        def disk_full_at_sessions(sql, *args, **kwargs):
            if sql.startswith("CREATE TABLE snap.") and '"sessions"' in sql:
                raise OSError("no space left on device")
            return original(sql, *args, **kwargs)

        wh.con = _Proxy(wh.con, disk_full_at_sessions)
        with pytest.raises(OSError):
            publish_snapshot(wh)
    assert current_snapshot(warehouse).version == first.version
    leftovers = [p.name for p in serving_dir(warehouse).iterdir() if p.name.startswith(".tmp")]
    assert leftovers == []
    with open_serving(warehouse) as snap:
        assert snap.one("SELECT version FROM serving_info")[0] == 1


class _Proxy:
    """A connection whose ``execute`` goes through ``hook`` (to fail a publish mid-copy)."""

    def __init__(self, con, hook):
        self._con, self.execute = con, hook

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_without_a_snapshot_the_warehouse_itself_is_read(warehouse):
    with open_serving(warehouse) as wh:
        assert wh.path == warehouse and wh.read_only
        assert wh.one("SELECT version FROM serving_info")[0] == 0
        assert (
            wh.one("SELECT sum(n) FROM signal_minutes")[0]
            == wh.one("SELECT count(*) FROM signals")[0]
        )


def test_no_warehouse_says_ingest_data_first(tmp_path):
    with pytest.raises(WarehouseError, match="ingest data first"):
        open_serving(tmp_path / "missing.duckdb")


def test_cli_writing_commands_publish_and_no_publish_skips(warehouse, fleet_dir):
    from analytics.cli.main import main

    env_before = os.environ.get("ANALYTICS_WAREHOUSE")
    try:
        assert main(["--warehouse", str(warehouse), "--no-publish", "sessions"]) == 0
        assert current_snapshot(warehouse) is None
        assert main(["--warehouse", str(warehouse), "sessions"]) == 0
        assert current_snapshot(warehouse).version == 1
        assert main(["--warehouse", str(warehouse), "info"]) == 0  # a reader: no publish
        assert current_snapshot(warehouse).version == 1
        assert main(["--warehouse", str(warehouse), "publish"]) == 0
        assert current_snapshot(warehouse).version == 2
    finally:
        if env_before is not None:
            os.environ["ANALYTICS_WAREHOUSE"] = env_before


def test_a_reader_can_pin_the_version_it_started_with(warehouse):
    with open_warehouse(warehouse) as wh:
        publish_snapshot(wh)
        wh.execute("DELETE FROM sessions")
        publish_snapshot(wh)
    with open_serving(warehouse, version=1) as snap:
        assert snap.one("SELECT version FROM serving_info")[0] == 1
        assert snap.one("SELECT count(*) FROM sessions")[0] > 0
    with open_serving(warehouse) as snap:
        assert snap.one("SELECT count(*) FROM sessions")[0] == 0
    with pytest.raises(WarehouseError, match="no longer kept"):
        open_serving(warehouse, version=99)


def test_views_are_in_the_snapshot_and_read_its_tables(warehouse):
    with open_warehouse(warehouse) as wh:
        publish_snapshot(wh)
        expected = wh.one("SELECT count(*) FROM charging_flexibility_fleet")[0]
        wh.execute("DELETE FROM charging_flexibility")
    with open_serving(warehouse) as snap:
        assert expected > 0
        assert snap.one("SELECT count(*) FROM charging_flexibility_fleet")[0] == expected


def test_a_lost_pointer_never_reuses_a_version_number(warehouse):
    with open_warehouse(warehouse) as wh:
        publish_snapshot(wh)
        publish_snapshot(wh)
        (serving_dir(warehouse) / "CURRENT").unlink()
        (serving_dir(warehouse) / "history.jsonl").unlink()
        assert publish_snapshot(wh).version == 3  # the kept files still name v1 and v2


def test_read_only_commands_do_not_publish(warehouse):
    from analytics.cli.main import main

    assert main(["--warehouse", str(warehouse), "quality", "--show-only"]) == 0
    assert current_snapshot(warehouse) is None
    tariffs = sorted((Path(__file__).resolve().parents[2] / "data" / "tariffs").glob("*.json"))
    assert tariffs
    args = ["--warehouse", str(warehouse), "charging", "simulate", "--tariff", str(tariffs[0])]
    assert main(args) == 0
    assert current_snapshot(warehouse) is None
