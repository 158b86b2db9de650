"""Plug-in windows from cable samples, drives and charges, matched to charge sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from analytics.charging.plug import (
    HANDLING_S,
    assign_plug_windows,
    plug_evidence,
    plug_intervals,
)
from analytics.charging.timeutil import UTC_US

T = datetime(2024, 1, 1, 18, tzinfo=UTC)


def m(x: float) -> datetime:
    return T + timedelta(minutes=x)


def _cable(*rows):
    return pl.DataFrame(rows, schema={"ts": UTC_US, "value": pl.Float64}, orient="row")


def _spans(*rows):
    return pl.DataFrame(rows, schema={"start_ts": UTC_US, "end_ts": UTC_US}, orient="row")


def test_midpoints_between_cable_samples_and_open_end():
    cable = _cable((m(0), 0), (m(10), 1), (m(40), 1), (m(100), 0), (m(200), 1), (m(300), 1))
    iv = plug_intervals(plug_evidence(cable))
    assert iv["plug_in_ts"].to_list() == [m(5), m(150)]
    assert iv["plug_out_ts"].to_list() == [m(70), m(300)]
    assert iv["open_end"].to_list() == [False, True]


def test_plugged_on_arrival_and_unplugged_before_leaving():
    cable = _cable((m(0), 0), (m(60), 1), (m(600), 1))
    drives = _spans((m(-30), m(20)), (m(700), m(760)))
    iv = plug_intervals(plug_evidence(cable, drives))
    h = HANDLING_S / 60
    assert iv["plug_in_ts"].to_list() == [m(20 + h)]  # a few minutes after arriving
    assert iv["plug_out_ts"].to_list() == [m(700 - h)]  # a few minutes before leaving
    # a short bracket is split in half instead
    iv = plug_intervals(plug_evidence(_cable((m(21), 1)), _spans((m(0), m(20)))))
    assert iv["plug_in_ts"].to_list() == [m(20.5)]


def test_a_drive_between_plugged_samples_splits_the_plug_in():
    cable = _cable((m(0), 1), (m(60), 1), (m(180), 1))
    drives = _spans((m(100), m(130)))
    iv = plug_intervals(plug_evidence(cable, drives))
    assert iv.height == 2
    assert iv["plug_out_ts"][0] == m(100 - HANDLING_S / 60)
    assert iv["plug_in_ts"][1] == m(130 + HANDLING_S / 60)


def test_charges_in_one_plug_in_form_one_group():
    iv = pl.DataFrame(
        {"plug_in_ts": [m(0)], "plug_out_ts": [m(600)], "open_end": [False]},
        schema_overrides={"plug_in_ts": UTC_US, "plug_out_ts": UTC_US},
    )
    charges = pl.DataFrame(
        {
            "session_id": ["a", "b", "c"],
            "start_ts": [m(5), m(200), m(1000)],
            "end_ts": [m(100), m(300), m(1100)],
        }
    )
    w = assign_plug_windows(charges, iv).sort("session_id")
    assert w["plug_group"].to_list() == ["a", "a", "c"]
    assert w["plug_in_ts"].to_list() == [m(0), m(0), m(1000)]
    assert w["plug_out_ts"].to_list() == [m(600), m(600), m(1100)]
    assert w["plug_flags"].to_list() == ["merged_2", "merged_2", "no_plug_signal"]


def test_no_cable_signal_merges_only_close_charges_and_claims_no_dwell():
    charges = pl.DataFrame(
        {
            "session_id": ["a", "b", "c"],
            "start_ts": [m(5), m(110), m(400)],
            "end_ts": [m(100), m(150), m(420)],
        }
    )
    w = assign_plug_windows(charges, plug_intervals(plug_evidence(_cable())))
    assert w["plug_group"].to_list() == ["a", "a", "c"]
    assert w["plug_in_ts"].to_list() == [m(5), m(5), m(400)]
    assert w["plug_out_ts"].to_list() == [m(150), m(150), m(420)]
    assert all("no_plug_signal" in f for f in w["plug_flags"])


def test_cable_removed_when_charging_stops_unless_seen_connected_later():
    h = HANDLING_S / 60
    charges = _spans((m(5), m(45)))
    # no cable sample between the end of the charge and the first unplugged one
    cable = _cable((m(0), 0), (m(10), 1), (m(40), 1), (m(100), 0))
    iv = plug_intervals(plug_evidence(cable, None, charges))
    assert iv["plug_out_ts"].to_list() == [m(45 + h)]
    # a sample after the charge saw the cable still connected: midpoint after it
    cable = _cable((m(0), 0), (m(10), 1), (m(60), 1), (m(100), 0))
    iv = plug_intervals(plug_evidence(cable, None, charges))
    assert iv["plug_out_ts"].to_list() == [m(80)]


def test_connected_sample_logged_at_the_charge_end_is_not_later_evidence():
    charges = _spans((m(5), m(45)))
    cable = _cable((m(0), 0), (m(10), 1), (m(45), 1), (m(100), 0))
    iv = plug_intervals(plug_evidence(cable, None, charges))
    assert iv["plug_out_ts"].to_list() == [m(45 + HANDLING_S / 60)]
