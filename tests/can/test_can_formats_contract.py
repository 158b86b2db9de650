"""Contract per log format: write with the format's own library, ingest, compare with what was
encoded (python-can writers for candump/ASC/BLF/CSV, asammdf for MF4)."""

from __future__ import annotations

import gzip
import shutil

import can
import numpy as np
import polars as pl
import pytest

from analytics.can.busdecoder import BusDecoder, parse_dbc_specs
from analytics.can.encode import DBC_DIR
from analytics.can.frames import Frames
from analytics.can.writers import iter_messages, write_frames
from analytics.ingest import ingest_file
from analytics.ingest.issues import IssueCollector

DEMO_DBC = str(DBC_DIR / "demo_ev.dbc")


def expected_rows(frames: Frames) -> pl.DataFrame:
    dec = BusDecoder(parse_dbc_specs([DEMO_DBC]), IssueCollector())
    parts = [dec.long_rows(frames, "v1"), dec.long_rows(Frames.empty(), "v1", final=True)]
    return pl.concat(parts).unique(["ts", "signal"], keep="first")


def write_log(frames: Frames, fd, path, fmt: str) -> None:
    if fmt == "can_csv":
        w = can.CSVWriter(path)
        for m in iter_messages(frames, fd):
            w.on_message_received(m)
        w.stop()
    else:
        write_frames(frames, path, fmt, fd)


_EXT = {"candump": "log", "asc": "asc", "blf": "blf", "mf4": "mf4", "can_csv": "csv"}


class TestFormatContract:
    """One case per format: every mapped value comes back at its time, exactly."""

    @pytest.mark.parametrize("fmt", ["candump", "asc", "blf", "mf4", "can_csv"])
    def test_round_trip(self, fmt, demo_frames, tmp_path, memory_warehouse):
        frames, _notes, fd = demo_frames
        path = tmp_path / f"v1.{_EXT[fmt]}"
        write_log(frames, fd, path, fmt)
        res = ingest_file(memory_warehouse, path, vehicle_id="v1", options={"dbc": [DEMO_DBC]})
        assert res.format == fmt
        assert res.status in ("ok", "partial"), res.message
        assert res.records_read == len(frames)
        assert res.records_decoded == len(frames)
        got = memory_warehouse.sql("SELECT ts, signal, value FROM signals WHERE vehicle_id = 'v1'")
        exp = expected_rows(frames)
        assert got.height == exp.height
        joined = exp.join(
            got.with_columns(pl.col("ts").dt.convert_time_zone("UTC")),
            on=["ts", "signal"],
            how="left",
            suffix="_got",
        )
        assert joined["value_got"].null_count() == 0
        assert np.array_equal(joined["value"].to_numpy(), joined["value_got"].to_numpy())
        src = memory_warehouse.sql("SELECT * FROM sources").row(0, named=True)
        assert src["sha256"] and src["bytes"] == path.stat().st_size
        assert "demo_ev.dbc" in src["dbc"]

    @pytest.mark.parametrize("fmt", ["candump", "asc", "blf", "mf4"])
    def test_gzip_equals_plain(self, fmt, demo_frames, tmp_path, memory_warehouse):
        frames, _notes, fd = demo_frames
        plain = tmp_path / f"v1.{_EXT[fmt]}"
        write_log(frames, fd, plain, fmt)
        gz = tmp_path / f"v1.{_EXT[fmt]}.gz"
        with open(plain, "rb") as src, gzip.open(gz, "wb") as dst:
            shutil.copyfileobj(src, dst)
        res = ingest_file(memory_warehouse, gz, vehicle_id="v1", options={"dbc": [DEMO_DBC]})
        assert res.format == fmt and res.rows_written == expected_rows(frames).height

    def test_two_buses_each_with_its_own_dbc(self, highres, tmp_path, memory_warehouse):
        from analytics.can.encode import write_can_logs

        for item in write_can_logs(highres, "gm", tmp_path, "gm", formats=("asc", "candump")):
            res = ingest_file(
                memory_warehouse,
                item["path"],
                vehicle_id=f"gm-{item['format']}",
                options={"dbc": item["dbc"]},
            )
            assert res.records_decoded == res.records_read, res.issues
        counts = memory_warehouse.sql(
            "SELECT vehicle_id, count(*) n, count(DISTINCT signal) s FROM signals GROUP BY 1 ORDER BY 1"
        )
        assert counts["n"][0] == counts["n"][1] and counts["s"][0] >= 7
