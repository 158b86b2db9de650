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
    hex_to_matrix,
    hex_to_valid,
    iter_text_blocks,
)
from analytics.can.frames import Frames
from analytics.can.reader import CanLogReader

__all__ = ["READER", "detect", "iter_frames"]

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
        if len(block) > 1
        else pl.DataFrame()
    )
    if df.height == 0:
        return None
    for c in ("ch", "f", "d"):
        if c not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias(c))
    dot = pl.col("t").str.find(".", literal=True)
    hsh = pl.col("f").str.find("#", literal=True)
    df = df.with_row_index("row").with_columns(dot.alias("dot"), hsh.alias("hsh"))
    df = df.with_columns(
        pl.col("t").str.slice(1, pl.col("dot") - 1).cast(pl.Int64, strict=False).alias("sec"),
        pl.col("t").str.slice(pl.col("dot") + 1).str.strip_suffix(")").alias("frac"),
        pl.col("f").str.slice(0, pl.col("hsh")).alias("id"),
        pl.col("f").str.slice(pl.col("hsh") + 1).alias("body"),
    ).with_columns(
        pl.col("id").str.to_integer(base=16, strict=False).cast(pl.UInt32).alias("idv"),
        pl.col("id").str.len_bytes().alias("idlen"),
        pl.col("body").str.starts_with("R").alias("rtr"),
        pl.col("body").str.starts_with("#").alias("fd"),
    )
    hexpart = pl.when(pl.col("fd")).then(pl.col("body").str.slice(2)).otherwise(pl.col("body"))
    df = df.with_columns(
        pl.when(pl.col("rtr")).then(pl.lit("")).otherwise(hexpart).alias("hex"),
        pl.col("frac").str.slice(0, 6).str.pad_end(6, "0").cast(pl.Int64, strict=False).alias("us"),
    )
    ok = (
        pl.col("t").str.starts_with("(")
        & pl.col("t").str.ends_with(")")
        & pl.col("sec").is_not_null()
        & pl.col("us").is_not_null()
        & pl.col("ch").is_not_null()
        & pl.col("idv").is_not_null()
        & pl.col("idlen").is_in([3, 8])
        & pl.col("hex").is_not_null()
        & (pl.col("hex").str.len_bytes() % 2 == 0)
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
    df = df.filter(ok)
    if df.height == 0:
        return None
    err = (pl.col("idv") & _CAN_ERR_FLAG != 0) & (pl.col("idlen") == 8)
    n_err = df.filter(err).height
    stats.skip("error_frame", n_err)
    stats.skip("remote_frame", df.filter(pl.col("rtr") & ~err).height)
    df = df.filter(~pl.col("rtr") & ~err).with_columns(
        (pl.col("sec") * 1_000_000 + pl.col("us")).alias("ts_us"),
        (pl.col("idlen") == 8).alias("ext"),
    )
    if df.height == 0:
        return None
    data, lengths = hex_to_matrix(pl.col("hex"), df)
    if data is None:  # a non-hex character in some payload
        valid = pl.Series(hex_to_valid(df["hex"]))
        first = df.filter(~valid).row(0, named=True)
        text = " ".join(str(first[c]) for c in ("t", "ch", "f") if first[c] is not None)
        stats.skip(
            "malformed_line", int((~valid).sum()), text[:200], f"line {line0 + first['row']}"
        )
        df = df.filter(valid)
        data, lengths = hex_to_matrix(pl.col("hex"), df)
    return chans.frames(
        df["ts_us"].to_numpy(),
        chans.codes(df["ch"]),
        (df["idv"].to_numpy() & 0x1FFFFFFF),
        df["ext"].to_numpy(),
        data,
        lengths,
    )


READER = CanLogReader("candump", detect, iter_frames, (".log", ".txt", ".candump"))
