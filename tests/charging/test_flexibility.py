"""The flexibility envelope never claims more than charger power x plugged-in time."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings

from analytics.charging.flexibility import flexibility_envelope, slot_flexibility
from analytics.charging.slots import session_slots

from .test_schedule import sessions


@settings(max_examples=40, deadline=None)
@given(cs=sessions())
def test_envelope_within_physics(cs):
    slots = slot_flexibility(session_slots(cs))
    bound = slots["max_power_kw"] * slots["plugged_h"]
    assert (slots["max_kwh"] <= bound + 1e-9).all()
    assert (slots["plugged_h"] <= 1.0 + 1e-9).all()
    assert (slots["baseline_kwh"] <= slots["max_kwh"] + 1e-6).all()
    assert (slots["min_kwh"] <= slots["max_kwh"] + 1e-9).all()
    assert (slots["shiftable_kwh"] >= 0).all()
    assert (slots["shiftable_kwh"] <= slots["baseline_kwh"] + 1e-9).all()
    per = slots.group_by("session_id").agg(
        pl.col("max_kwh").sum(),
        pl.col("plugged_h").sum(),
        pl.col("baseline_kwh").sum(),
        pl.col("min_kwh").sum(),
        pl.col("dwell_h").first(),
        pl.col("max_power_kw").first(),
        pl.col("grid_energy_kwh").first(),
    )
    # whole-session: capacity is charger power x dwell, the real energy is accounted exactly,
    # and what must flow in fixed hours never exceeds the session's energy
    assert ((per["max_kwh"] - per["max_power_kw"] * per["dwell_h"]).abs() < 1e-6).all()
    assert ((per["plugged_h"] - per["dwell_h"]).abs() < 1e-6).all()
    assert ((per["baseline_kwh"] - per["grid_energy_kwh"]).abs() < 1e-6).all()
    assert (per["min_kwh"] <= per["grid_energy_kwh"] + 1e-6).all()

    env, skipped = flexibility_envelope(cs)
    assert skipped.height == 0
    per_vehicle_bound = slots.group_by("vehicle_id", "hour_ts").agg(
        (pl.col("max_power_kw") * pl.col("plugged_h")).sum().alias("bound")
    )
    j = env.join(per_vehicle_bound, on=["vehicle_id", "hour_ts"])
    assert j.height == env.height
    assert (j["max_kwh"] <= j["bound"] + 1e-9).all()
    assert (env["baseline_kwh"].sum() - cs["grid_energy_kwh"].sum()) < 1e-6


def test_tight_session_has_nothing_to_shift():
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2024, 5, 1, 10, 30, tzinfo=UTC)
    cs = pl.DataFrame(
        {
            "vehicle_id": ["V", "V"],
            "session_id": ["tight", "loose"],
            "plug_in_ts": [t0, t0 + timedelta(days=1)],
            "plug_out_ts": [t0 + timedelta(hours=2), t0 + timedelta(days=1, hours=10)],
            "charge_start_ts": [t0, t0 + timedelta(days=1)],
            "charge_end_ts": [t0 + timedelta(hours=2), t0 + timedelta(days=1, hours=2)],
            "grid_energy_kwh": [22.0, 22.0],
            "max_power_kw": [11.0, 11.0],
        }
    )
    slots = slot_flexibility(session_slots(cs))
    tight = slots.filter(pl.col("session_id") == "tight")
    assert tight["shiftable_kwh"].sum() < 1e-9
    assert abs(tight["min_kwh"].sum() - 22.0) < 1e-9
    loose = slots.filter(pl.col("session_id") == "loose")
    assert abs(loose["shiftable_kwh"].sum() - 22.0) < 1e-9
    assert loose["energy_needed_kwh"][0] == 22.0


def test_sessions_without_energy_are_reported_not_used():
    from datetime import UTC, datetime, timedelta

    t0 = datetime(2024, 5, 1, tzinfo=UTC)
    cs = pl.DataFrame(
        {
            "vehicle_id": ["V", "V"],
            "session_id": ["ok", "bad"],
            "plug_in_ts": [t0, t0],
            "plug_out_ts": [t0 + timedelta(hours=2)] * 2,
            "charge_start_ts": [t0, t0],
            "charge_end_ts": [t0 + timedelta(hours=1)] * 2,
            "grid_energy_kwh": [5.0, None],
            "max_power_kw": [7.0, 7.0],
        }
    )
    env, skipped = flexibility_envelope(cs)
    assert skipped["session_id"].to_list() == ["bad"]
    assert skipped["skip_reason"].to_list() == ["missing energy or power"]
    assert abs(env["baseline_kwh"].sum() - 5.0) < 1e-9
