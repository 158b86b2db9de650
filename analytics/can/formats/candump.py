"""candump ``-L`` text logs (``(1436509052.249713) can0 1F0#0102...``), parsed in bulk with polars.

Classic ``ID#DATA``, CAN FD ``ID##<flags>DATA``, remote ``ID#R`` (skipped, counted), error
frames (id with the 0x20000000 error flag; skipped, counted); an optional trailing ``R``/``T``
direction flag (python-can writes one) is accepted. Malformed lines are counted with the
first example and its line number; the rest of the file is kept.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from analytics.can.formats.common import (
    ChannelTable,
    ParseStats,
    binary_to_matrix,
    iter_text_blocks,
)
from analytics.can.frames import Frames
from analytics.can.reader import CanLogReader

__all__ = ["READER", "detect", "iter_frames"]

_LINE = r"^\((\d+)\.(\d+)\)$"
_FRAME = r"^([0-9A-Fa-f]{3}|[0-9A-Fa-f]{8})#(R[0-9A-Fa-f]?|#[0-9A-Fa-f](?:[0-9A-Fa-f]{2})*|(?:[0-9A-Fa-f]{2})*)$"
_CAN_ERR_FLAG = 0x20000000


def detect(path: Path, head: bytes) -> bool:
    first = head.lstrip().split(b"\n", 1)[0]
    return first.startswith(b"(") and b"#" in first and b")" in first[:40]


def iter_frames(path: Path, stats: ParseStats) -> Iterator[Frames]:
    chans = ChannelTable()
    try:
        for block, line0 in iter_text_blocks(path):
            fr = _parse_block(block, line0, chans, stats)
            if fr is not None and len(fr):
                yield fr
    except EOFError as exc:
        stats.note("truncated_file", f"compressed stream ends early: {exc}", severity="error")


def _parse_block(block: bytes, line0: int, chans: ChannelTable, stats: ParseStats) -> Frames | None:
    df = (
        pl.read_csv(
            io.BytesIO(block),
            has_header=False,
            separator=" ",
            quote_char=None,
            truncate_ragged_lines=True,
            infer_schema=False,
            new_columns=["t", "ch", "f", "d"],
            schema_overrides={"t": pl.String, "ch": pl.String, "f": pl.String, "d": pl.String},
        )
        if block.strip()
        else pl.DataFrame()
    )
    if df.height == 0:
        return None
    for c in ("ch", "f", "d"):
        if c not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias(c))
    df = df.with_row_index("row").with_columns(
        pl.col("t").str.extract_groups(_LINE).alias("tg"),
        pl.col("f").str.extract_groups(_FRAME).alias("fg"),
    )
    ok = (
        pl.col("tg").struct.field("1").is_not_null()
        & pl.col("fg").struct.field("1").is_not_null()
        & pl.col("ch").is_not_null()
        & (pl.col("d").is_null() | pl.col("d").is_in(["R", "T"]))
    )
    bad = df.filter(~ok)
    if bad.height:
        first = bad.row(0, named=True)
        text = " ".join(str(first[c]) for c in ("t", "ch", "f", "d") if first[c] is not None)
        stats.skip(
            "malformed_line",
            bad.height,
            text[:200],
            f"line {line0 + first['row']}",
            severity="warning",
        )
    df = df.filter(ok).select(
        pl.col("tg").struct.field("1").alias("sec"),
        pl.col("tg").struct.field("2").alias("frac"),
        "ch",
        pl.col("fg").struct.field("1").alias("id"),
        pl.col("fg").struct.field("2").alias("body"),
    )
    if df.height == 0:
        return None
    df = df.with_columns(
        pl.col("id").str.to_integer(base=16).cast(pl.UInt32).alias("idv"),
        (pl.col("id").str.len_chars() == 8).alias("ext"),
        pl.col("body").str.starts_with("R").alias("rtr"),
        pl.col("body").str.starts_with("#").alias("fd"),
    )
    err = (pl.col("idv") & _CAN_ERR_FLAG) != 0
    n_err = df.filter(err & pl.col("ext")).height
    if n_err:
        stats.skip("error_frame", n_err, None, None)
    n_rtr = df.filter(pl.col("rtr") & ~(err & pl.col("ext"))).height
    if n_rtr:
        stats.skip("remote_frame", n_rtr, None, None)
    df = df.filter(~pl.col("rtr") & ~(err & pl.col("ext")))
    if df.height == 0:
        return None
    frac = pl.col("frac").str.slice(0, 6).str.pad_end(6, "0")
    df = df.with_columns(
        (pl.col("sec").cast(pl.Int64) * 1_000_000 + frac.cast(pl.Int64)).alias("ts_us"),
        pl.when(pl.col("fd"))
        .then(pl.col("body").str.slice(2))
        .otherwise(pl.col("body"))
        .str.decode("hex")
        .alias("payload"),
    )
    data, lengths = binary_to_matrix(df["payload"])
    return chans.frames(
        df["ts_us"].to_numpy(),
        chans.codes(df["ch"]),
        (df["idv"].to_numpy() & 0x1FFFFFFF),
        df["ext"].to_numpy(),
        data,
        lengths,
    )


READER = CanLogReader("candump", detect, iter_frames, (".log", ".txt", ".candump"))
