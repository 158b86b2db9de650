"""Readers of the serving snapshot while a real writer process ingests, models and publishes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from analytics.serving import open_serving, publish_snapshot, snapshot_history
from analytics.warehouse import open_warehouse

TABLES = ("sources", "signals", "sessions", "soh", "soh_observations", "charging_sessions")


def _writer(warehouse, fleet_dir) -> subprocess.Popen:
    """`analytics ingest` (publishes v2), then `analytics run` (publishes v3), in one process chain."""
    cli = [sys.executable, "-m", "analytics.cli.main", "--warehouse", str(warehouse)]
    longs = [str(fleet_dir / "exports" / "long" / f"SIM000{i}.parquet") for i in (2, 3)]
    script = (
        "import subprocess, sys\n"
        f"subprocess.run({[*cli, 'ingest', *longs]!r}, check=True)\n"
        f"subprocess.run({[*cli, 'run']!r}, check=True)\n"
    )
    env = dict(os.environ, ANALYTICS_INGEST_WORKERS="1")
    return subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


@pytest.mark.slow
def test_queries_in_a_loop_while_ingest_and_stages_publish_twice(warehouse, fleet_dir):
    with open_warehouse(warehouse) as wh:
        publish_snapshot(wh)  # v1: what the app shows before the batch job starts
    writer = _writer(warehouse, fleet_dir)
    reads: list[tuple[int, dict[str, int]]] = []
    errors: list[BaseException] = []
    deadline = time.monotonic() + 240
    while True:
        done = writer.poll() is not None
        try:
            with open_serving(warehouse) as snap:
                version = snap.one("SELECT version FROM serving_info")[0]
                counts = {t: int(snap.one(f'SELECT count(*) FROM "{t}"')[0]) for t in TABLES}
            reads.append((version, counts))
        except Exception as exc:  # any error here would reach the app's user
            errors.append(exc)
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    output = writer.communicate()[0].decode()
    assert writer.returncode == 0, output
    assert errors == []

    history = {h["version"]: h["tables"] for h in snapshot_history(warehouse)}
    assert sorted(history) == [1, 2, 3]
    versions = [v for v, _ in reads]
    assert versions == sorted(versions), "a reader went back to an older version"
    assert versions[0] == 1 and versions[-1] == 3
    for version, counts in reads:  # every read is exactly one published version, whole
        assert counts == {t: history[version][t] for t in TABLES}
    # the three versions really differ: new signals in v2, new sessions only in v3
    assert history[2]["signals"] > history[1]["signals"]
    assert history[2]["sessions"] == history[1]["sessions"]
    assert history[3]["sessions"] > history[2]["sessions"]
    assert len(reads) > 20
