"""Plug-in windows: when the cable was connected, matched to the charge sessions.

A charge session (from the sessions stage) covers the charging; the plug-in window around it
is what a utility can use (the car may sit plugged in for hours after the pack is full).
Windows come from the cable-connected signal's transitions; the true edge lies between the
last sample before and the first sample after, so its midpoint is used when samples are close.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from analytics.charging.timeutil import utc

__all__ = ["EDGE_MAX_GAP_S", "assign_plug_windows", "plug_intervals"]

EDGE_MAX_GAP_S = 900.0
"""An edge is placed midway between samples at most this far apart, else at the later one."""

_MATCH_SLACK = timedelta(minutes=5)


def _edge_ts(ts: pl.Expr, prev_ts: pl.Expr) -> pl.Expr:
    gap_s = (ts - prev_ts).dt.total_microseconds() / 1e6
    mid = prev_ts + (ts - prev_ts) / 2
    return pl.when(prev_ts.is_not_null() & (gap_s <= EDGE_MAX_GAP_S)).then(mid).otherwise(ts)


def plug_intervals(edges: pl.DataFrame) -> pl.DataFrame:
    """Turn cable-signal transitions (ts, prev_ts, plugged, is_last) into plug intervals.

    Returns ``plug_in_ts, plug_out_ts, open_end`` (``open_end`` when the data ends while the
    cable is still connected: the plug-out is then the last sample, a lower bound).
    """
    schema = {
        "plug_in_ts": pl.Datetime("us", "UTC"),
        "plug_out_ts": pl.Datetime("us", "UTC"),
        "open_end": pl.Boolean,
    }
    if edges.height == 0:
        return pl.DataFrame(schema=schema)
    e = utc(edges, "ts", "prev_ts").sort("ts")
    # Keep real transitions; the closing row matters only when it is still plugged.
    changed = pl.col("plugged") != pl.col("plugged").shift(1)
    e = e.with_columns(edge=_edge_ts(pl.col("ts"), pl.col("prev_ts")))
    trans = e.filter(changed.fill_null(True))
    ins = trans.filter(pl.col("plugged")).select(pl.col("edge").alias("plug_in_ts"))
    outs = trans.filter(~pl.col("plugged")).select(pl.col("edge").alias("plug_out_ts"))
    if ins.height == 0:
        return pl.DataFrame(schema=schema)
    joined = ins.sort("plug_in_ts").join_asof(
        outs.sort("plug_out_ts"),
        left_on="plug_in_ts",
        right_on="plug_out_ts",
        strategy="forward",
        allow_exact_matches=False,
    )
    last = e.filter(pl.col("is_last"))
    last_ts = last["ts"][0] if last.height else e["ts"][-1]
    return joined.with_columns(
        open_end=pl.col("plug_out_ts").is_null(),
        plug_out_ts=pl.col("plug_out_ts").fill_null(pl.lit(last_ts, pl.Datetime("us", "UTC"))),
    ).select(list(schema))


def assign_plug_windows(charges: pl.DataFrame, intervals: pl.DataFrame) -> pl.DataFrame:
    """Give each charge (session_id, start_ts, end_ts) its plug-in and plug-out time.

    A charge lies in the plug interval that began at most five minutes after its start and
    ended after it. Several charges in one interval (paused and resumed) split the interval at
    their boundaries. Charges with no interval get their own start/end (no dwell is claimed,
    flag ``no_plug_signal``).
    """
    c = utc(charges.select("session_id", "start_ts", "end_ts"), "start_ts", "end_ts")
    c = c.sort("start_ts").with_columns(probe_ts=pl.col("start_ts") + _MATCH_SLACK)
    if intervals.height:
        iv = (
            utc(intervals, "plug_in_ts", "plug_out_ts")
            .sort("plug_in_ts")
            .with_columns(interval_id=pl.int_range(pl.len()))
        )
        c = c.join_asof(iv, left_on="probe_ts", right_on="plug_in_ts", strategy="backward")
        ok = pl.col("plug_out_ts") >= pl.col("start_ts")
        c = c.with_columns(
            [pl.when(ok).then(pl.col(k)).otherwise(None).alias(k) for k in iv.columns]
        )
    else:
        c = c.with_columns(
            plug_in_ts=pl.lit(None, pl.Datetime("us", "UTC")),
            plug_out_ts=pl.lit(None, pl.Datetime("us", "UTC")),
            open_end=pl.lit(None, pl.Boolean),
            interval_id=pl.lit(None, pl.Int64),
        )
    grp = pl.col("interval_id")
    shared = grp.is_not_null() & (pl.len().over(grp) > 1)
    prev_end = pl.col("end_ts").shift(1).over(grp)
    next_start = pl.col("start_ts").shift(-1).over(grp)
    c = c.with_columns(
        plug_in_ts=pl.when(shared & prev_end.is_not_null())
        .then(prev_end)
        .otherwise(pl.col("plug_in_ts")),
        plug_out_ts=pl.when(shared & next_start.is_not_null())
        .then(next_start)
        .otherwise(pl.col("plug_out_ts")),
        flag_shared=shared,
    )
    missing = pl.col("plug_in_ts").is_null()
    flags = (
        pl.concat_list(
            pl.when(missing).then(pl.lit("no_plug_signal")),
            pl.when(shared).then(pl.lit("shared_plug")),
            pl.when(pl.col("open_end").fill_null(False)).then(pl.lit("plug_open_at_end")),
        )
        .list.drop_nulls()
        .list.join(";")
    )
    return c.select(
        "session_id",
        pl.min_horizontal(pl.col("plug_in_ts").fill_null(pl.col("start_ts")), "start_ts").alias(
            "plug_in_ts"
        ),
        pl.max_horizontal(pl.col("plug_out_ts").fill_null(pl.col("end_ts")), "end_ts").alias(
            "plug_out_ts"
        ),
        flags.alias("plug_flags"),
    )
