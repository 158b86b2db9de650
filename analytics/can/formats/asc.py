"""Vector ASC text logs, parsed in bulk with polars regular expressions.

Header: ``date``, ``base hex|dec``, ``timestamps absolute|relative``, ``Begin Triggerblock
<date>`` (absolute time = trigger-block start + event time; relative time stamps are
accumulated). Frames: classic ``<t> <ch> <id>[x] Rx|Tx d <dlc> <bytes>`` and CAN FD ``<t>
CANFD <ch> Rx|Tx <id>[x] [name] <brs> <esi> <dlc> <len> <bytes>``; remote (``r``) and
``ErrorFrame`` lines are skipped and counted; status/statistic events are ignored; anything
else is a malformed line (counted, first example kept). ASC dates carry no time zone: UTC is
assumed (python-can writes the machine's local time).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
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
from analytics.errors import FormatError

__all__ = ["READER", "detect", "iter_frames", "parse_asc_date"]

_CLASSIC = (
    r"^\s*(\d+)\.(\d+)\s+(\d+)\s+([0-9A-Fa-f]+)(x?)\s+(?:Rx|Tx)\s+([dDrR])\s+"
    r"([0-9A-Fa-f]{1,2})((?:\s+[0-9A-Fa-f]{2})*)"
)
_FD = (
    r"^\s*(\d+)\.(\d+)\s+CANFD\s+(\d+)\s+(?:Rx|Tx)\s+([0-9A-Fa-f]+)(x?)\s+"
    r"(?:[A-Za-z_]\w*\s+)?([01])\s+([01])\s+([0-9A-Fa-f])\s+(\d+)((?:\s+[0-9A-Fa-f]{2})*)"
)
_ERROR = r"^\s*\d+\.\d+\s+(?:CANFD\s+)?\d+\s+ErrorFrame"
_IGNORED = (
    r"^\s*(?:$|//|date\s|base\s|internal events|no internal events|Begin Triggerblock|"
    r"End TriggerBlock|\d+\.\d+\s+(?:Start of measurement|\d+\s+Statistic:|.*Status|"
    r"SV:|Log trigger|\d+\s+ChipState|.*TriggerBlock))"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_MONTHS.update({"mär": 3, "mai": 5, "okt": 10, "dez": 12})
_DATE = re.compile(
    r"(?:\w+\s+)?(\w{3})\w*\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})(?:[.:,](\d+))?\s*(am|pm)?\s*(\d{4})",
    re.IGNORECASE,
)


def detect(path: Path, head: bytes) -> bool:
    text = head[:2048].lower()
    return (
        text.startswith(b"date ")
        or b"\nbase hex" in text
        or b"\nbase dec" in text
        or b"begin triggerblock" in text
    )


def parse_asc_date(text: str) -> datetime | None:
    """``Tue Mar 05 07:30:00.018 2024`` / ``Thu Mar 3 10:25:36.123 am 2022`` -> UTC datetime.

    The fraction is milliseconds as an integer (python-can writes ``.18`` for 18 ms).
    """
    m = _DATE.search(text)
    if not m:
        return None
    mon = _MONTHS.get(m.group(1).lower()[:3])
    if mon is None:
        return None
    hour = int(m.group(3))
    ampm = (m.group(7) or "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    ms = int(m.group(6)) if m.group(6) else 0
    try:
        return datetime(
            int(m.group(8)),
            mon,
            int(m.group(2)),
            hour,
            int(m.group(4)),
            int(m.group(5)),
            min(ms, 999) * 1000,
            tzinfo=UTC,
        )
    except ValueError:
        return None


class _Header:
    def __init__(self) -> None:
        self.base = 16
        self.relative = False
        self.start_us: int | None = None
        self.last_us = 0

    def scan(self, block: bytes) -> None:
        for line in block[:65536].decode("utf-8", "replace").splitlines()[:200]:
            low = line.strip().lower()
            if low.startswith("base "):
                self.base = 10 if " dec" in low else 16
                self.relative = "timestamps relative" in low
            elif low.startswith("begin triggerblock") or (
                low.startswith("date ") and self.start_us is None
            ):
                dt = parse_asc_date(line)
                if dt is not None:
                    self.start_us = int(dt.timestamp() * 1_000_000)


def iter_frames(path: Path, stats: ParseStats) -> Iterator[Frames]:
    chans = ChannelTable()
    hdr = _Header()
    first = True
    try:
        for block, line0 in iter_text_blocks(path):
            if first:
                hdr.scan(block)
                first = False
                if hdr.start_us is None:
                    raise FormatError(
                        f"{path}: ASC without a readable 'date' or 'Begin Triggerblock' "
                        "line; cannot place its relative time stamps in time"
                    )
            fr = _parse_block(block, line0, hdr, chans, stats)
            if fr is not None and len(fr):
                yield fr
    except EOFError as exc:
        stats.note("truncated_file", f"compressed stream ends early: {exc}", severity="error")


def _lines(block: bytes) -> pl.DataFrame:
    df = pl.read_csv(
        io.BytesIO(block),
        has_header=False,
        separator="\x1f",
        quote_char=None,
        new_columns=["l"],
        schema_overrides={"l": pl.String},
        truncate_ragged_lines=True,
    )
    return df.with_row_index("row")


def _parse_block(
    block: bytes, line0: int, hdr: _Header, chans: ChannelTable, stats: ParseStats
) -> Frames | None:
    df = _lines(block)
    line = pl.col("l").str.replace_all("\t", " ", literal=True) if b"\t" in block else pl.col("l")
    tok = line.str.split(" ").list.filter(pl.element() != "")
    df = df.with_columns(tok.alias("tk"))

    def g(i: int | pl.Expr) -> pl.Expr:
        return pl.col("tk").list.get(i, null_on_oob=True)

    is_fd = g(1) == "CANFD"
    o = pl.when(g(5).is_in(["0", "1"])).then(5).otherwise(6)  # FD: optional symbolic name
    df = df.with_columns(
        g(0).alias("t"),
        is_fd.fill_null(False).alias("fd"),
        pl.when(is_fd).then(g(2)).otherwise(g(1)).alias("ch"),
        pl.when(is_fd).then(g(4)).otherwise(g(2)).alias("id"),
        g(3).alias("dir"),
        pl.when(is_fd).then(pl.lit("d")).otherwise(g(4).str.to_lowercase()).alias("kind"),
        pl.when(is_fd)
        .then(g(o + 3).cast(pl.Int64, strict=False))
        .otherwise(g(5).str.to_integer(base=16, strict=False))
        .alias("n"),
        pl.when(is_fd).then(o + 4).otherwise(6).alias("start"),
        pl.col("l").str.contains("ErrorFrame", literal=True).fill_null(False).alias("err"),
    )
    dot = pl.col("t").str.find(".", literal=True)
    df = df.with_columns(
        pl.col("t").str.slice(0, dot).cast(pl.Int64, strict=False).alias("sec"),
        pl.col("t")
        .str.slice(dot + 1)
        .str.slice(0, 6)
        .str.pad_end(6, "0")
        .cast(pl.Int64, strict=False)
        .alias("us"),
        pl.col("id")
        .str.strip_suffix("x")
        .str.to_integer(base=hdr.base, strict=False)
        .cast(pl.UInt32)
        .alias("idv"),
        pl.col("id").str.ends_with("x").alias("ext"),
        pl.col("tk").list.slice(pl.col("start"), pl.col("n")).list.join("").alias("hex"),
    )
    frame = (
        pl.col("sec").is_not_null()
        & pl.col("us").is_not_null()
        & pl.col("dir").is_in(["Rx", "Tx"])
        & pl.col("kind").is_in(["d", "r"])
        & pl.col("idv").is_not_null()
        & pl.col("n").is_not_null()
        & pl.col("ch").str.contains(r"^\d+$")
        & ~pl.col("err")
    )
    df = df.with_columns(frame.fill_null(False).alias("is_frame"))
    other = df.filter(~pl.col("is_frame") & ~pl.col("err"))
    if other.height:
        bad = other.filter(~(pl.col("l").str.contains(_IGNORED).fill_null(True)))
        if bad.height:
            r = bad.row(0, named=True)
            stats.skip("malformed_line", bad.height, str(r["l"])[:200], f"line {line0 + r['row']}")
    stats.skip("error_frame", int(df["err"].sum()))
    df = df.filter(pl.col("is_frame"))
    stats.skip("remote_frame", int((df["kind"] == "r").sum()))
    df = df.filter(pl.col("kind") == "d")
    short = df.filter(pl.col("hex").str.len_bytes() != pl.col("n") * 2)
    if short.height:
        r = short.row(0, named=True)
        stats.skip("malformed_line", short.height, str(r["l"])[:200], f"line {line0 + r['row']}")
        df = df.filter(pl.col("hex").str.len_bytes() == pl.col("n") * 2)
    if df.height == 0:
        return None
    data, lengths = hex_to_matrix(pl.col("hex"), df)
    if data is None:  # a non-hex data byte
        valid = pl.Series(hex_to_valid(df["hex"]))
        r = df.filter(~valid).row(0, named=True)
        stats.skip(
            "malformed_line", int((~valid).sum()), str(r["l"])[:200], f"line {line0 + r['row']}"
        )
        df = df.filter(valid)
        data, lengths = hex_to_matrix(pl.col("hex"), df)
    t = (df["sec"] * 1_000_000 + df["us"]).to_numpy()
    if hdr.relative:
        t = np.cumsum(t) + hdr.last_us
        hdr.last_us = int(t[-1]) if t.size else hdr.last_us
    ts = t + (hdr.start_us or 0)
    return chans.frames(
        ts, chans.codes(df["ch"]), df["idv"].to_numpy(), df["ext"].to_numpy(), data, lengths
    )


READER = CanLogReader("asc", detect, iter_frames, (".asc",))
