"""The soh stage on a warehouse: tables written, errors that say what to do."""

from __future__ import annotations

import polars as pl
import pytest

from analytics.errors import SohError
from analytics.sessions import run_stage as run_sessions
from analytics.soh import run_stage

from .synth import Step, trace

REST = 7800.0


def test_stage_writes_observations_and_daily_series(memory_warehouse) -> None:
    wh = memory_warehouse
    with pytest.raises(SohError, match="analytics sessions"):
        run_stage(wh)
    steps = [Step(REST), Step(7200, -50, 7.4), Step(REST), Step(5400, 60, speed_kmh=60), Step(REST)]
    long = trace(steps * 2)
    wh.con.register("_l", long.to_arrow())
    wh.execute("INSERT INTO signals SELECT vehicle_id, ts, signal, value, NULL FROM _l")
    wh.execute(
        "INSERT INTO vehicles (vehicle_id, chemistry, nominal_capacity_ah, nominal_voltage_v, "
        "cells_series) VALUES ('v1', 'NMC', 150, 350.4, 96)"
    )
    run_sessions(wh)
    summary = run_stage(wh)
    assert summary["vehicles"] == 1 and summary["kept"] >= 2
    soh = wh.sql("SELECT * FROM soh")
    assert soh.height >= 1
    assert soh["soh_pct"][0] == pytest.approx(100.0, abs=0.5)
    assert (soh["soh_low_pct"] < soh["soh_pct"]).all() and (
        soh["soh_pct"] < soh["soh_high_pct"]
    ).all()
    obs = wh.sql("SELECT * FROM soh_observations")
    assert set(obs["method"]) >= {"charge_counting", "ocv"}
    assert obs["reason"].str.len_chars().min() > 0
    assert obs.filter(pl.col("kept"))["reason"].unique().to_list() == ["ok"]
