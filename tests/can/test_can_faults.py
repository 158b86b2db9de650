"""Bad input: truncated files, corrupt lines, the wrong DBC, repeats, and interrupted ingests."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time

import polars as pl
import pytest
from test_can_formats_contract import DEMO_DBC, expected_rows, write_log

from analytics.ingest import ingest_file

OPTS = {"dbc": [DEMO_DBC]}


def _issues(res) -> dict[str, object]:
    return {i.reason: i for i in res.issues}


def test_truncated_blf_keeps_good_frames_and_says_so(demo_frames, tmp_path, memory_warehouse):
    frames, _n, fd = demo_frames
    path = tmp_path / "cut.blf"
    write_log(frames, fd, path, "blf")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    res = ingest_file(memory_warehouse, path, vehicle_id="v1", options=OPTS)
    issue = _issues(res)["truncated_file"]
    assert issue.severity == "error" and "objects" in issue.example
    assert res.status == "partial" and 0 < res.records_read < len(frames)
    assert res.rows_written > 0


def test_truncated_mf4_fails_cleanly(demo_frames, tmp_path, memory_warehouse):
    frames, _n, fd = demo_frames
    path = tmp_path / "cut.mf4"
    write_log(frames, fd, path, "mf4")
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * 0.7)])
    res = ingest_file(memory_warehouse, path, vehicle_id="v1", options=OPTS)
    assert res.status == "failed" and "truncated" in res.message
    assert memory_warehouse.sql("SELECT count(*) n FROM signals")["n"][0] == 0


@pytest.mark.parametrize(
    "fmt,garbage", [("asc", " 12.5 1 zz#Q Rx d 8 XX\n"), ("candump", "(1709.1) can0 1F0#0G\n")]
)
def test_corrupt_line_mid_file(fmt, garbage, demo_frames, tmp_path, memory_warehouse):
    frames, _n, fd = demo_frames
    path = tmp_path / f"bad.{'log' if fmt == 'candump' else fmt}"
    write_log(frames, fd, path, fmt)
    lines = path.read_text().splitlines(keepends=True)
    mid = len(lines) // 2
    path.write_text("".join([*lines[:mid], garbage, *lines[mid:]]))
    res = ingest_file(memory_warehouse, path, vehicle_id="v1", options=OPTS)
    bad = _issues(res)["malformed_line"]
    assert bad.count == 1 and bad.location == f"line {mid + 1}"
    assert res.status == "partial"
    assert res.rows_written == expected_rows(frames).height


def test_dbc_that_does_not_match_warns_loudly(demo_frames, tmp_path, memory_warehouse):
    from analytics.can.encode import DBC_DIR

    frames, _n, fd = demo_frames
    path = tmp_path / "v1.log"
    write_log(frames, fd, path, "candump")
    res = ingest_file(
        memory_warehouse,
        path,
        vehicle_id="v1",
        options={"dbc": [str(DBC_DIR / "gm_global_a_powertrain.dbc")]},
    )
    issues = _issues(res)
    assert issues["dbc_mismatch"].severity == "error"
    assert "match the DBC" in issues["dbc_mismatch"].example
    assert issues["unknown_id"].count >= 0.9 * len(frames)


def test_same_file_twice_is_a_no_op(demo_frames, tmp_path, memory_warehouse):
    frames, _n, fd = demo_frames
    path = tmp_path / "v1.blf"
    write_log(frames, fd, path, "blf")
    first = ingest_file(memory_warehouse, path, vehicle_id="v1", options=OPTS)
    second = ingest_file(memory_warehouse, path, vehicle_id="v1", options=OPTS)
    assert second.status == "duplicate" and second.source_id == first.source_id
    assert "already ingested" in second.summary()


def test_same_frames_in_another_file_count_frames_not_rows(demo_frames, tmp_path, memory_warehouse):
    """A second file with frames already stored (here the same log, gzipped) is ingested, adds
    no row, and its manifest counts frames: the stored rows are an info issue, not skips."""
    frames, _n, fd = demo_frames
    path = tmp_path / "v1.log"
    write_log(frames, fd, path, "candump")
    first = ingest_file(memory_warehouse, path, vehicle_id="v1", options=OPTS)
    packed = tmp_path / "v1.log.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    second = ingest_file(memory_warehouse, packed, vehicle_id="v1", options=OPTS)
    assert second.status == "ok" and second.rows_written == 0
    assert second.records_read == first.records_read == len(frames)
    assert second.records_decoded == first.records_decoded
    assert second.records_skipped == first.records_skipped
    assert _issues(second)["already_stored"].count == first.rows_written


def test_reader_failing_midway_leaves_nothing(demo_frames, tmp_path, memory_warehouse, monkeypatch):
    """The ASC trap: a parser that raises after returning frames; nothing may land."""
    from analytics.can.formats import asc
    from analytics.errors import FormatError

    frames, _n, fd = demo_frames
    path = tmp_path / "v1.asc"
    write_log(frames, fd, path, "asc")
    real = asc.READER._iter_frames

    def failing(p, stats):
        for k, fr in enumerate(real(p, stats)):
            yield fr.take(slice(0, len(fr) // 2))
            if k == 0:
                raise FormatError("damaged ASC after the first frames")

    monkeypatch.setattr(asc.READER, "_iter_frames", failing)
    res = ingest_file(memory_warehouse, path, vehicle_id="v1", options=OPTS)
    assert res.status == "failed"
    assert memory_warehouse.sql("SELECT count(*) n FROM signals")["n"][0] == 0


def test_killed_mid_ingest_is_all_or_nothing(highres, tmp_path):
    from analytics.can.encode import write_can_logs
    from analytics.warehouse import open_warehouse

    long = pl.concat(
        [highres.with_columns(pl.col("ts") + pl.duration(seconds=600 * k)) for k in range(4)]
    )
    item = write_can_logs(long, "demo", tmp_path, "big", formats=("asc",))[0]
    db = tmp_path / "w.duckdb"
    open_warehouse(db).close()
    code = (
        "from analytics.ingest import ingest_file\nfrom analytics.warehouse import open_warehouse\n"
        f"wh = open_warehouse({str(db)!r})\n"
        f"ingest_file(wh, {item['path']!r}, vehicle_id='v1', options={{'dbc': {item['dbc']!r}}})\n"
        "wh.close()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    time.sleep(float(os.environ.get("CAN_KILL_AFTER_S", "3.0")))
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    wh = open_warehouse(db)
    try:
        n = wh.sql("SELECT count(*) n FROM signals")["n"][0]
        ok = wh.sql("SELECT rows_written FROM sources WHERE status <> 'failed'")
        if ok.height:  # it finished: all of it
            assert n == ok["rows_written"][0] > 0
        else:  # it was killed: none of it
            assert n == 0
        res = ingest_file(wh, item["path"], vehicle_id="v1", options={"dbc": item["dbc"]})
        assert res.status in ("ok", "partial", "duplicate")
        wh.close()
        wh = open_warehouse(db)
        total = wh.sql("SELECT count(*) n FROM signals")["n"][0]
        assert (
            total
            == wh.sql("SELECT sum(rows_written) s FROM sources WHERE status <> 'failed'")["s"][0]
        )
    finally:
        wh.close()


def test_empty_log_is_skipped_not_failed(tmp_path, memory_warehouse):
    """A logger leaves an empty file for a day the car slept: nothing to ingest, no failure."""
    from analytics.ingest.batch import ingest_paths

    (tmp_path / "empty.log").write_bytes(b"")
    (tmp_path / "blank.log").write_bytes(b"\n\n")
    res = ingest_paths(memory_warehouse, [tmp_path], vehicle_id="v1", options=OPTS)
    assert sorted(r.status for r in res) == ["skipped", "skipped"]
    assert all("empty file" in r.summary() for r in res)
    assert memory_warehouse.one("SELECT count(*) FROM sources")[0] == 0
