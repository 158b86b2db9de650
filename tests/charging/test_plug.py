"""Plug-in windows from the cable signal, matched to charge sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from analytics.charging.plug import assign_plug_windows, plug_intervals

T = datetime(2024, 1, 1, 18, tzinfo=UTC)


def _edges(rows):
    return pl.DataFrame(
        rows,
        schema={"ts": pl.Datetime("us", "UTC"), "prev_ts": pl.Datetime("us", "UTC"),
                "plugged": pl.Boolean, "is_last": pl.Boolean},
        orient="row",
    )  # fmt: skip


def m(x: float) -> datetime:
    return T + timedelta(minutes=x)


def test_edges_are_midpoints_and_open_end_is_flagged():
    e = _edges([
        (m(0), None, False, False),
        (m(10), m(9), True, False),     # plugged between 9 and 10 -> 9:30
        (m(100), m(98), False, False),  # unplugged between 98 and 100 -> 99
        (m(200), m(199), True, False),
        (m(300), m(299), True, True),   # data ends still plugged
    ])  # fmt: skip
    iv = plug_intervals(e)
    assert iv["plug_in_ts"].to_list() == [m(9.5), m(199.5)]
    assert iv["plug_out_ts"].to_list() == [m(99), m(300)]
    assert iv["open_end"].to_list() == [False, True]


def test_paused_charge_splits_its_plug_window_and_missing_signal_is_flagged():
    iv = pl.DataFrame(
        {"plug_in_ts": [m(0)], "plug_out_ts": [m(600)], "open_end": [False]},
        schema_overrides={"plug_in_ts": pl.Datetime("us", "UTC"),
                          "plug_out_ts": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    charges = pl.DataFrame(
        {
            "session_id": ["a", "b", "c"],
            "start_ts": [m(5), m(200), m(1000)],
            "end_ts": [m(100), m(300), m(1100)],
        }
    )
    w = assign_plug_windows(charges, iv).sort("session_id")
    assert w["plug_in_ts"].to_list() == [m(0), m(100), m(1000)]
    assert w["plug_out_ts"].to_list() == [m(200), m(600), m(1100)]
    assert w["plug_flags"].to_list() == ["shared_plug", "shared_plug", "no_plug_signal"]


def test_no_cable_signal_at_all():
    charges = pl.DataFrame({"session_id": ["a"], "start_ts": [m(5)], "end_ts": [m(100)]})
    w = assign_plug_windows(charges, plug_intervals(_edges([])))
    assert w["plug_in_ts"].to_list() == [m(5)]
    assert w["plug_out_ts"].to_list() == [m(100)]
    assert w["plug_flags"].to_list() == ["no_plug_signal"]
