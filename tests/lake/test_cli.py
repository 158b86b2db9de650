"""`analytics ingest --lake DIR` puts a warehouse in lake mode; later commands need no option."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from analytics.ingest.load import ingest_file
from analytics.warehouse import open_warehouse

from .helpers import long_files


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analytics.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_ingest_with_lake_option_and_environment(fleet_dir, tmp_path):
    first, second, _ = long_files(fleet_dir)
    wpath, lake = tmp_path / "w.duckdb", tmp_path / "lake"
    done = _cli(
        "--warehouse",
        str(wpath),
        "ingest",
        str(first),
        "--lake",
        str(lake),
        "--quiet",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    other = tmp_path / "elsewhere"
    done = _cli(
        "--warehouse",
        str(wpath),
        "ingest",
        str(second),
        cwd=tmp_path,
        env={"ANALYTICS_LAKE": str(other)},
    )
    assert done.returncode == 2 and "already stores its signals" in done.stdout + done.stderr
    with open_warehouse(wpath) as wh:  # remembered: later opens need no option
        assert wh.lake is not None and wh.lake.root == lake.resolve()
        assert ingest_file(wh, second).status == "ok"
        assert len(wh.lake.vehicle_ids()) == 2
        n = wh.one("SELECT sum(rows_written) FROM sources")[0]
        assert wh.one("SELECT count(*) FROM signals")[0] == n > 0
