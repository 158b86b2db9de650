"""Curves and figures from the stage's tables."""

from __future__ import annotations

import polars as pl

from analytics.forecast.curves import cohort_curves, load_vehicle_curves
from analytics.forecast.figures import cohort_curve_figure, forecast_figure
from analytics.forecast.stage import run_stage


def test_curves_and_figures(small_warehouse):
    wh = small_warehouse
    run_stage(wh)
    vc = load_vehicle_curves(wh)
    assert {"age_years", "odometer_km", "efc", "cohort"} <= set(vc.columns)
    for axis in ("age", "distance", "efc"):
        bands = cohort_curves(vc, axis, by="model", min_vehicles=2)
        assert bands.height > 0
        assert (bands["p10"] <= bands["p50"]).all() and (bands["p50"] <= bands["p90"]).all()
        fig = cohort_curve_figure(bands, vc, axis=axis, group_col="model", highlight=["v_hot"])
        assert len(fig.data) >= 3
    fc = wh.sql("SELECT * FROM forecasts WHERE vehicle_id = 'v_hot'")
    ms = wh.sql("SELECT * FROM milestones WHERE vehicle_id = 'v_hot'")
    fig = forecast_figure(vc.filter(pl.col("vehicle_id") == "v_hot"), fc, milestones=ms)
    assert any(t.name == "baseline forecast" for t in fig.data)
