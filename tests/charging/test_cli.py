"""`analytics charging` and `analytics charging simulate` end to end on a warehouse file."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analytics.cli.main import main
from analytics.warehouse import open_warehouse

from .fleetdata import write_fleet

TARIFFS = Path(__file__).resolve().parents[2] / "data" / "tariffs"


def test_build_then_simulate(tmp_path, capsys):
    path = tmp_path / "wh.duckdb"
    with open_warehouse(path) as wh:
        write_fleet(wh, n_vehicles=5, days=21, seed=5)
    assert main(["--warehouse", str(path), "charging"]) == 0
    assert "charging_sessions=" in capsys.readouterr().out
    out_csv = tmp_path / "hourly.csv"
    code = main(
        ["--warehouse", str(path), "charging", "simulate",
         "--tariff", str(TARIFFS / "tou_ev_example.json"), "--out", str(out_csv)]
    )  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0
    assert "sessions ended short    0" in text
    assert "kWh shifted" in text and "fleet peak load" in text and "above 90 % SoC" in text
    hourly = pl.read_csv(out_csv)
    assert abs(hourly["baseline_kw"].sum() - hourly["managed_kw"].sum()) < 1e-6


def test_simulate_errors_are_one_line(tmp_path, capsys):
    path = tmp_path / "wh.duckdb"
    open_warehouse(path).close()
    assert main(["--warehouse", str(path), "charging", "simulate"]) == 2
    assert "needs --tariff" in capsys.readouterr().err
    code = main(["--warehouse", str(path), "charging", "simulate", "--tariff", "nope.json"])
    assert code == 2
    assert "not found" in capsys.readouterr().err


def test_build_without_sessions_says_what_to_run(tmp_path, capsys):
    path = tmp_path / "wh.duckdb"
    with open_warehouse(path) as wh:
        wh.execute("DROP TABLE IF EXISTS sessions")
    assert main(["--warehouse", str(path), "charging"]) == 2
    assert "analytics sessions" in capsys.readouterr().err
