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
    open_binary,
    parse_text_blocks,
    text_lines,
)
from analytics.can.formats.textscan import (
    LineMatrix,
    digits_to_int,
    hex_value,
    is_digit,
    is_hex,
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
    try:
        with open_binary(path) as fh:
            hdr.scan(fh.read(65536))
    except (EOFError, OSError):
        pass  # a truncated stream is reported by the block reader below
    if hdr.start_us is None:
        raise FormatError(
            f"{path}: ASC without a readable 'date' or 'Begin Triggerblock' "
            "line; cannot place its relative time stamps in time"
        )
    # relative time stamps accumulate from block to block: those files are parsed in order
    yield from parse_text_blocks(
        path,
        lambda block, line0, st: _parse_block(block, line0, hdr, chans, st),
        stats,
        workers=1 if hdr.relative else None,
    )


def _parse_block(
    block: bytes, line0: int, hdr: _Header, chans: ChannelTable, stats: ParseStats
) -> Frames | None:
    """Classic frame lines in the common layout go through the numpy fast path; every other
    line (header, events, CAN FD, remote and error frames, anything odd) through the general
    path, with its own line number; the frames of both are merged in line order."""
    fast = None if hdr.relative or hdr.base != 16 or b"\t" in block else _fast_lines(block, hdr)
    if fast is None:
        return _general_block(block, line0, hdr, chans, stats)[0]
    frames_fast, fit = fast
    if fit.all():
        return _with_codes(frames_fast, chans)
    lines = block.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    misfit = np.flatnonzero(~fit)
    rest = b"\n".join(lines[i] for i in misfit.tolist()) + b"\n"
    frames_rest, rows = _general_block(rest, line0, hdr, chans, stats, numbers=line0 + misfit)
    if not fit.any():
        return frames_rest
    fast_fr = _with_codes(frames_fast, chans)
    if frames_rest is None or len(frames_rest) == 0:
        return fast_fr
    order = np.argsort(np.concatenate([np.flatnonzero(fit), misfit[rows]]), kind="stable")
    data_w = max(fast_fr.data.shape[1], frames_rest.data.shape[1])
    pad = lambda d: np.pad(d, ((0, 0), (0, data_w - d.shape[1])))  # noqa: E731
    return chans.frames(
        np.concatenate([fast_fr.ts_us, frames_rest.ts_us])[order],
        np.concatenate([fast_fr.channel, frames_rest.channel])[order],
        np.concatenate([fast_fr.can_id, frames_rest.can_id])[order],
        np.concatenate([fast_fr.extended, frames_rest.extended])[order],
        np.concatenate([pad(fast_fr.data), pad(frames_rest.data)])[order],
        np.concatenate([fast_fr.length, frames_rest.length])[order],
    )


def _with_codes(parsed: tuple, chans: ChannelTable) -> Frames:
    ts, chan_no, can_id, ext, data, length = parsed
    return chans.frames(ts, chans.codes_int(chan_no), can_id, ext, data, length)


def _fast_lines(block: bytes, hdr: _Header) -> tuple[tuple, np.ndarray] | None:
    """Classic data frames written as ``<t> <ch> <id>[x] Rx|Tx d <dlc> <b0> <b1> ...`` in the
    columns of the block's first such line (python-can and Vector pad the id to a fixed
    width), decoded column-wise. Returns the parsed columns of the lines that fit and the
    fit mask, or None when no line of the block has that layout.

    Lines are grouped by the column of their time stamp's point (a handful of values: the
    seconds grow a digit now and then), so every field is a column slice of the group.
    """
    lm = LineMatrix.of(block)
    if lm is None:
        return None
    m = lm.m
    probe = m[:, : min(24, m.shape[1])]
    point = np.argmax(probe == ord("."), axis=1)
    lead = np.argmax(probe != 32, axis=1)
    digits = point - lead
    cand = (probe[np.arange(len(lm)), point] == ord(".")) & (digits >= 1) & (digits <= 10)
    template = _template(lm, point + 1, cand)
    if template is None:
        return None
    nf, _c0, _cl, _i0, _d0, k0 = template
    cand &= lm.length >= point + 1 + k0 + 3
    fit = np.zeros(len(lm), bool)
    n = len(lm)
    ts = np.zeros(n, np.int64)
    chan_no = np.zeros(n, np.int64)
    can_id = np.zeros(n, np.uint32)
    ext = np.zeros(n, bool)
    data = np.zeros((n, 8), np.uint8)
    nbytes = np.zeros(n, np.int64)
    for p in np.unique(point[cand]).tolist():
        rows = np.flatnonzero(cand & (point == p))
        g = m if rows.size == n else m[rows]
        if g.shape[1] < p + 1 + k0 + 28:
            g = np.pad(g, ((0, 0), (0, p + 1 + k0 + 28 - g.shape[1])))
        length = lm.length[rows]
        crlf = g[np.arange(rows.size), np.maximum(length - 1, 0)] == 13
        body_len = length - crlf - (p + 1)
        sec = g[:, max(0, p - 10) : p]
        leads = lead[rows]
        if leads.min() != leads.max() or p - int(leads[0]) != sec.shape[1]:
            sec = np.where(np.arange(sec.shape[1]) >= (leads - max(0, p - 10))[:, None], sec, 48)
        parsed = _parse_group(g[:, p + 1 :], body_len, sec, template)
        ok = parsed[0]
        sel = rows[ok]
        fit[sel] = True
        stamp, chan, fid, x, d, nb = parsed[1:]
        ts[sel] = hdr.start_us + stamp * 10 ** (6 - nf)
        chan_no[sel], can_id[sel], ext[sel], data[sel], nbytes[sel] = chan, fid, x, d, nb
    if not fit.any():
        return (), fit
    return (
        (ts[fit], chan_no[fit], can_id[fit], ext[fit], data[fit], nbytes[fit].astype(np.uint8)),
        fit,
    )


def _parse_group(
    after: np.ndarray, body_len: np.ndarray, sec: np.ndarray, template: tuple[int, ...]
) -> tuple[np.ndarray, ...]:
    """Check and decode lines whose time stamp point sits in one column. ``after`` holds each
    line from its first fraction digit on, ``sec`` the seconds' digits (padded with '0')."""
    nf, c0, cl, i0, d0, k0 = template
    count = after.shape[0]
    fit = (after[:, nf] == 32) & (body_len >= k0 + 3)
    fit &= is_digit(after[:, :nf]).all(axis=1) & is_digit(sec).all(axis=1)
    fit &= is_digit(after[:, c0 : c0 + cl]).all(axis=1) & (after[:, nf:c0] == 32).all(axis=1)
    if cl > 1:  # "01" is its own channel name to the general path
        fit &= after[:, c0] != ord("0")
    fit &= (after[:, c0 + cl : i0] == 32).all(axis=1)
    rx = (after[:, d0] == ord("R")) | (after[:, d0] == ord("T"))
    fit &= rx & (after[:, d0 + 1] == ord("x")) & (after[:, d0 + 2] == 32)
    fit &= (after[:, d0 + 3 : k0] == 32).all(axis=1)
    fit &= ((after[:, k0] == ord("d")) | (after[:, k0] == ord("D"))) & (after[:, k0 + 1] == 32)
    # the id: a run of hex digits, an optional 'x', then blanks up to the direction column
    id_cols = after[:, i0:d0]
    run = np.argmin(np.concatenate([is_hex(id_cols), np.zeros((count, 1), bool)], 1), axis=1)
    ext = id_cols[np.arange(count), np.minimum(run, id_cols.shape[1] - 1)] == ord("x")
    blank = np.arange(id_cols.shape[1]) >= (run + ext)[:, None]
    fit &= (run >= 1) & (run <= 8) & ((id_cols == 32) | ~blank).all(axis=1)
    dlc = hex_value(after[:, k0 + 2])
    fit &= is_hex(after[:, k0 + 2]) & (dlc <= 8)
    # the line ends at body_len (a CRLF file's \r is not part of it, see _fast_lines)
    fit &= (after[:, k0 + 3] == 32) | (body_len == k0 + 3)
    n = np.where(fit, dlc, 0).astype(np.int64)
    b0 = k0 + 4
    fit &= (n == 0) | (body_len >= b0 + 3 * n - 1)
    stride = after[:, b0 : b0 + 24]
    hi, lo, sep = stride[:, 0::3], stride[:, 1::3], stride[:, 2::3]
    inside = np.arange(8) < n[:, None]
    last = np.arange(8) == (n - 1)[:, None]
    at_end = (b0 + 2 + 3 * np.arange(8))[None, :] == body_len[:, None]
    byte_ok = is_hex(hi) & is_hex(lo) & ((sep == 32) | (last & at_end))
    fit &= (~inside | byte_ok).all(axis=1)
    idx = np.flatnonzero(fit)
    payload = (hex_value(hi[idx]) << 4) | hex_value(lo[idx])
    payload[~inside[idx]] = 0
    stamp = digits_to_int([sec[idx], after[idx, :nf]])[0] if idx.size else np.zeros(0, np.int64)
    can_id = np.zeros(idx.size, np.uint32)
    for k in range(min(8, id_cols.shape[1])):
        nib = hex_value(id_cols[idx, k]).astype(np.uint32)
        can_id = np.where(k < run[idx], (can_id << np.uint32(4)) | nib, can_id)
    chan = np.zeros(idx.size, np.int64)
    for k in range(cl):
        chan = chan * 10 + (after[idx, c0 + k].astype(np.int64) - 48)
    return fit, stamp, chan, can_id, ext[idx], payload, n[idx]


def _template(lm: LineMatrix, start: np.ndarray, fit: np.ndarray) -> tuple[int, ...] | None:
    """Column layout, counted from the first fraction digit, of the first line that reads
    like a classic data frame: (fraction digits, channel column and width, id column,
    direction column, ``d`` column)."""
    for i in np.flatnonzero(fit)[:64].tolist():
        row = lm.line(i, int(start[i]))
        toks = row.split()
        if len(toks) < 6 or toks[3] not in (b"Rx", b"Tx") or toks[4] not in (b"d", b"D"):
            continue
        nf = row.find(b" ")
        if not (1 <= nf <= 6 and toks[0].isdigit() and toks[1].isdigit()):
            return None
        c0 = row.index(toks[1], nf)
        cl = len(toks[1])
        i0 = row.index(toks[2], c0 + cl)
        d0 = row.index(toks[3], i0 + len(toks[2]))
        k0 = row.index(toks[4], d0 + 2)
        if cl > 3 or k0 > 64:
            return None
        return nf, c0, cl, i0, d0, k0
    return None


def _general_block(
    block: bytes,
    line0: int,
    hdr: _Header,
    chans: ChannelTable,
    stats: ParseStats,
    numbers: np.ndarray | None = None,
) -> tuple[Frames | None, np.ndarray]:
    """Every line judged with polars; returns the frames and the block rows they came from.

    ``numbers``: the file line number of each row when the block is a selection of lines.
    """

    def loc(row: int) -> str:
        return f"line {int(numbers[row]) if numbers is not None else line0 + row}"

    df = text_lines(block)
    if df.height == 0:
        return None, np.zeros(0, np.int64)
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
        .cast(pl.UInt32, strict=False)
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
        & (pl.col("n").is_not_null() | (pl.col("kind") == "r"))  # old remote: no DLC
        & pl.col("ch").str.contains(r"^\d+$")
        & ~pl.col("err")
    )
    df = df.with_columns(frame.fill_null(False).alias("is_frame"))
    other = df.filter(~pl.col("is_frame") & ~pl.col("err"))
    if other.height:
        bad = other.filter(~(pl.col("l").str.contains(_IGNORED).fill_null(True)))
        if bad.height:
            r = bad.row(0, named=True)
            stats.skip("malformed_line", bad.height, str(r["l"])[:200], loc(r["row"]))
    stats.skip("error_frame", int(df["err"].sum()))
    df = df.filter(pl.col("is_frame"))
    stats.skip("remote_frame", int((df["kind"] == "r").sum()))
    df = df.filter(pl.col("kind") == "d")
    short = df.filter(pl.col("hex").str.len_bytes() != pl.col("n") * 2)
    if short.height:
        r = short.row(0, named=True)
        stats.skip("malformed_line", short.height, str(r["l"])[:200], loc(r["row"]))
        df = df.filter(pl.col("hex").str.len_bytes() == pl.col("n") * 2)
    if df.height == 0:
        return None, np.zeros(0, np.int64)
    data, lengths = hex_to_matrix(pl.col("hex"), df)
    if data is None:  # a non-hex data byte
        valid = pl.Series(hex_to_valid(df["hex"]))
        r = df.filter(~valid).row(0, named=True)
        stats.skip("malformed_line", int((~valid).sum()), str(r["l"])[:200], loc(r["row"]))
        df = df.filter(valid)
        data, lengths = hex_to_matrix(pl.col("hex"), df)
    t = (df["sec"] * 1_000_000 + df["us"]).to_numpy()
    if hdr.relative:
        t = np.cumsum(t) + hdr.last_us
        hdr.last_us = int(t[-1]) if t.size else hdr.last_us
    ts = t + (hdr.start_us or 0)
    frames = chans.frames(
        ts, chans.codes(df["ch"]), df["idv"].to_numpy(), df["ext"].to_numpy(), data, lengths
    )
    return frames, df["row"].to_numpy()


READER = CanLogReader("asc", detect, iter_frames, (".asc",))
