"""Crashes: a process killed between the lake commit and the warehouse commit, or before the
lake commit after its files were written. Nothing is lost, nothing is doubled."""

from __future__ import annotations

from pathlib import Path

from analytics.ingest.load import file_sha256, ingest_file
from analytics.lake import configure, open_lake
from analytics.warehouse import open_warehouse

from .helpers import long_files, run_python

_PRELUDE = """
import os, sys
from analytics.warehouse import open_warehouse
import analytics.ingest.load as load
"""


def _ingest_and_die_after_lake_commit(wpath: Path, file: Path) -> None:
    code = (
        _PRELUDE
        + f"""
real = load.commit_source
def commit_then_die(*args, **kwargs):
    real(*args, **kwargs)
    os._exit(3)  # the lake snapshot is committed, the warehouse transaction is not
load.commit_source = commit_then_die
wh = open_warehouse({str(wpath)!r})
load.ingest_file(wh, {str(file)!r})
"""
    )
    done = run_python(code, wpath.parent)
    assert done.returncode == 3, done.stderr


def test_crash_between_lake_commit_and_warehouse_is_recovered(fleet_dir, lake_paths):
    wpath, lpath = lake_paths
    first, second, third = long_files(fleet_dir)
    with open_warehouse(wpath) as wh:
        configure(wh, lpath)
        ok = ingest_file(wh, first)
    _ingest_and_die_after_lake_commit(wpath, second)
    sha = file_sha256(second)
    manifest = open_lake(lpath).manifests()[-1]
    assert manifest["sha256"] == sha and manifest["files_added"]
    with open_warehouse(wpath, read_only=True) as wh:  # the crash left the warehouse without it
        assert wh.one("SELECT count(*) FROM sources WHERE sha256 = ?", [sha])[0] == 0
        lake_rows = wh.one("SELECT count(*) FROM signals")[0]
    with open_warehouse(wpath) as wh:  # a writer mirrors the manifest on open
        row = wh.one(
            "SELECT source_id, status, rows_written, path FROM sources WHERE sha256 = ?", [sha]
        )
        assert row == (manifest["source_id"], "ok", sum(manifest["rows"].values()), str(second))
        in_lake = wh.one("SELECT count(*) FROM signals WHERE source_id = ?", [row[0]])[0]
        assert in_lake == row[2] > 0
        assert wh.one("SELECT count(*) FROM signals")[0] == lake_rows
        assert ingest_file(wh, second).status == "duplicate"
        nxt = ingest_file(wh, third)
        assert nxt.status == "ok" and nxt.source_id > row[0] > ok.source_id
        total = wh.one("SELECT count(*) FROM signals")[0]
        unique = wh.one(
            "SELECT count(*) FROM (SELECT DISTINCT vehicle_id, ts, signal FROM signals)"
        )[0]
        assert total == unique == lake_rows + nxt.rows_written
    with open_warehouse(wpath) as wh:  # mirroring again changes nothing
        assert wh.one("SELECT count(*) FROM sources WHERE sha256 = ?", [sha])[0] == 1


def test_retry_after_a_crash_before_the_lake_commit_writes_the_same_files(fleet_dir, lake_paths):
    wpath, lpath = lake_paths
    file = long_files(fleet_dir)[0]
    with open_warehouse(wpath) as wh:
        configure(wh, lpath)
    code = (
        _PRELUDE
        + f"""
from pyiceberg.table import Transaction
Transaction.commit_transaction = lambda self: os._exit(3)  # files written, nothing committed
wh = open_warehouse({str(wpath)!r})
load.ingest_file(wh, {str(file)!r})
"""
    )
    done = run_python(code, wpath.parent)
    assert done.returncode == 3, done.stderr
    orphans = sorted((lpath / "signals").rglob("*.parquet"))
    assert orphans, "the crashed attempt wrote its files"
    assert open_lake(lpath).live_files() == []
    with open_warehouse(wpath) as wh:
        assert wh.one("SELECT count(*) FROM sources")[0] == 0
        retry = ingest_file(wh, file)
        assert retry.status == "ok"
        live = sorted(f.path for f in wh.lake.live_files())
        assert len(live) == len(set(live))
        assert live == [str(p.resolve()) for p in orphans]  # same names: overwritten, not doubled
        assert sorted((lpath / "signals").rglob("*.parquet")) == orphans
        assert wh.one("SELECT count(*) FROM signals")[0] == retry.rows_written
        assert ingest_file(wh, file).status == "duplicate"
