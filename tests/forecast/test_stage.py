"""The stage on a small warehouse: tables, contract columns, scenarios, thin data, no SoH."""

from __future__ import annotations

import polars as pl

from analytics.forecast.scenarios import SCENARIOS
from analytics.forecast.stage import run_forecast, run_stage
from analytics.forecast.thresholds import load_thresholds, thresholds_for


def test_run_stage_writes_every_table(small_warehouse):
    wh = small_warehouse
    summary = run_stage(wh)
    assert summary["vehicles"] == 4 and summary["forecast_rows"] > 0
    fc = wh.sql(
        "SELECT vehicle_id, date, soh_pct, soh_low_pct, soh_high_pct, model, scenario FROM forecasts"
    )
    assert set(fc["scenario"]) == {"baseline"}
    assert (fc["soh_low_pct"] <= fc["soh_pct"]).all() and (
        fc["soh_pct"] <= fc["soh_high_pct"]
    ).all()
    # default horizon: until age 10 (age counted from first telemetry here) -> ~10 years
    span = fc.group_by("vehicle_id").agg(
        (pl.col("date").max() - pl.col("date").min()).dt.total_days()
    )
    assert span["date"].min() >= 24 * 30
    ms = wh.sql("SELECT * FROM milestones WHERE kind = 'threshold'")
    assert ms["breach_probability"].is_between(0, 1).all()
    assert {"gtr22_80", "gtr22_70", "euro7_72", "carb_70"} <= set(ms["threshold_id"])
    assert ms.filter(pl.col("threshold_id").str.starts_with("warranty_tesla")).height == 4
    feats = wh.sql("SELECT * FROM degradation_features WHERE vehicle_id = 'v_hot'")
    assert feats.height == 400 and feats["efc"].is_sorted()
    assert feats["hours_above_35c"].sum() > 0
    cohorts = wh.sql("SELECT vehicle_id, climate_band FROM vehicle_cohorts ORDER BY 1")
    bands = dict(cohorts.iter_rows())
    assert bands["v_hot"] == "hot" and bands["v_cold"] == "cold"
    fits = wh.sql("SELECT vehicle_id, flags, message FROM forecast_fits WHERE vehicle_id = 'v_new'")
    assert "cohort_curve" in fits["flags"][0] and "cohort" in fits["message"][0]
    att = wh.sql("SELECT * FROM degradation_attribution ORDER BY vehicle_id")
    assert (att["calendar_loss_pct"] >= 0).all() and (att["cycle_loss_pct"] >= 0).all()
    hot = att.filter(pl.col("vehicle_id") == "v_hot")
    assert hot["heat_excess_pct"][0] > 0


def test_what_if_adds_a_scenario_and_keeps_baseline(small_warehouse):
    wh = small_warehouse
    run_forecast(wh, horizon_months=24)
    run_forecast(wh, ["v_mild"], horizon_months=24, scenarios=[SCENARIOS["hot_climate"]])
    got = wh.sql(
        "SELECT scenario, count(*) AS n FROM forecasts WHERE vehicle_id = 'v_mild' GROUP BY 1"
    )
    assert set(got["scenario"]) == {"baseline", "hot_climate"}
    end = wh.sql(
        "SELECT scenario, soh_pct FROM forecasts WHERE vehicle_id = 'v_mild' "
        "AND date = (SELECT max(date) FROM forecasts WHERE vehicle_id = 'v_mild')"
    )
    d = dict(end.iter_rows())
    assert d["hot_climate"] < d["baseline"]


def test_without_soh_the_stage_says_what_to_do(small_warehouse):
    wh = small_warehouse
    wh.execute("DELETE FROM soh")
    summary = run_stage(wh)
    assert "analytics soh" in summary["message"]
    assert wh.sql("SELECT count(*) AS n FROM degradation_features")["n"][0] > 0


def test_thresholds_have_sources_and_match_makes():
    for t in load_thresholds():
        assert t.source and 0 < t.soh_pct < 100 and t.years > 0 and t.km > 0
    ids = {t.threshold_id for t in thresholds_for("Chevrolet", "Bolt EV")}
    assert "warranty_chevrolet_bolt" in ids
    ids = {t.threshold_id for t in thresholds_for("Nobody", "X")}
    assert "warranty_typical" in ids
    own = thresholds_for(
        "Tesla", "Model 3", warranty_years=6, warranty_km=90000, warranty_soh_pct=75
    )
    assert own[-1].threshold_id == "warranty_vehicle" and own[-1].soh_pct == 75


def test_selected_vehicle_still_pools_with_the_fleet(small_warehouse):
    import pytest

    from analytics.errors import ForecastError

    wh = small_warehouse
    run_forecast(wh, horizon_months=24)
    full = wh.sql("SELECT soh_pct FROM forecasts WHERE vehicle_id = 'v_new' ORDER BY date")
    wh.execute("DELETE FROM forecasts")
    summary, _ = run_forecast(wh, ["v_new"], horizon_months=24)
    assert summary["vehicles"] == 1
    got = wh.sql("SELECT vehicle_id, soh_pct FROM forecasts ORDER BY date")
    assert set(got["vehicle_id"]) == {"v_new"}
    # same fleet prior as in the full run: the same forecast
    assert (got["soh_pct"] - full["soh_pct"]).abs().max() < 1e-9
    with pytest.raises(ForecastError, match="no telemetry"):
        run_forecast(wh, ["nope"])


def test_minimal_telemetry_without_temperatures(small_warehouse):
    """Only SoC, current and odometer: features flag 'none', forecasts still come, no warnings."""
    wh = small_warehouse
    wh.execute("DELETE FROM signals WHERE signal LIKE '%Temperature%'")
    summary, res = run_forecast(wh, horizon_months=24, scenarios=[SCENARIOS["hot_climate"]])
    assert summary["forecast_rows"] > 0 and res is not None
    src = wh.sql("SELECT DISTINCT temp_source FROM degradation_features")["temp_source"].to_list()
    assert src == ["none"]
