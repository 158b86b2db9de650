"""Plug-in windows: when the cable was connected, matched to the charge sessions.

A charge session (from the sessions stage) covers the charging; the plug-in window around it
is what a utility can use (the car may sit plugged in for hours after the pack is full).

Windows come from *evidence* of the cable state, merged in time order: every sample of the
cable-connected signal (plugged or not), every drive (unplugged from its start to its end)
and every charge (plugged from its start to its end). Where the evidence flips, the true edge
lies between the two observations that bracket it, and is placed:

- a few minutes (``HANDLING_S``, at most half the bracket) after the end of a drive when
  that drive is the last unplugged evidence: the cable is connected on arrival;
- a few minutes before the start of a drive when that drive is the first unplugged
  evidence: the cable is removed just before leaving;
- a few minutes after the end of a charge when the charge is the last plugged evidence (no
  later sample saw the cable connected): the cable is removed when charging stops, as at
  fast chargers where idle fees apply;
- otherwise at the midpoint of the bracket (the minimax estimate).

A drive between two plugged samples therefore splits a plug-in that sparse cable samples
would have merged.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from analytics.charging.timeutil import UTC_US, utc

__all__ = ["HANDLING_S", "MERGE_GAP", "assign_plug_windows", "plug_evidence", "plug_intervals"]

HANDLING_S = 180.0
"""Time to connect the cable after arriving (or to remove it before leaving), at most."""

END_ECHO_S = 120.0
"""Connected-cable samples this close to a charge's end are the charge end's echo."""

_MATCH_SLACK = timedelta(minutes=5)
MERGE_GAP = timedelta(minutes=15)
"""Without a cable signal, charges closer than this are taken as one interrupted session."""
_SCHEMA = {"ts": UTC_US, "plugged": pl.Boolean, "source": pl.String}


def plug_evidence(
    cable: pl.DataFrame, drives: pl.DataFrame | None = None, charges: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Merge cable samples (ts, value), drives and charges (start_ts, end_ts) into evidence.

    Returns ``ts, plugged, source`` sorted by time (source: cable | drive | charge). Empty
    when there is no cable sample at all: drives and charges alone do not show a dwell.
    """
    if cable.height == 0:
        return pl.DataFrame(schema=_SCHEMA)
    cab = utc(cable, "ts").select(
        "ts", (pl.col("value") >= 0.5).alias("plugged"), pl.lit("cable").alias("source")
    )
    if charges is not None and charges.height:
        # A "connected" sample logged as a charge ends says nothing the charge end does not.
        ends = utc(charges, "end_ts").select(pl.col("end_ts").alias("_end")).sort("_end")
        cab = (
            cab.sort("ts")
            .join_asof(ends, left_on="ts", right_on="_end", strategy="nearest")
            .filter(
                ~pl.col("plugged")
                | pl.col("_end").is_null()
                | ((pl.col("ts") - pl.col("_end")).abs() > pl.duration(seconds=END_ECHO_S))
            )
            .drop("_end")
        )
    parts = [cab]
    for frame, plugged, source in ((drives, False, "drive"), (charges, True, "charge")):
        if frame is None or frame.height == 0:
            continue
        f = utc(frame, "start_ts", "end_ts")
        for col in ("start_ts", "end_ts"):
            parts.append(
                f.select(
                    pl.col(col).alias("ts"),
                    pl.lit(plugged).alias("plugged"),
                    pl.lit(source).alias("source"),
                )
            )
    ev = pl.concat([p.cast(_SCHEMA) for p in parts]).drop_nulls("ts")
    # At equal times a drive (car moving) outranks a stale cable sample.
    rank = pl.col("source").replace_strict({"drive": 0, "charge": 1, "cable": 2}, default=2)
    return ev.sort(["ts", rank]).select(list(_SCHEMA))


def _edge(a: pl.Expr, b: pl.Expr, toward_a: pl.Expr, toward_b: pl.Expr) -> pl.Expr:
    """Edge between observations at ``a`` and ``b`` (a < b) per the module rules."""
    half = (b - a) / 2
    step = pl.min_horizontal(half, pl.duration(seconds=HANDLING_S))
    return pl.when(toward_b).then(b - step).when(toward_a).then(a + step).otherwise(a + half)


def plug_intervals(evidence: pl.DataFrame) -> pl.DataFrame:
    """Plug intervals ``plug_in_ts, plug_out_ts, open_end`` from merged evidence.

    ``open_end`` marks an interval still plugged when the data ends (its plug-out is the last
    observation, a lower bound). An interval that starts with the data has its first
    observation as plug-in (an upper bound).
    """
    schema = {"plug_in_ts": UTC_US, "plug_out_ts": UTC_US, "open_end": pl.Boolean}
    if evidence.height == 0:
        return pl.DataFrame(schema=schema)
    e = utc(evidence, "ts").with_columns(
        prev_ts=pl.col("ts").shift(1),
        prev_plugged=pl.col("plugged").shift(1),
        prev_source=pl.col("source").shift(1),
    )
    flip = pl.col("plugged") != pl.col("prev_plugged")
    ins = e.filter(pl.col("plugged") & (flip | pl.col("prev_plugged").is_null())).select(
        pl.when(pl.col("prev_ts").is_null())
        .then(pl.col("ts"))
        .otherwise(
            _edge(
                pl.col("prev_ts"),
                pl.col("ts"),
                pl.col("prev_source") == "drive",
                pl.lit(False),
            )
        )
        .alias("plug_in_ts")
    )
    outs = e.filter(~pl.col("plugged") & flip).select(
        _edge(
            pl.col("prev_ts"),
            pl.col("ts"),
            pl.col("prev_source") == "charge",
            pl.col("source") == "drive",
        ).alias("plug_out_ts")
    )
    if ins.height == 0:
        return pl.DataFrame(schema=schema)
    joined = ins.sort("plug_in_ts").join_asof(
        outs.sort("plug_out_ts"),
        left_on="plug_in_ts",
        right_on="plug_out_ts",
        strategy="forward",
        allow_exact_matches=False,
    )
    last_ts = e["ts"][-1]
    return joined.with_columns(
        open_end=pl.col("plug_out_ts").is_null(),
        plug_out_ts=pl.col("plug_out_ts").fill_null(pl.lit(last_ts, UTC_US)),
    ).select(list(schema))


def assign_plug_windows(charges: pl.DataFrame, intervals: pl.DataFrame) -> pl.DataFrame:
    """Give each charge (session_id, start_ts, end_ts) its plug window and a plug-in group.

    A charge lies in the plug interval that began at most five minutes after its start and
    ended after it. Charges sharing one interval (paused and resumed, or cut in two by a
    logger gap) share a ``plug_group`` (the first charge's session_id): one plug-in is one
    charging session. Without any interval, charges less than ``MERGE_GAP`` apart are grouped
    and the window is the charge itself (no dwell is claimed, flag ``no_plug_signal``).
    Returns ``session_id, plug_group, plug_in_ts, plug_out_ts, plug_flags``.
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
            plug_in_ts=pl.lit(None, UTC_US),
            plug_out_ts=pl.lit(None, UTC_US),
            open_end=pl.lit(None, pl.Boolean),
            interval_id=pl.lit(None, pl.Int64),
        )
    missing = pl.col("interval_id").is_null()
    gap = pl.col("start_ts") - pl.col("end_ts").shift(1)
    same_prev = (
        pl.when(missing)
        .then(missing.shift(1).fill_null(False) & (gap <= MERGE_GAP))
        .otherwise(pl.col("interval_id") == pl.col("interval_id").shift(1))
        .fill_null(False)
    )
    c = c.with_columns(_grp=(~same_prev).cum_sum())
    g = pl.col("_grp")
    c = c.with_columns(
        plug_group=pl.col("session_id").first().over(g),
        plug_in_ts=pl.min_horizontal(
            pl.col("plug_in_ts").fill_null(pl.col("start_ts")).min().over(g),
            pl.col("start_ts").min().over(g),
        ),
        plug_out_ts=pl.max_horizontal(
            pl.col("plug_out_ts").fill_null(pl.col("end_ts")).max().over(g),
            pl.col("end_ts").max().over(g),
        ),
        n_merged=pl.len().over(g),
    )
    flags = (
        pl.concat_list(
            pl.when(missing).then(pl.lit("no_plug_signal")),
            pl.when(pl.col("n_merged") > 1).then(
                pl.lit("merged_") + pl.col("n_merged").cast(pl.String)
            ),
            pl.when(pl.col("open_end").fill_null(False)).then(pl.lit("plug_open_at_end")),
        )
        .list.drop_nulls()
        .list.join(";")
    )
    return c.select(
        "session_id", "plug_group", "plug_in_ts", "plug_out_ts", flags.alias("plug_flags")
    )
