"""candump ``-L`` text logs (``(1436509052.249713) can0 1F0#0102...``), parsed in bulk with polars.

Classic ``ID#DATA``, CAN FD ``ID##<flags>DATA``, remote ``ID#R`` (skipped, counted), error
frames (id with the 0x20000000 error flag; skipped, counted); an optional trailing ``R``/``T``
direction flag (python-can writes one) is accepted. Malformed lines are counted with the
first example and its line number; the rest of the file is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from analytics.can.formats.common import (
    ChannelTable,
    ParseStats,
    hex_to_matrix,
    hex_to_valid,
    parse_text_blocks,
    text_lines,
)
from analytics.can.formats.textscan import (
    LineMatrix,
    decimal_columns,
    digits_to_int,
    hex_columns,
    hex_run,
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
    yield from parse_text_blocks(
        path, lambda block, line0, st: _parse_block(block, line0, chans, st), stats
    )


def _parse_block(block: bytes, line0: int, chans: ChannelTable, stats: ParseStats) -> Frames | None:
    fast = _fast_block(block, chans, stats)
    if fast is not _SLOW:
        return fast  # type: ignore[return-value]
    return _general_block(block, line0, chans, stats)


_SLOW = object()  # the fast path declines the block
_NOT_FAST = (b"\r", b"\t")  # line ends and separators the general path handles


def _fast_block(block: bytes, chans: ChannelTable, stats: ParseStats) -> object:
    """Blocks whose lines all read ``(SEC.FRAC) CHAN ID#HEX [R|T]`` with the time stamp and
    channel of the first line's widths, single spaces (what candump and python-can write),
    decoded column-wise in numpy. Anything else returns ``_SLOW`` for the general path."""
    if any(c in block for c in _NOT_FAST):
        return _SLOW
    lm = LineMatrix.of(block)
    if lm is None:
        return _SLOW
    m, n_line = lm.m, lm.length
    first = bytes(m[0, : n_line[0]])
    tl, dp = first.find(b" "), first.find(b".")
    ce = first.find(b" ", tl + 1)
    if not (2 <= dp <= 13 and 1 <= tl - dp - 2 <= 9 and 1 <= ce - tl - 1 <= 8):
        return _SLOW
    f0 = ce + 1
    if f0 + 4 > m.shape[1] or not (n_line >= f0 + 4).all():
        return _SLOW
    if not (
        lm.same(0, "(") and lm.same(dp, ".") and lm.same(tl - 1, ")") and lm.same(tl, " ")
    ) or not (lm.same(ce, " ") and bool((m[:, tl + 1 : ce] > 32).all())):
        return _SLOW
    nf = min(6, tl - dp - 2)
    if dp - 1 + nf <= 16:
        stamp, ok_t = digits_to_int([m[:, 1:dp], m[:, dp + 1 : dp + 1 + nf]])
    else:
        sec, ok_s = decimal_columns(m[:, 1:dp])
        us, ok_u = decimal_columns(m[:, dp + 1 : dp + 1 + nf])
        stamp, ok_t = sec * 10**nf + us, ok_s and ok_u
    _, ok_rest = decimal_columns(m[:, dp + 1 + nf : tl - 1])
    if not (ok_t and ok_rest):
        return _SLOW
    id3 = m[:, f0 + 3] == ord("#")
    id8 = (
        ~id3 & (m[:, f0 + 8] == ord("#")) & (n_line > f0 + 8)
        if f0 + 8 < m.shape[1]
        else np.zeros_like(id3)
    )
    if not (id3 | id8).all():
        return _SLOW
    idv = np.zeros(len(lm), np.uint32)
    for sel, w in ((id3, 3), (id8, 8)):
        if sel.any():
            v, ok = hex_columns(m[:, f0 : f0 + w][sel])
            if not ok:
                return _SLOW
            idv[sel] = v
    hp = np.where(id3, f0 + 3, f0 + 8)
    body = lm.at(hp + 1)
    rtr, fd = body == ord("R"), body == ord("#")
    last = lm.at(n_line - 1)
    flag = (lm.at(n_line - 2) == 32) & ((last == ord("R")) | (last == ord("T"))) & (n_line - 2 > hp)
    hex_start = hp + 1 + 2 * fd
    hex_len = np.where(flag, n_line - 2, n_line) - hex_start
    if not (rtr | ((hex_len >= 0) & (hex_len % 2 == 0) & (hex_len <= 128))).all():
        return _SLOW
    err = id8 & ((idv & np.uint32(_CAN_ERR_FLAG)) != 0)
    keep = ~rtr & ~err
    odd = ~keep | fd  # bodies the payload check below does not cover: count their spaces
    if odd.any():
        rows = m[odd]
        inside = np.arange(m.shape[1]) < n_line[odd][:, None]
        if not (((rows == 32) & inside).sum(axis=1) == 2 + flag[odd]).all():
            return _SLOW
    nbytes = np.where(keep, hex_len // 2, 0)
    data = _payloads(lm, keep, np.where(keep, hex_start, 0), hex_len)
    if data is None:
        return _SLOW
    names, codes = _channel_codes(m[:, tl + 1 : ce])
    if names is None:
        return _SLOW
    stats.skip("error_frame", int(err.sum()))
    stats.skip("remote_frame", int((rtr & ~err).sum()))
    if not keep.any():
        return None
    lut = np.array([chans.code(name) for name in names], np.uint16)
    if keep.all():
        keep = slice(None)
    return chans.frames(
        (stamp * 10 ** (6 - nf))[keep],
        lut[codes[keep]],
        idv[keep] & np.uint32(0x1FFFFFFF),
        id8[keep],
        data[keep],
        nbytes[keep].astype(np.uint8),
    )


def _payloads(
    lm: LineMatrix, keep: np.ndarray, hex_start: np.ndarray, hex_len: np.ndarray
) -> np.ndarray | None:
    """Hex payloads of the kept lines as a ``(n, 8|16|32|64)`` matrix (None: a non-hex digit)."""
    nbytes = np.where(keep, hex_len // 2, 0)
    top = int(nbytes.max()) if keep.any() else 0
    width = 8 if top <= 8 else 16 if top <= 16 else 32 if top <= 32 else 64
    data, ok = hex_run(lm.window(hex_start, 2 * width + 1), np.where(keep, hex_len, 0))
    if not (ok | ~keep).all():
        return None
    data[np.arange(width) >= nbytes[:, None]] = 0  # as every text reader leaves them
    return data


def _channel_codes(chan: np.ndarray) -> tuple[list[str] | None, np.ndarray]:
    """Channel tokens (a fixed-width byte matrix) as (distinct names, index per line); no
    names when one is not UTF-8 (the general path then reads the block)."""
    wide = np.zeros((chan.shape[0], 8), np.uint8)
    wide[:, : chan.shape[1]] = chan
    key = wide.view("<u8").ravel()
    if (key == key[0]).all():
        uniq, idx = key[:1], np.zeros(key.size, np.intp)
    else:
        uniq = np.unique(key[:: max(1, key.size // 4096)])
        idx = np.minimum(np.searchsorted(uniq, key), uniq.size - 1)
        if not (uniq[idx] == key).all():  # a channel the sample missed
            uniq = np.unique(key)
            idx = np.searchsorted(uniq, key)
    try:
        names = [int(u).to_bytes(8, "little").rstrip(b"\0").decode() for u in uniq]
    except UnicodeDecodeError:
        return None, idx
    return names, idx


def _general_block(
    block: bytes, line0: int, chans: ChannelTable, stats: ParseStats
) -> Frames | None:
    df = text_lines(block)
    if df.height == 0:
        return None
    tok = pl.col("l").str.split(" ")
    df = df.select(
        "row",
        *(tok.list.get(i, null_on_oob=True).alias(c) for i, c in enumerate(("t", "ch", "f", "d"))),
    )
    dot = pl.col("t").str.find(".", literal=True)
    hsh = pl.col("f").str.find("#", literal=True)
    df = df.with_columns(dot.alias("dot"), hsh.alias("hsh"))
    df = df.with_columns(
        pl.col("t").str.slice(1, pl.col("dot") - 1).cast(pl.Int64, strict=False).alias("sec"),
        pl.col("t").str.slice(pl.col("dot") + 1).str.strip_suffix(")").alias("frac"),
        pl.col("f").str.slice(0, pl.col("hsh")).alias("id"),
        pl.col("f").str.slice(pl.col("hsh") + 1).alias("body"),
    ).with_columns(
        pl.col("id")
        .str.to_integer(base=16, strict=False)
        .cast(pl.UInt32, strict=False)
        .alias("idv"),
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
