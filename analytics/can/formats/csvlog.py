"""python-can CSV logs (``timestamp,arbitration_id,extended,remote,error,dlc,data``, data in
base64), parsed in bulk with polars; an optional ``channel`` column is honoured."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from analytics.can.formats.common import (
    ChannelTable,
    ParseStats,
    binary_to_matrix,
    iter_text_blocks,
)
from analytics.can.frames import Frames
from analytics.can.reader import CanLogReader
from analytics.errors import FormatError

__all__ = ["HEADER", "READER", "detect", "iter_frames"]

HEADER = ("timestamp", "arbitration_id", "extended", "remote", "error", "dlc", "data")


def detect(path: Path, head: bytes) -> bool:
    first = head.split(b"\n", 1)[0].strip().lower().replace(b" ", b"")
    return first.startswith(b"timestamp,arbitration_id")


def iter_frames(path: Path, stats: ParseStats) -> Iterator[Frames]:
    chans = ChannelTable()
    columns: list[str] | None = None
    try:
        for block, line0 in iter_text_blocks(path):
            if columns is None:
                head, _, block = block.partition(b"\n")
                columns = [c.strip().lower() for c in head.decode("utf-8", "replace").split(",")]
                missing = set(HEADER) - set(columns)
                if missing:
                    raise FormatError(f"{path}: CAN CSV without columns {sorted(missing)}")
                line0 += 1
            fr = _parse(block, line0, columns, chans, stats)
            if fr is not None and len(fr):
                yield fr
    except EOFError as exc:
        stats.note("truncated_file", f"compressed stream ends early: {exc}", severity="error")


def _parse(
    block: bytes, line0: int, columns: list[str], chans: ChannelTable, stats: ParseStats
) -> Frames | None:
    if not block.strip():
        return None
    df = pl.read_csv(
        io.BytesIO(block),
        has_header=False,
        new_columns=columns,
        infer_schema=False,
        truncate_ragged_lines=True,
        quote_char=None,
    ).with_row_index("row")
    df = df.with_columns(
        pl.col("timestamp").cast(pl.Float64, strict=False).alias("t"),
        pl.col("arbitration_id")
        .str.replace(r"^0[xX]", "")
        .str.to_integer(base=16, strict=False)
        .alias("idv"),
        pl.col("data").fill_null("").str.decode("base64", strict=False).alias("payload"),
    )
    ok = pl.col("t").is_not_null() & pl.col("idv").is_not_null() & pl.col("payload").is_not_null()
    bad = df.filter(~ok)
    if bad.height:
        r = bad.row(0, named=True)
        stats.skip(
            "malformed_line",
            bad.height,
            ",".join(str(r[c]) for c in columns)[:200],
            f"line {line0 + r['row']}",
        )
    df = df.filter(ok)
    err = df["error"] == "1"
    rtr = df["remote"] == "1"
    stats.skip("error_frame", int(err.sum()))
    stats.skip("remote_frame", int((rtr & ~err).sum()))
    df = df.filter(~err & ~rtr)
    if df.height == 0:
        return None
    data, lengths = binary_to_matrix(df["payload"])
    chan = df["channel"] if "channel" in df.columns else pl.Series(["0"] * df.height)
    ts = np.round(df["t"].to_numpy() * 1e6).astype(np.int64)
    return chans.frames(
        ts,
        chans.codes(chan.fill_null("0")),
        df["idv"].to_numpy() & 0x1FFFFFFF,
        (df["extended"] == "1").to_numpy(),
        data,
        lengths,
    )


READER = CanLogReader("can_csv", detect, iter_frames, (".csv",), needs_extension=True)
