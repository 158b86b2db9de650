"""The charging stage on a hand-built fleet whose every session is known."""

from __future__ import annotations

import polars as pl

from analytics.charging.timeutil import utc

from .fleetdata import HABITS


def test_every_session_recovered_with_plug_and_charge_times(built_fleet):
    wh, truth, summary = built_fleet
    cols = ("plug_in_ts", "plug_out_ts", "charge_start_ts", "charge_end_ts")
    cs = utc(wh.sql("SELECT * FROM charging_sessions"), *cols)
    assert cs.height == truth.height == summary["charging_sessions"]
    j = truth.join(cs, on="session_id", suffix="_est")
    assert j.height == truth.height
    for col in cols:
        err_s = (j[f"{col}_est"] - j[col]).dt.total_seconds().abs()
        assert err_s.max() <= 60, col  # one-minute sampling: within one sample
    rel = ((j["grid_energy_kwh_est"] - j["grid_energy_kwh"]) / j["grid_energy_kwh"]).abs()
    assert rel.max() < 0.01
    assert (j["pack_energy_kwh_est"] - j["pack_energy_kwh"]).abs().max() < 1e-6
    # losses: grid minus pack, efficiency as generated (AC 90 %, DC 95 %)
    eff = j.select(pl.col("efficiency"), pl.col("charge_type"))
    assert eff.filter(pl.col("charge_type") == "AC")["efficiency"].is_between(0.89, 0.91).all()
    assert eff.filter(pl.col("charge_type") == "DC")["efficiency"].is_between(0.94, 0.96).all()
    assert (j["dwell_idle_s"] >= 0).all()
    assert (j["charging_duration_s"] <= j["plugged_duration_s"]).all()


def test_locations_from_coordinates(built_fleet):
    wh, truth, _ = built_fleet
    cs = wh.sql("SELECT session_id, location, location_method, charge_type FROM charging_sessions")
    j = truth.join(cs, on="session_id")
    expect = {
        "overnight_home": "home",
        "always_full": "home",
        "workplace": "work",
        "dc_fast_road_trip": "public",
        "opportunistic_public": "public",
    }
    for habit, loc in expect.items():
        got = j.filter(pl.col("habit") == habit)["location"]
        assert (got == loc).all(), (habit, got.value_counts())
    assert (j["location_method"] == "coordinates").all()


def test_archetypes_named_after_the_habits(built_fleet):
    wh, truth, _ = built_fleet
    prof = wh.sql("SELECT vehicle_id, archetype, archetype_fit, stability FROM charging_profiles")
    habit = truth.group_by("vehicle_id").agg(pl.col("habit").first())
    j = habit.join(prof, on="vehicle_id")
    assert j.height == 10
    assert (j["habit"] == j["archetype"]).all(), j
    assert set(j["archetype"]) == set(HABITS)
    assert j["archetype_fit"].is_between(-1.0, 1.0).all()


def test_stress_score_orders_gentle_above_harsh(built_fleet):
    wh, truth, _ = built_fleet
    st = wh.sql("SELECT * FROM charging_stress WHERE period = 'all'")
    habit = truth.group_by("vehicle_id").agg(pl.col("habit").first())
    j = habit.join(st, on="vehicle_id")
    by = j.group_by("habit").agg(pl.col("treatment_score").mean()).sort("treatment_score")
    scores = dict(by.iter_rows())
    assert scores["overnight_home"] > scores["always_full"]
    assert scores["overnight_home"] > scores["dc_fast_road_trip"]
    assert j["treatment_score"].is_between(0, 100).all()
    dc = j.filter(pl.col("habit") == "dc_fast_road_trip")
    assert (dc["dc_energy_share"] == 1.0).all()
    assert (dc["main_driver"] != "none").all()
    full = j.filter(pl.col("habit") == "always_full")
    assert (full["share_time_above_90_pct"] > 0).all()


def test_flexibility_tables_and_forecast(built_fleet):
    wh, _, summary = built_fleet
    fleet = wh.sql("SELECT * FROM charging_flexibility_fleet")
    assert fleet.height > 0
    assert (fleet["shiftable_kwh"] <= fleet["baseline_kwh"] + 1e-9).all()
    assert (fleet["baseline_kwh"] <= fleet["max_kwh"] + 1e-9).all()
    fc = wh.sql("SELECT * FROM charging_load_forecast ORDER BY ts")
    assert fc.height == 168
    assert (fc["load_low_kw"] <= fc["load_kw"]).all()
    assert (fc["load_kw"] <= fc["load_high_kw"]).all()
    assert (fc["load_low_kw"] >= 0).all()
    assert summary["forecast_peak_kw"] > 0


def test_rerun_one_vehicle_keeps_the_others(built_fleet):
    from analytics.charging.stage import run_stage

    wh, _, _ = built_fleet
    before = wh.sql("SELECT count(*) AS n FROM charging_sessions")["n"][0]
    summary = run_stage(wh, vehicles=["T00"])
    assert summary["vehicles"] == 1
    after = wh.sql("SELECT count(*) AS n FROM charging_sessions")["n"][0]
    assert before == after
