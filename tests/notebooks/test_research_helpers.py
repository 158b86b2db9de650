"""The library functions the research notebooks stand on: SoH errors against truth, forecast
inputs from stored tables, and the forecast back-test."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from analytics.errors import ForecastError
from analytics.soh.compare import error_summary, fused_errors, observation_errors, rejections


@pytest.fixture(scope="module")
def pipeline_fleet(tmp_path_factory):
    """Three simulated vehicles x 150 days through every stage, with the simulator's truth."""
    from analytics.pipeline import run_stages
    from analytics.simulate import FleetConfig, load_fleet, simulate_fleet
    from analytics.warehouse import open_warehouse

    fleet = simulate_fleet(FleetConfig(vehicles=3, days=150, seed=31, workers=1))
    path = tmp_path_factory.mktemp("helpers") / "warehouse.duckdb"
    with open_warehouse(path) as wh:
        load_fleet(wh, fleet)
        run_stages(wh, echo=lambda _: None)
    return path, fleet


def test_error_summary_on_known_errors():
    errors = pl.DataFrame(
        {
            "method": ["a", "a", "a", "b", "b"],
            "error_pts": [1.0, -1.0, 2.0, 0.5, None],
            "inside90": [True, True, False, True, False],
        }
    )
    out = error_summary(errors, "method")
    a = out.filter(pl.col("method") == "a").row(0, named=True)
    assert a["n"] == 3
    assert a["mae"] == pytest.approx(4 / 3)
    assert a["bias"] == pytest.approx(2 / 3)
    assert a["max"] == 2.0
    assert a["coverage90"] == pytest.approx(2 / 3)
    b = out.filter(pl.col("method") == "b").row(0, named=True)
    assert b["n"] == 1  # the row without an error is not counted
    assert error_summary(errors).row(0, named=True)["n"] == 4


def test_observation_and_fused_errors_against_the_truth(pipeline_fleet):
    from analytics.warehouse import open_warehouse

    path, fleet = pipeline_fleet
    with open_warehouse(path, read_only=True) as wh:
        obs = wh.sql("SELECT * FROM soh_observations")
        soh = wh.sql("SELECT * FROM soh")
    errs = observation_errors(obs, fleet.vehicle_days, fleet.vehicles)
    assert errs.height and (errs["quantity"] != "resistance_mohm").all()
    assert set(errs["chemistry"]) <= {"NMC", "NCA", "LFP"}
    one = errs.drop_nulls("error_pts").row(0, named=True)
    truth = fleet.vehicle_days.filter(
        (pl.col("vehicle_id") == one["vehicle_id"]) & (pl.col("date") == one["date"])
    )["capacity_soh_pct"][0]
    assert one["error_pts"] == pytest.approx(one["soh_pct"] - truth)
    assert one["inside90"] == (abs(one["soh_pct"] - truth) <= 1.6449 * one["soh_sigma_pct"])
    pairs = errs.filter(pl.col("method").is_in(["charge_counting", "ocv"]))
    assert pairs["swing_band"].null_count() == 0  # every pair has a SoC swing band
    assert errs["temp_band"].null_count() == 0  # BMS values take the day's true temperature
    days = fused_errors(soh, fleet.vehicle_days, fleet.vehicles)
    assert days.height == soh.height  # every fused day has its truth
    assert days["days_in"].min() == 0
    summary = error_summary(days, "chemistry")
    assert (summary["mae"] < 10).all() and (summary["coverage90"] > 0).all()
    rej = rejections(obs)
    kept_share = obs.group_by("method").agg((~pl.col("kept")).mean().alias("rej"))
    for r in kept_share.filter(pl.col("rej") > 0).iter_rows(named=True):
        got = rej.filter(pl.col("method") == r["method"])["share"].sum()
        assert got == pytest.approx(r["rej"])  # the reasons add up to everything rejected
    assert not rej["reason_kind"].str.contains(r"\d").any()


def test_forecast_inputs_from_stored_tables_equal_recomputed(pipeline_fleet):
    from analytics.forecast.api import forecast_vehicles, prepare
    from analytics.forecast.stored import fleet_data_from_tables
    from analytics.warehouse import open_warehouse

    path, fleet = pipeline_fleet
    with open_warehouse(path, read_only=True) as wh:
        stored = fleet_data_from_tables(wh)
        fresh = prepare(wh, fleet.vehicle_ids)
    assert stored.features.equals(fresh.features.sort("vehicle_id", "date"))
    assert stored.exposure.equals(fresh.exposure.sort("vehicle_id", "date"))
    assert stored.soh.equals(fresh.soh)
    a = forecast_vehicles(stored, draws=100).forecasts
    b = forecast_vehicles(fresh, draws=100).forecasts
    assert a.equals(b)


def test_stored_inputs_need_a_forecast_run(tmp_path):
    from analytics.forecast.stored import fleet_data_from_tables
    from analytics.warehouse import open_warehouse

    with (
        open_warehouse(tmp_path / "empty.duckdb") as wh,
        pytest.raises(ForecastError, match="analytics forecast"),
    ):
        fleet_data_from_tables(wh)


def test_noisy_truth_has_the_stated_error():
    from analytics.forecast.backtest import Z90, noisy_truth

    days = pl.date_range(date(2023, 1, 1), date(2025, 12, 31), eager=True)
    truth = pl.DataFrame(
        {"vehicle_id": "V", "date": days, "capacity_soh_pct": np.linspace(100, 94, days.len())}
    )
    noisy = noisy_truth(truth, seed=3, sd=0.8)
    err = noisy["soh_pct"] - truth["capacity_soh_pct"]
    assert 0.5 < err.std() < 1.1  # AR(1) with a month's correlation: one sample, loose bounds
    assert (noisy["soh_high_pct"] - noisy["soh_low_pct"]).to_numpy() == pytest.approx(2 * Z90 * 0.8)


def test_backtest_scores_model_and_baselines(pipeline_fleet):
    from analytics.forecast.backtest import add_months, backtest_cutoff, noisy_truth, truncate
    from analytics.forecast.stored import fleet_data_from_tables
    from analytics.warehouse import open_warehouse

    path, fleet = pipeline_fleet
    with open_warehouse(path, read_only=True) as wh:
        data = fleet_data_from_tables(wh)
    truth = fleet.vehicle_days.with_columns(pl.col("date").cast(pl.Date))
    cut = truth["date"].min() + timedelta(days=90)
    cut_data = truncate(data, cut, noisy_truth(truth, seed=1))
    assert cut_data.features["date"].max() < cut and cut_data.soh["date"].max() < cut
    scores, res = backtest_cutoff(cut_data, cut, truth, (1, 6), draws=100)
    # 150 days of truth: one month after a 90-day cut-off is covered, six months are not
    assert scores["horizon_months"].unique().to_list() == [1]
    assert set(scores["method"]) == {"model", "linear", "cohort"}
    assert scores.filter(pl.col("method") == "model")["n"][0] == len(fleet.vehicle_ids)
    assert scores["mae"].is_finite().all() and scores["mae"].max() < 10
    assert add_months(cut, 1) > cut and res.forecasts["date"].min() >= cut - timedelta(days=31)
